// The idempotency-key index (guarantee 1). Recent keys are served from a compact in-memory table,
// older ones from the store; the log stays the truth and recovery rebuilds whatever the last
// checkpoint did not write. Both are keyed by the key hash, and a hash is trusted only once the
// log record it names carries the very key asked for. A miss in memory reads the store only when
// the key filter says the key may have been written there (new keys, the common case, never do).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { keyHash } from '../domain/key-hash.js';
import type { IdempotencyEntry, KeyChanges, LedgerStore, Pause } from '../store/store.js';
import { KeyFilter } from './key-filter.js';
import { keyAbsent, keyNotHeld, KeyTable, keyTableLoadMax } from './key-table.js';

/** Table slots per slice of changes: at most ~23,000 entries at the load limit. */
const keySlotsPerSlice = 32_768;
/** About a millisecond of purging per event-loop turn (each turn delays every operation in flight). */
const purgeSlotsPerTurn = 32_768;
/**
 * The table is sized for this many times the cap at its load limit (rounded up to a power of two:
 * 1.47 times at a million keys): keys keep arriving while a checkpoint writes and evicts, and
 * growing stops the engine for a moment. Not more: every checkpoint walks the whole table, and a
 * table twice this size cost about 4% of throughput in those walks and in cache misses.
 */
const memoryKeysHeadroom = 1.25;
/** Changed keys (as a share of the cap) that call for a write. */
const writeShare = 0.25;

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
    this.#table = new KeyTable(Math.ceil(Math.log2((memoryKeysHeadroom * memoryKeysMax) / keyTableLoadMax)));
    this.#recordHasKey = recordHasKey;
    for (const hash of store.idempotencyKeys()) this.#onDisk.add(hash);
  }

  /** The seq of the record a live key replays, or 0 when the key is not live at `nowMs`. The hot
   * path has hashed the key already (keyHash(scope, key)) and passes it. */
  lookup(scope: string, key: string, nowMs: number, hash = keyHash(scope, key)): number {
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

  /**
   * The changed keys should be written: memory holds its cap of keys (written ones can then be
   * evicted before the table has to grow, a pause of hundreds of milliseconds at a million keys), or
   * a quarter of the cap changed. The latter keeps every write about that size: the first write of a
   * run used to take all million keys at once, ~300 ms in which answers slowed to tens of ms.
   */
  get needsWrite(): boolean {
    return this.atCap || this.#table.dirtyCount >= this.#memoryKeysMax * writeShare;
  }

  /** Memory holds its cap of keys: a write under way should end as soon as it can, so keys can be evicted. */
  get atCap(): boolean {
    return this.#table.size >= this.#memoryKeysMax;
  }

  /**
   * The changes to write at a key write or a checkpoint, pulled a slice at a time: the table's changed entries,
   * range by range (expired ones on disk are the store's to drop). Each slice is noted in the key
   * filter as it is taken: nothing is evicted before afterWritten(), so an early "may be on disk"
   * costs at most a read that finds nothing.
   */
  changes(): () => KeyChanges | undefined {
    let from = 0;
    let capacity = this.#table.capacity;
    return () => {
      // The table grew: its entries moved, so walk it again (entries already taken are clean).
      if (this.#table.capacity !== capacity) {
        capacity = this.#table.capacity;
        from = 0;
      }
      // Ranges without changes are skipped here, not handed on (a sparse table is walked at once).
      while (from < capacity) {
        const slice = this.#table.takeChanges(from, keySlotsPerSlice);
        from += keySlotsPerSlice;
        for (let i = 0; i < slice.count; i++) if (!Number.isNaN(slice.expiresAt[i])) this.#onDisk.add(slice.hash[i] ?? 0);
        if (slice.count > 0) return slice;
      }
      return undefined;
    };
  }

  /**
   * Once the changes taken are written: drops expired and freed keys and the oldest past the cap
   * from memory, a slice per event-loop turn (at a million keys it took tens of milliseconds at
   * once). The caller runs no other checkpoint meanwhile.
   */
  async afterWritten(nowMs: number, pause: Pause = nextTurn): Promise<void> {
    // Down to three quarters of the cap, so that a checkpoint is not due again at once (needsWrite).
    const keep = Math.floor(this.#memoryKeysMax * 0.75);
    for (const _step of this.#table.purge(nowMs, keep, purgeSlotsPerTurn)) await pause();
  }

}
