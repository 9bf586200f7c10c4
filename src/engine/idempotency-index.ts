// The idempotency-key index (guarantee 1). Recent keys are served from compact in-memory tables,
// older ones from the store; the log stays the truth and recovery rebuilds whatever the last
// checkpoint did not write. Both are keyed by the key hash, and a hash is trusted only once the
// log record it names carries the very key asked for. A miss in memory reads the store only when
// the key filter says the key may have been written there (new keys, the common case, never do).
//
// With shards (the engine), each shard's keys live in a table in shared memory: the worker running
// the shard's batch probes it and takes a key when it applies the operation, so the main thread no
// longer probes and inserts every key (a quarter of its time went there). The main thread still
// settles what a worker cannot (keys on disk, shared hashes), writes changed keys and evicts, but
// touches a shard's table only while no batch of that shard is in flight (`WhenIdle`). Keys whose
// operations run on the main thread (deposits) stay in a table of its own.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { assert } from '../domain/errors.js';
import { keyHash } from '../domain/key-hash.js';
import type { IdempotencyEntry, KeyChanges, LedgerStore, Pause } from '../store/store.js';
import { KeyFilter } from './key-filter.js';
import { keyAbsent, keyNotHeld, KeyTable, keyTableLoadMax } from './key-table.js';

/**
 * Table slots per slice of changes: at most ~11,500 entries at the load limit. Each entry taken is
 * also added to the filter of keys on disk (a cache miss in a table of ~128 MiB): slices of 32,768
 * slots took ~2.1 ms each late in a 40 s run at full load, one after another once memory neared its cap.
 */
const keySlotsPerSlice = 16_384;
/** About a millisecond of purging per event-loop turn (each turn delays every operation in flight). */
const purgeSlotsPerTurn = 32_768;
/**
 * A filter stage retires this long after the latest expiry of its keys (or one TTL, if shorter).
 * Asking and expiry then agree even for a lookup timed a while before the retirement (a batch in
 * flight, a clock stepped back a little).
 */
const filterRetireMarginMs = 60_000;
/**
 * Keys go to a new filter stage after a key write once the current stage's keys expire over this
 * share of a TTL and the margin: the keys a stage holds past their TTL are then at most about that
 * share's worth (a stage filled for as long as it had room held all its keys until the newest had
 * expired, however long it took to fill).
 */
const filterStageSpanShare = 0.25;
/**
 * Words of retired filter stages cleared per event-loop turn (128 KiB): ~0.02 ms a step once
 * optimized, ~1 ms the first (1 MiB took 5 ms in cold code), so 128 turns a stage.
 */
const filterWordsPerTurn = 32_768;
/**
 * A table is sized for this many times its cap at its load limit (rounded up to a power of two):
 * keys keep arriving while a checkpoint writes and evicts. Not more: every checkpoint walks every
 * table, and a table twice this size cost about 4% of throughput in those walks and cache misses.
 */
const memoryKeysHeadroom = 1.25;
/**
 * Changed keys (as a share of the cap) that call for a write, and the keys (a share of the cap) that
 * eviction leaves in memory. At steady state eviction sets the pace: a table fills from what was
 * kept to the cap, and then a write is due. Every write walks every table and weighs buckets for
 * compaction whatever its size, so halves (writes of half a million keys at the default, instead of
 * a quarter) cost less per key: +4% operations/s, p99 -2% to -15%, in four alternating pairs of
 * 10 s runs. Memory then holds between half the cap and the cap of recent keys (older ones are read
 * from disk). Keeping a quarter and writing three quarters gained ~1% more, within noise.
 */
const writeShare = 0.5;
const keepShare = 0.5;
/** The smallest shard table: see tableLog2(). */
const tableLog2Min = 16;
/** The main thread's own table, for deposits' keys: few, so it starts small and grows. */
const mainTableLog2 = 12;

/** Whether the durable log record `seq` carries key `key` in scope `scope`. */
export type RecordHasKey = (seq: number, scope: string, key: string) => boolean;

/** Runs `run` at once if no batch of `shard` is in flight, else as soon as its batch is back. */
export type WhenIdle = (shard: number, run: () => void) => void;

/** The table of a key: a shard's, or (-1) the main thread's own. */
export const mainKeys = -1;

export class IdempotencyIndex {
  readonly #main: KeyTable;
  /** Per shard: a table of its own during recovery, then (share()) one in shared memory. */
  #shards: KeyTable[];
  #whenIdle: WhenIdle | undefined;
  readonly #store: LedgerStore;
  readonly #ttlMs: number;
  readonly #memoryKeysMax: number;
  readonly #onDisk: KeyFilter;
  readonly #recordHasKey: RecordHasKey;
  // The key being probed, so that one match function serves every probe (no closure per call).
  #scope = '';
  #key = '';
  readonly #matches = (seq: number): boolean => this.#recordHasKey(seq, this.#scope, this.#key);
  /** takeChanges' copies of the changes taken, kept for the next write (see there). */
  #staged = { hash: new Float64Array(0), seq: new Float64Array(0), expiresAt: new Float64Array(0) };

  /**
   * `shards` tables for the workers (0: every key in the main thread's table, as in tests); the
   * filter of keys on disk has room for `filter.stages` stages of 2^`filter.stageKeysLog2` keys
   * (tests make them small).
   */
  constructor(
    store: LedgerStore,
    ttlMs: number,
    memoryKeysMax: number,
    recordHasKey: RecordHasKey,
    shards = 0,
    filter: { readonly stages?: number; readonly stageKeysLog2?: number } = {},
  ) {
    this.#store = store;
    this.#ttlMs = ttlMs;
    this.#memoryKeysMax = memoryKeysMax;
    this.#main = new KeyTable(shards > 0 ? mainTableLog2 : tableLog2(memoryKeysMax));
    // Recovery's own tables start small and grow with the keys it replays; share() sizes them.
    this.#shards = Array.from({ length: shards }, () => new KeyTable());
    this.#recordHasKey = recordHasKey;
    this.#onDisk = new KeyFilter(shards > 0, filter.stageKeysLog2, filter.stages);
    // Keys expired by the filter's cutoff are left out: the filter would retire them at once.
    const cutoff = this.#filterCutoff(Date.now());
    store.idempotencyKeys((hash, expiresAt) => {
      if (expiresAt > cutoff) this.#onDisk.add(hash, expiresAt);
    });
  }

  /** Keys that expired by this time leave the filter (see filterRetireMarginMs). */
  #filterCutoff(nowMs: number): number {
    return nowMs - this.#filterMarginMs;
  }

  get #filterMarginMs(): number {
    return Math.min(filterRetireMarginMs, this.#ttlMs);
  }

  #shardKeysMax(shards = this.#shards.length): number {
    return Math.ceil(this.#memoryKeysMax / shards);
  }

  /**
   * Moves the shard tables into shared memory (after recovery, before the workers start); from now
   * on the workers take and free the shards' keys, and the main thread reaches a shard's table
   * only through `whenIdle`. Returns what the workers need.
   */
  share(whenIdle: WhenIdle): { readonly tables: SharedArrayBuffer[]; readonly filter: SharedArrayBuffer } {
    assert(this.#whenIdle === undefined, 'the key tables are shared once');
    this.#shards = this.#shards.map((table) => KeyTable.shared(tableLog2(this.#shardKeysMax()), table));
    this.#whenIdle = whenIdle;
    return { tables: this.#shards.map((table) => table.buffer), filter: this.#onDisk.buffer };
  }

  /**
   * The seq of the record a live key replays, or 0 when the key is not live at `nowMs`. The hot
   * path has hashed the key already (keyHash(scope, key)) and passes it. A shard's table is read
   * here only while this thread has it (recovery, or inside `exclusive`).
   */
  lookup(scope: string, key: string, nowMs: number, hash = keyHash(scope, key), shard = mainKeys): number {
    this.#scope = scope;
    this.#key = key;
    const held = shard === mainKeys ? this.#main.lookup(hash, nowMs, this.#matches) : this.#table(shard).lookupNewest(hash, nowMs, this.#matches);
    if (held === keyAbsent) return 0;
    if (held !== keyNotHeld) return held;
    const written = this.#newestOnDisk(hash);
    return written !== undefined && written.expiresAt > nowMs ? written.seq : 0;
  }

  /** lookup() of a shard's key once this thread has the shard's table. */
  lookupWhenIdle(scope: string, key: string, nowMs: number, hash: number, shard: number): Promise<number> {
    return this.exclusive(shard, () => this.lookup(scope, key, nowMs, hash, shard));
  }

  /** Runs `run` while no batch of `shard` is in flight (at once without workers). */
  exclusive<T>(shard: number, run: () => T): Promise<T> {
    const whenIdle = this.#whenIdle;
    if (shard === mainKeys || whenIdle === undefined) return Promise.resolve().then(run);
    return new Promise<T>((resolve, reject) => {
      whenIdle(shard, () => {
        try {
          resolve(run());
        } catch (error) {
          reject(error);
        }
      });
    });
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

  /**
   * A durable record with a key: the key replays it until `at` + TTL. Once the tables are shared,
   * a shard's keys are the workers' to take (and a repair's): nothing to do here for them.
   */
  remember(scope: string, key: string, seq: number, at: number, hash = keyHash(scope, key), shard = mainKeys): void {
    if (shard !== mainKeys) {
      if (this.#whenIdle === undefined) this.#table(shard).add(hash, seq, at + this.#ttlMs);
      return;
    }
    this.#scope = scope;
    this.#key = key;
    this.#main.remember(hash, seq, at + this.#ttlMs, this.#matches);
  }

  /**
   * Frees a key whose operation (`seq`) was rolled back, so the same key can execute again. Once
   * the tables are shared, the worker that applies the reconciliation frees a shard's key.
   */
  forget(scope: string, key: string, seq: number, shard = mainKeys): void {
    const hash = keyHash(scope, key);
    if (shard !== mainKeys) {
      if (this.#whenIdle === undefined) this.#table(shard).free(hash, seq, Date.now() + this.#ttlMs);
      return;
    }
    this.#scope = scope;
    this.#key = key;
    if (this.#main.forget(hash, seq, this.#matches)) return;
    // Evicted from memory: hold it freed, so that its disk entry is deleted and not read meanwhile.
    const written = this.#newestOnDisk(hash);
    if (written !== undefined && written.seq === seq) this.#main.holdFreed(hash, seq, written.expiresAt);
  }

  /** The table of an account's keys: its shard's, as the router shards accounts (slot mod shards). */
  shardOfSlot(slot: number): number {
    return this.#shards.length === 0 ? mainKeys : slot % this.#shards.length;
  }

  /** A shard's table, for the repair of a batch whose worker died (the shard is the repair's). */
  shardTable(shard: number): KeyTable {
    return this.#table(shard);
  }

  /** Shared memory reserved for the shard tables and the filter (0 before share()). */
  get sharedBytes(): number {
    if (this.#whenIdle === undefined) return 0;
    return this.#shards.reduce((sum, table) => sum + table.buffer.byteLength, this.#onDisk.buffer.byteLength);
  }

  /** Keys the filter of keys on disk holds (see KeyFilter.held). */
  get keysInFilter(): number {
    return this.#onDisk.held;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  #table(shard: number): KeyTable {
    const table = this.#shards[shard];
    assert(table !== undefined, 'a key belongs to a shard that exists');
    return table;
  }

  get memoryEntries(): number {
    return this.#tables().reduce((sum, table) => sum + table.size, 0);
  }

  #tables(): KeyTable[] {
    return [this.#main, ...this.#shards];
  }

  /**
   * The changed keys should be written: a table holds its cap of keys (written ones can then be
   * evicted before the table has to grow, or, shared, fills), or half the cap changed. The
   * latter keeps every write about that size: the first write of a run used to take all million
   * keys at once, ~300 ms in which answers slowed to tens of ms. Read while workers insert: a
   * count a moment old only moves a write by a moment.
   */
  get needsWrite(): boolean {
    const dirty = this.#tables().reduce((sum, table) => sum + table.dirtyCount, 0);
    return this.atCap || dirty >= this.#memoryKeysMax * writeShare;
  }

  /** A table holds its cap of keys: a write under way should end as soon as it can, so keys can be evicted. */
  get atCap(): boolean {
    if (this.#main.size >= this.#memoryKeysMax) return true;
    return this.#shards.some((table) => table.size >= this.#shardKeysMax());
  }

  /** The next changed slice of `table` from slot `from` (ranges without changes are skipped). */
  #takeSlice(table: KeyTable, from: number, capacity: number): { changes: KeyChanges | undefined; next: number } {
    for (let at = from; at < capacity; ) {
      const slice = table.takeChanges(at, keySlotsPerSlice);
      at += keySlotsPerSlice;
      for (let i = 0; i < slice.count; i++) {
        const expiresAt = slice.expiresAt[i] ?? Number.NaN;
        if (!Number.isNaN(expiresAt)) this.#onDisk.add(slice.hash[i] ?? 0, expiresAt);
      }
      if (slice.count > 0) return { changes: slice, next: at };
    }
    return { changes: undefined, next: capacity };
  }

  /**
   * The changes to write at a key write or a checkpoint: every table's changed entries, range by
   * range (expired ones on disk are the store's to drop), each slice taken while its shard's table is
   * this thread's (between that shard's batches) and copied out, then handed over a slice at a time.
   * Each slice is noted in the key filter as it is taken: nothing is evicted before afterWritten(),
   * so an early "may be on disk" costs at most a read that finds nothing. A slice a table grew past
   * meanwhile (the main thread's own table) stays dirty for the next write. The copies go to staging
   * arrays kept from one write to the next (one write runs at a time): fresh arrays for every slice
   * were ~13 MB a key write, each mapped and zeroed anew.
   */
  async takeChanges(pause: Pause = nextTurn): Promise<() => KeyChanges | undefined> {
    const ends: number[] = [];
    let staged = 0;
    const tables = this.#tables();
    for (let t = 0; t < tables.length; t++) {
      const table = tables[t] as KeyTable;
      for (let from = 0, slices = 0; from < table.capacity; slices++) {
        assert(slices <= table.capacity / keySlotsPerSlice + 1, 'a table is walked once');
        from = await this.exclusive(t - 1, () => {
          const taken = this.#takeSlice(table, from, table.capacity);
          if (taken.changes !== undefined) {
            staged = this.#stage(taken.changes, staged);
            ends.push(staged);
          }
          return taken.next;
        });
        await pause();
      }
    }
    const out = this.#staged;
    let next = 0;
    return () => {
      const start = next === 0 ? 0 : (ends[next - 1] ?? 0);
      const end = ends[next++];
      if (end === undefined) return undefined;
      return { count: end - start, hash: out.hash.subarray(start, end), seq: out.seq.subarray(start, end), expiresAt: out.expiresAt.subarray(start, end) };
    };
  }

  /** Appends a slice of changes to the staging arrays at `at` (growing them); returns the new end. */
  #stage(changes: KeyChanges, at: number): number {
    const end = at + changes.count;
    if (end > this.#staged.hash.length) {
      const length = 2 ** Math.ceil(Math.log2(end));
      const grown = { hash: new Float64Array(length), seq: new Float64Array(length), expiresAt: new Float64Array(length) };
      grown.hash.set(this.#staged.hash.subarray(0, at));
      grown.seq.set(this.#staged.seq.subarray(0, at));
      grown.expiresAt.set(this.#staged.expiresAt.subarray(0, at));
      this.#staged = grown;
    }
    this.#staged.hash.set(changes.hash.subarray(0, changes.count), at);
    this.#staged.seq.set(changes.seq.subarray(0, changes.count), at);
    this.#staged.expiresAt.set(changes.expiresAt.subarray(0, changes.count), at);
    return end;
  }

  /**
   * Once the changes taken are written: drops expired and freed keys and the oldest past the cap
   * from memory, a slice per event-loop turn (at a million keys it took tens of milliseconds at
   * once), each while its shard's table is this thread's. Then retires the filter's stages whose
   * keys all expired and clears them, a slice per turn too, and starts a new stage if the current
   * one has spanned long enough. The caller runs no other checkpoint meanwhile.
   */
  async afterWritten(nowMs: number, pause: Pause = nextTurn): Promise<void> {
    await this.#purgeTables(nowMs, pause);
    this.#onDisk.retireExpiredBy(this.#filterCutoff(nowMs));
    const turnsMax = Math.ceil(this.#onDisk.words / filterWordsPerTurn);
    for (let turns = 0; this.#onDisk.clearRetired(filterWordsPerTurn); turns++) {
      assert(turns <= turnsMax, 'clearing the retired filter stages ends');
      await pause();
    }
    this.#onDisk.rotateAfter(filterStageSpanShare * (this.#ttlMs + this.#filterMarginMs));
  }

  async #purgeTables(nowMs: number, pause: Pause): Promise<void> {
    const tables = this.#tables();
    for (let t = 0; t < tables.length; t++) {
      const table = tables[t] as KeyTable;
      // Down to half the cap, so that a key write is not due again at once (needsWrite).
      const keep = Math.floor((t === 0 ? this.#memoryKeysMax : this.#shardKeysMax()) * keepShare);
      const steps = table.purge(nowMs, keep, purgeSlotsPerTurn);
      for (let turns = 0; ; turns++) {
        assert(turns <= table.capacity, 'a purge ends');
        const done = await this.exclusive(t - 1, () => steps.next().done === true);
        if (done) break;
        await pause();
      }
    }
  }
}

/**
 * Slots for `keys` keys at the table's load limit with headroom (a power of two), and at least
 * 2^16: keys keep arriving while a key write runs, and a shared table that fills refuses them
 * (ERR_CAPACITY), so a small cap still gets tens of thousands of keys of room (1.6 MB a table).
 */
function tableLog2(keys: number): number {
  return Math.max(tableLog2Min, Math.ceil(Math.log2((memoryKeysHeadroom * keys) / keyTableLoadMax)));
}
