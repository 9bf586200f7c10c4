// The main thread's mirror of the durable state: balances, states and counters as of the durable
// watermark. Reads are served from here, so a reader never sees an effect that is not yet durable,
// and checkpoints snapshot it synchronously at an exact sequence number.
import { assert } from '../domain/errors.js';
import { accountChunkSlots, type AccountSnapshot, type CheckpointHeader } from '../store/store.js';
import { DirtyAccounts } from './dirty-accounts.js';

export class DurableLedger {
  readonly #balances: BigInt64Array;
  readonly #states: Uint8Array;
  readonly #created: Uint8Array;
  /** Chunks of accounts changed since the last checkpoint: a flag per chunk and the list of flagged
   * chunks (a Set costs a hash-table insert per operation on the commit path). */
  readonly #dirtyFlags: Uint8Array;
  #dirty: number[] = [];
  /** The total supply (at 0) and each chain's (at its index in #chainAt). A BigInt64Array cell, not
   * a bigint field or a Map value: V8 adds into a typed array's cell without allocating, while every
   * new bigint of a field or a Map was garbage on each mint and burn. It fits: a worker refuses a
   * mint that would take the supply past the reserves, or past 2^63-1 with reserves off (executor.ts). */
  #sums: BigInt64Array;
  readonly #chainAt = new Map<string, number>();
  reserves = 0n;
  clearing = 0n;
  /** Highest sequence number applied; every lower one is applied too. */
  watermark = 0;
  #accounts = 0;

  constructor(maxAccounts: number, chains: readonly string[]) {
    this.#balances = new BigInt64Array(maxAccounts);
    this.#states = new Uint8Array(maxAccounts);
    this.#created = new Uint8Array(maxAccounts);
    this.#dirtyFlags = new Uint8Array(Math.ceil(maxAccounts / accountChunkSlots));
    this.#sums = new BigInt64Array(1 + chains.length);
    for (const chain of chains) this.#chainIndex(chain);
  }

  get supply(): bigint {
    return this.#sums[0] ?? 0n;
  }

  /** Each chain's supply, in the order chains were first seen (options, then the log). */
  chainSupplies(): Map<string, bigint> {
    const supplies = new Map<string, bigint>();
    for (const [chain, at] of this.#chainAt) supplies.set(chain, this.#sums[at] ?? 0n);
    return supplies;
  }

  exists(slot: number): boolean {
    return this.#created[slot] === 1;
  }

  balance(slot: number): bigint {
    return this.#balances[slot] ?? 0n;
  }

  stateCode(slot: number): number {
    return this.#states[slot] ?? 0;
  }

  create(slot: number): void {
    assert(this.#created[slot] === 0, 'an account slot is created once');
    this.#created[slot] = 1;
    this.#accounts++;
    this.#markDirty(slot);
  }

  addBalance(slot: number, delta: bigint): void {
    const next = (this.#balances[slot] ?? 0n) + delta;
    assert(next >= 0n, 'a durable balance never goes negative');
    this.#balances[slot] = next;
    this.#markDirty(slot);
  }

  #markDirty(slot: number): void {
    const chunk = Math.floor(slot / accountChunkSlots);
    if (this.#dirtyFlags[chunk] === 1) return;
    this.#dirtyFlags[chunk] = 1;
    this.#dirty.push(chunk);
  }

  setState(slot: number, code: number): void {
    this.#states[slot] = code;
    this.#markDirty(slot);
  }

  /** A mint (delta > 0) or a burn or rollback (delta < 0) on `chain` by the account in `slot`. */
  moveSupply(slot: number, chain: string, delta: bigint): void {
    this.addBalance(slot, delta);
    const at = this.#chainIndex(chain);
    this.#sums[at] = (this.#sums[at] ?? 0n) + delta;
    this.#sums[0] = (this.#sums[0] ?? 0n) + delta;
    // Read back: a sum past 2^63-1 would have wrapped to a negative cell.
    assert((this.#sums[at] ?? 0n) >= 0n, 'a chain supply never goes negative');
    assert((this.#sums[0] ?? 0n) >= 0n, 'the supply never goes negative');
  }

  #chainIndex(chain: string): number {
    const at = this.#chainAt.get(chain);
    if (at !== undefined) return at;
    // A chain only the log or a checkpoint names (dropped from the options since): rare, so grown by one.
    const added = this.#chainAt.size + 1;
    this.#chainAt.set(chain, added);
    if (added >= this.#sums.length) {
      const sums = new BigInt64Array(added + 1);
      sums.set(this.#sums);
      this.#sums = sums;
    }
    return added;
  }

  restoreAccount(snapshot: AccountSnapshot): void {
    this.#created[snapshot.slot] = 1;
    this.#accounts++;
    this.#balances[snapshot.slot] = snapshot.balance;
    this.#states[snapshot.slot] = snapshot.stateCode;
  }

  restoreCounters(header: CheckpointHeader): void {
    this.#sums[0] = header.supply;
    assert(this.#sums[0] === header.supply, 'a checkpoint\'s supply fits in int64');
    this.reserves = header.reserves;
    this.clearing = header.clearing;
    for (const [chain, amount] of Object.entries(header.chainSupply)) {
      const at = this.#chainIndex(chain);
      this.#sums[at] = amount;
      assert(this.#sums[at] === amount, 'a checkpoint\'s chain supply fits in int64');
    }
    this.watermark = header.seq;
  }

  /**
   * The chunks of accounts changed since the last call, copied as they stand now (a checkpoint's
   * accounts at its watermark); their rows are listed later (dirty-accounts.ts).
   */
  takeDirtyAccounts(): DirtyAccounts {
    const chunks = this.#dirty.sort((a, b) => a - b);
    this.#dirty = [];
    for (const chunk of chunks) this.#dirtyFlags[chunk] = 0;
    return new DirtyAccounts({ balances: this.#balances, states: this.#states, created: this.#created }, chunks);
  }

  header(writtenAt: number): CheckpointHeader {
    return {
      seq: this.watermark,
      supply: this.supply,
      reserves: this.reserves,
      clearing: this.clearing,
      chainSupply: Object.fromEntries(this.chainSupplies()),
      accountCount: this.#accounts,
      writtenAt,
    };
  }
}
