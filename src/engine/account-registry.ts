// Account ids and their shared-memory slots. Slots are handed out in creation order and never reused,
// so a slot number in the log names the same account forever.
//
// Every operation looks its accounts up by id on the main thread, so the lookup is an open-addressing
// table instead of a Map. With 100,000 accounts a Map lookup was about four cache misses (its buckets,
// a chain of about two entries, the strings of entries that do not match), each ~0.25 µs here under
// load; this one reads the id it was given and about one line of the table.
import { assert, CapacityError } from '../domain/errors.js';

const tableLog2Min = 4;
const width = 3;

export class AccountRegistry {
  readonly #ids: string[] = [];
  readonly #capacity: number;
  /**
   * Triples (hash, id, slot), one array so that a lookup reads one place: the id is the registered
   * string object itself, so the common lookup compares pointers. At most half the triples are used.
   */
  #table: Array<number | string | undefined>;
  #mask: number;
  /** Per process, so ids cannot be chosen to collide. */
  readonly #seed: number;

  /** `seed` is for tests that need ids whose hashes collide; by default it is random. */
  constructor(capacity: number, seed = crypto.getRandomValues(new Int32Array(1))[0] ?? 0) {
    this.#capacity = capacity;
    this.#table = new Array<number | string | undefined>(width << tableLog2Min).fill(undefined);
    this.#mask = (1 << tableLog2Min) - 1;
    this.#seed = seed;
  }

  slotOf(id: string): number | undefined {
    const hash = accountIdHash(id, this.#seed);
    const table = this.#table;
    // Half the triples are empty, so the walk ends; the bound is for a broken table.
    for (let i = hash & this.#mask, probes = 0; probes <= this.#mask; i = (i + 1) & this.#mask, probes++) {
      const at = width * i;
      const held = table[at + 1];
      if (held === undefined) return undefined;
      if (table[at] === hash && held === id) return table[at + 2] as number;
    }
    return undefined;
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
    assert(this.slotOf(id) === undefined, 'an account id is registered once');
    if (this.#ids.length >= this.#capacity) {
      throw new CapacityError(`all ${this.#capacity} account slots are in use (options.maxAccounts)`);
    }
    const slot = this.#ids.length;
    this.#ids.push(id);
    if (2 * this.#ids.length > this.#mask + 1) this.#grow();
    this.#place(accountIdHash(id, this.#seed), id, slot);
    return slot;
  }

  /** Recovery: restores an account at its recorded slot; slots arrive in ascending order. */
  restore(slot: number, id: string): void {
    assert(slot === this.#ids.length, `accounts restore in slot order (expected ${this.#ids.length}, got ${slot})`);
    this.add(id);
  }

  #place(hash: number, id: string, slot: number): void {
    const table = this.#table;
    let i = hash & this.#mask;
    for (let probes = 0; table[width * i + 1] !== undefined; i = (i + 1) & this.#mask, probes++) {
      assert(probes <= this.#mask, 'the account table always has an empty triple');
    }
    table[width * i] = hash;
    table[width * i + 1] = id;
    table[width * i + 2] = slot;
  }

  /** Doubles the table; the stored hashes place the entries again without hashing an id. */
  #grow(): void {
    const old = this.#table;
    this.#table = new Array<number | string | undefined>(2 * old.length).fill(undefined);
    this.#mask = 2 * this.#mask + 1;
    for (let at = 0; at < old.length; at += width) {
      const id = old[at + 1];
      if (typeof id === 'string') this.#place(old[at] as number, id, old[at + 2] as number);
    }
  }
}

/** FNV-1a over the UTF-16 units from a seeded start, then a finalizer so the low bits mix too. */
export function accountIdHash(id: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  // 30 bits: a small integer in every V8 build, so the table never holds a boxed number.
  return h >>> 2;
}
