// The idempotency-key index (guarantee 1). Recent keys are served from a compact in-memory table,
// older ones from the store; the log stays the truth and recovery rebuilds whatever the last
// checkpoint did not write. Both are keyed by the key hash, and a hash is trusted only once the
// log record it names carries the very key asked for. A miss in memory reads the store only when
// the key filter says the key may have been written there (new keys, the common case, never do).
import { keyHash } from '../domain/key-hash.js';
import type { IdempotencyEntry, KeyChanges, LedgerStore } from '../store/store.js';
import { KeyFilter } from './key-filter.js';
import { keyAbsent, keyNotHeld, KeyTable, keyTableLoadMax } from './key-table.js';

const diskSweepMax = 5_000;
const filterAddsPerTurn = 65_536;
const purgeSlotsPerTurn = 131_072;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether the durable log record `seq` carries key `key` in scope `scope`. */
export type RecordHasKey = (seq: number, scope: string, key: string) => boolean;

export class IdempotencyIndex {
  readonly #table: KeyTable;
  readonly #store: LedgerStore;
  readonly #ttlMs: number;
  readonly #memoryKeysMax: number;
  readonly #onDisk = new KeyFilter();
  readonly #recordHasKey: RecordHasKey;
  // The key being probed, so that one match function serves every probe (no closure per call).
  #scope = '';
  #key = '';
  readonly #matches = (seq: number): boolean => this.#recordHasKey(seq, this.#scope, this.#key);

  constructor(store: LedgerStore, ttlMs: number, memoryKeysMax: number, recordHasKey: RecordHasKey) {
    this.#store = store;
    this.#ttlMs = ttlMs;
    this.#memoryKeysMax = memoryKeysMax;
    // Room for the cap at the table's load limit: it should not have to grow while serving.
    this.#table = new KeyTable(Math.ceil(Math.log2(memoryKeysMax / keyTableLoadMax)));
    this.#recordHasKey = recordHasKey;
    for (const hash of store.idempotencyKeys()) this.#onDisk.add(hash);
  }

  /** The seq of the record a live key replays, or 0 when the key is not live at `nowMs`. */
  lookup(scope: string, key: string, nowMs: number): number {
    const hash = keyHash(scope, key);
    this.#scope = scope;
    this.#key = key;
    const held = this.#table.lookup(hash, nowMs, this.#matches);
    if (held === keyAbsent) return 0;
    if (held !== keyNotHeld) return held;
    const written = this.#newestOnDisk(hash);
    return written !== undefined && written.expiresAt > nowMs ? written.seq : 0;
  }

  /** The newest disk entry of the key being probed (replaced entries may linger there). */
  #newestOnDisk(hash: number): IdempotencyEntry | undefined {
    if (!this.#onDisk.mayContain(hash)) return undefined;
    let newest: IdempotencyEntry | undefined;
    for (const entry of this.#store.getIdempotency(hash)) {
      if ((newest === undefined || entry.seq > newest.seq) && this.#matches(entry.seq)) newest = entry;
    }
    return newest;
  }

  /** A durable record with a key: the key replays it until `at` + TTL. */
  remember(scope: string, key: string, seq: number, at: number, hash = keyHash(scope, key)): void {
    this.#scope = scope;
    this.#key = key;
    this.#table.remember(hash, seq, at + this.#ttlMs, this.#matches);
  }

  /** Frees a key whose operation (`seq`) was rolled back, so the same key can execute again. */
  forget(scope: string, key: string, seq: number): void {
    const hash = keyHash(scope, key);
    this.#scope = scope;
    this.#key = key;
    if (this.#table.forget(hash, seq, this.#matches)) return;
    // Evicted from memory: hold it freed, so that its disk entry is deleted and not read meanwhile.
    const written = this.#newestOnDisk(hash);
    if (written !== undefined && written.seq === seq) this.#table.holdFreed(hash, seq, written.expiresAt);
  }

  get memoryEntries(): number {
    return this.#table.size;
  }

  /** Changes to write at a checkpoint: expired entries found on disk deleted first, then what changed. */
  takeChanges(nowMs: number): KeyChanges {
    const expired = this.#store.expiredKeys(nowMs, diskSweepMax);
    const held = this.#table.takeChanges();
    const count = expired.length + held.count;
    const changes = { count, hash: new Float64Array(count), seq: new Float64Array(count), expiresAt: new Float64Array(count) };
    expired.forEach(([hash, seq], i) => {
      changes.hash[i] = hash;
      changes.seq[i] = seq;
      changes.expiresAt[i] = Number.NaN;
    });
    changes.hash.set(held.hash, expired.length);
    changes.seq.set(held.seq, expired.length);
    changes.expiresAt.set(held.expiresAt, expired.length);
    return changes;
  }

  /**
   * Once the changes taken are written: notes them in the key filter, then drops expired and freed
   * keys and the oldest past the cap from memory, a slice per event-loop turn (at a million keys
   * either took tens of milliseconds at once). Nothing is evicted before the filter knows it is on
   * disk; the caller runs no other checkpoint meanwhile.
   */
  async afterWritten(changes: KeyChanges, nowMs: number): Promise<void> {
    for (let from = 0; from < changes.count; from += filterAddsPerTurn) {
      const to = Math.min(changes.count, from + filterAddsPerTurn);
      for (let i = from; i < to; i++) if (!Number.isNaN(changes.expiresAt[i])) this.#onDisk.add(changes.hash[i] ?? 0);
      await nextTurn();
    }
    for (const _step of this.#table.purge(nowMs, this.#memoryKeysMax, purgeSlotsPerTurn)) await nextTurn();
  }

}
