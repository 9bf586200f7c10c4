// The idempotency-key index (guarantee 1). Recent keys are served from memory, older ones from the
// store; the log stays the truth and recovery rebuilds whatever the last checkpoint did not write.
// A key freed by reconciliation is held as a tombstone (null) until the deletion is written. A miss
// in memory reads the store only when the key filter says the key may have been written there.
import type { LogRecord } from '../domain/log-record.js';
import type { IdempotencyEntry, LedgerStore } from '../store/store.js';
import { KeyFilter } from './key-filter.js';
import { WriteBehindMap } from './write-behind-map.js';

/** A live key names the log record whose result it replays (read from the log when needed:
 * keeping records in memory for every live key would hold the heap hostage to the TTL). */
export interface LiveKey {
  readonly seq: number;
}

type HeldKey = IdempotencyEntry;

const purgeScanMax = 100_000;
const diskSweepMax = 5_000;

export class IdempotencyIndex {
  readonly #map: WriteBehindMap<string, HeldKey | null>;
  readonly #store: LedgerStore;
  readonly #ttlMs: number;
  readonly #onDisk = new KeyFilter();

  constructor(store: LedgerStore, ttlMs: number, memoryEntriesMax: number) {
    this.#store = store;
    this.#ttlMs = ttlMs;
    this.#map = new WriteBehindMap((key) => (this.#onDisk.mayContain(key) ? store.getIdempotency(key) : undefined), memoryEntriesMax);
    for (const key of store.idempotencyKeys()) this.#onDisk.add(key);
  }

  /** The live entry of a key at `nowMs`; an expired key is absent (it executes again). */
  lookup(scopedKey: string, nowMs: number): LiveKey | undefined {
    const held = this.#map.get(scopedKey);
    if (held === undefined || held === null || held.expiresAt <= nowMs) return undefined;
    return held;
  }

  remember(scopedKey: string, record: LogRecord): void {
    this.#map.set(scopedKey, { seq: record.seq, expiresAt: record.at + this.#ttlMs });
  }

  /** Frees a key whose operation was rolled back, so the same key can execute again. */
  forget(scopedKey: string, seq: number): void {
    const held = this.#map.get(scopedKey);
    if (held !== undefined && held !== null && held.seq === seq) this.#map.set(scopedKey, null);
  }

  get memoryEntries(): number {
    return this.#map.size;
  }

  /** Changes to write at a checkpoint: expired keys found on disk deleted first, then what changed. */
  takeChanges(nowMs: number): Array<readonly [string, IdempotencyEntry | null]> {
    const changes: Array<readonly [string, IdempotencyEntry | null]> = [];
    for (const key of this.#store.expiredKeys(nowMs, diskSweepMax)) changes.push([key, null]);
    for (const [key, held] of this.#map.takeDirty()) {
      if (held !== null) this.#onDisk.add(key);
      changes.push([key, held]);
    }
    return changes;
  }

  /** Drops written entries that expired, and the oldest written ones while memory is over its cap. */
  purgeMemory(nowMs: number): void {
    this.#map.evict((_key, held) => held === null || held.expiresAt <= nowMs, purgeScanMax);
  }
}
