// Account ids and their shared-memory slots. Slots are handed out in creation order and never reused,
// so a slot number in the log names the same account forever.
import { assert, CapacityError } from '../domain/errors.js';

export class AccountRegistry {
  readonly #slots = new Map<string, number>();
  readonly #ids: string[] = [];
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  slotOf(id: string): number | undefined {
    return this.#slots.get(id);
  }

  idOf(slot: number): string {
    const id = this.#ids[slot];
    // A constant message: a template would be built on every call of this hot function.
    assert(id !== undefined, 'a slot asked for belongs to an account');
    return id;
  }

  get count(): number {
    return this.#ids.length;
  }

  /** Registers a new account at the next slot. */
  add(id: string): number {
    assert(!this.#slots.has(id), 'an account id is registered once');
    if (this.#ids.length >= this.#capacity) {
      throw new CapacityError(`all ${this.#capacity} account slots are in use (options.maxAccounts)`);
    }
    const slot = this.#ids.length;
    this.#ids.push(id);
    this.#slots.set(id, slot);
    return slot;
  }

  /** Recovery: restores an account at its recorded slot; slots arrive in ascending order. */
  restore(slot: number, id: string): void {
    assert(slot === this.#ids.length, `accounts restore in slot order (expected ${this.#ids.length}, got ${slot})`);
    this.add(id);
  }
}
