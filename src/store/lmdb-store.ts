// The LMDB store. Two environments per data directory: ledger.mdb holds only the ordered log (keyed
// by the first seq of each entry, a group or a slice of one; values are log-codec.ts bytes), and
// state.mdb everything checkpoints write (the key index as blocks: lmdb-key-index.ts). A checkpoint
// covers only durable log records, so the two need no common transaction. Writes go through
// lmdb-js's asynchronous write batching (one writer thread), reads are synchronous.
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { open, type Database, type RootDatabase } from 'lmdb';
import { assert } from '../domain/errors.js';
import type { LogRecord } from '../domain/log-record.js';
import { chunkOf, decodeAccountChunk, encodeAccountChunk } from './account-codec.js';
import { EntryArena } from './entry-arena.js';
import { LmdbKeyIndex } from './lmdb-key-index.js';
import { decodeGroup, decodeRecordAt, encodeGroup } from './log-codec.js';
import { RecentEntryKeys } from './recent-entry-keys.js';
import type {
  AccountRows,
  AccountSnapshot,
  CheckpointDelta,
  CheckpointHeader,
  Durability,
  IdempotencyEntry,
  KeyChanges,
  LedgerStore,
  Pause,
} from './store.js';

const checkpointKey = 'checkpoint';
const logEntryRecordsMax = 128;
/** Memory for encoding log entries (entry-arena.ts): the ring's 1,024 newest take ~13 MB (~12 KB per 128 mints). */
const entryArenaBytes = 32 * 1024 * 1024;
/**
 * Chunks encoded per event-loop turn, a delay for every operation in flight: 64 took ~6 ms; 16, about
 * a millisecond alone, took 2.2 – 4.8 ms in a run at full load (timed between a checkpoint's pauses).
 */
const accountChunksPerTurn = 4;

export interface LmdbStoreOptions {
  readonly directory: string;
  readonly durability: Durability;
  /** Memory for encoding log entries (tests make it small, so that it wraps around often). */
  readonly entryArenaBytes?: number;
}

export class LmdbStore implements LedgerStore {
  readonly #root: RootDatabase;
  /** Everything but the log lives in a second environment (state.mdb): checkpoints write many
   * pages, and in the log's environment every log commit waited behind those transactions and
   * their syncs, for up to hundreds of milliseconds. */
  readonly #stateRoot: RootDatabase;
  readonly #log: Database<Buffer, number>;
  readonly #meta: Database<CheckpointHeader, string>;
  /** Account chunks by chunk number (account-codec.ts). */
  readonly #accounts: Database<Buffer, number>;
  readonly #keys: LmdbKeyIndex;
  readonly #refunded: Database<bigint, number>;
  readonly #reconciled: Database<number, number>;
  readonly #durability: Durability;
  /** Groups handed to LMDB but not yet committed (durability 'none' answers before the commit). */
  readonly #uncommitted = new Map<number, readonly LogRecord[]>();
  /** A write that failed after durability 'none' had already answered; the next append throws it. */
  #asyncFailure: unknown = undefined;
  #lastSeq: number;
  /** Keys of the entries appended since open (the newest of them), and the newest ones' bytes. */
  readonly #recentEntries = new RecentEntryKeys();
  readonly #arena: EntryArena;
  /** Room for an entry: in the arena, or (no room there now) a buffer of its own. */
  readonly #allocate = (size: number): Buffer => this.#arena.take(size) ?? Buffer.allocUnsafe(size);

  constructor(options: LmdbStoreOptions) {
    this.#durability = options.durability;
    this.#arena = new EntryArena(options.entryArenaBytes ?? entryArenaBytes);
    this.#root = open({ path: join(options.directory, 'ledger.mdb'), maxDbs: 16, noSync: options.durability === 'none' });
    this.#log = this.#root.openDB({ name: 'log', encoding: 'binary' });
    this.#stateRoot = open({ path: join(options.directory, 'state.mdb'), maxDbs: 16, noSync: options.durability === 'none' });
    this.#meta = this.#stateRoot.openDB({ name: 'meta' });
    this.#accounts = this.#stateRoot.openDB({ name: 'account-chunks', encoding: 'binary' });
    this.#keys = new LmdbKeyIndex(this.#stateRoot);
    this.#refunded = this.#stateRoot.openDB({ name: 'refunded' });
    this.#reconciled = this.#stateRoot.openDB({ name: 'reconciled' });
    this.#lastSeq = this.#readLastSeq();
  }

  async appendGroup(records: readonly LogRecord[]): Promise<void> {
    const first = records[0];
    const last = records[records.length - 1];
    assert(first !== undefined && last !== undefined, 'a group holds records');
    if (this.#asyncFailure !== undefined) throw this.#asyncFailure;
    assert(first.seq === this.#lastSeq + 1, `log continues at ${this.#lastSeq + 1}, got ${first.seq}`);
    assert(last.seq - first.seq + 1 === records.length, 'a group is contiguous');
    this.#lastSeq = last.seq;
    this.#uncommitted.set(first.seq, records);
    // Stored in entries of at most logEntryRecordsMax records, so that reading one record back (a
    // replay) copies a few kilobytes, not a whole group. Puts of one event turn share a transaction
    // and commit in order; even split, every committed prefix of the log is valid.
    // Every put is awaited (together): one that failed unwatched would be an unhandled rejection.
    const puts: Array<Promise<boolean>> = [];
    const entries: Buffer[] = [];
    for (let from = 0; from < records.length; from += logEntryRecordsMax) {
      const to = Math.min(records.length, from + logEntryRecordsMax);
      const bytes = encodeGroup(records, from, to, this.#allocate);
      entries.push(bytes);
      puts.push(this.#log.put(first.seq + from, bytes));
      // Read only for committed records: until then findRecord answers from #uncommitted.
      const dropped = this.#recentEntries.push(first.seq + from, bytes);
      if (dropped !== undefined && this.#arena.holds(dropped)) this.#arena.dropped(dropped);
    }
    assert(puts.length > 0, 'a group writes at least one entry');
    const settled = Promise.all(puts).finally(() => this.#uncommitted.delete(first.seq));
    // lmdb-js has read the entries' bytes once they committed: the arena may reuse them then.
    // (A failed write fails the engine; its regions then stay in use, and new entries get buffers of their own.)
    settled.then(
      () => this.#committed(entries),
      () => undefined,
    );
    if (this.#durability === 'none') {
      settled.catch((error: unknown) => (this.#asyncFailure ??= error));
      return;
    }
    await settled;
    if (this.#durability === 'flush') await this.#root.flushed;
  }

  /** The arena may reuse committed entries' regions; a bug in their order fails the next append. */
  #committed(entries: readonly Buffer[]): void {
    try {
      for (const bytes of entries) if (this.#arena.holds(bytes)) this.#arena.committed(bytes);
    } catch (error) {
      this.#asyncFailure ??= error;
    }
  }

  lastSequence(): number {
    return this.#lastSeq;
  }

  *readAfter(after: number): Iterable<readonly LogRecord[]> {
    const start = this.#groupKeyAtOrBefore(after + 1) ?? after + 1;
    for (const { value } of this.#log.getRange({ start })) {
      const records = decodeGroup(value);
      yield records.filter((r) => r.seq > after);
    }
  }

  *readBackward(): Iterable<readonly LogRecord[]> {
    for (const { value } of this.#log.getRange({ reverse: true })) yield decodeGroup(value);
  }

  findRecord(seq: number): LogRecord | undefined {
    for (const [first, records] of this.#uncommitted) {
      if (seq >= first && seq < first + records.length) return records[seq - first];
    }
    // One search of the recent entries gives the key and, for the newest, the bytes.
    const recent = this.#recentEntries.indexAtOrBefore(seq);
    const key = recent >= 0 ? this.#recentEntries.keyAt(recent) : this.#diskKeyAtOrBefore(seq);
    if (key === undefined) return undefined;
    // A recent entry's own bytes, or a reusable buffer valid until the next read: either way the
    // record is decoded (copied out) at once.
    const bytes = this.#recentEntries.bytesAt(recent) ?? this.#log.getBinaryFast(key);
    if (bytes === undefined) return undefined;
    const record = decodeRecordAt(bytes, seq - key);
    if (record === undefined) return undefined;
    assert(record.seq === seq, 'log groups are contiguous');
    return record;
  }

  async writeCheckpoint(delta: CheckpointDelta, pause: Pause = nextTurn): Promise<void> {
    // The header must never outlive log records it counts: the two environments share no
    // transaction, and with durability 'none' the caller's watermark runs ahead of the log commit.
    await this.#root.committed;
    // Key-index entries first, as one run of sorted blocks; harmless should the header not follow.
    await this.#keys.writeRun(delta.idempotency, pause);
    const chunks = await this.#encodeAccounts(delta.accounts, pause);
    // batch(), not transaction(): the same atomic commit, but the puts are only queued here and run
    // on lmdb's writer thread, where a transaction callback would run every B-tree insert on ours.
    await this.#stateRoot.batch(() => {
      for (const [chunk, bytes] of chunks) void this.#accounts.put(chunk, bytes);
      for (const [seq, total] of delta.refunded) void this.#refunded.put(seq, total);
      for (const [mintSeq, recSeq] of delta.reconciled) void this.#reconciled.put(mintSeq, recSeq);
      void this.#meta.put(checkpointKey, delta.header);
    });
    if (this.#durability === 'flush') await this.#stateRoot.flushed;
    // After the header, so that the checkpoint is not held up by it; merges change no entry that holds.
    await this.#keys.compact(delta.header.writtenAt, pause);
  }

  async writeIdempotency(changes: () => KeyChanges | undefined, nowMs: number, pause: Pause = nextTurn): Promise<void> {
    // As in writeCheckpoint: no entry may name a log record that is not committed.
    await this.#root.committed;
    await this.#keys.writeRun(changes, pause);
    await this.#keys.compact(nowMs, pause);
  }

  loadCheckpoint(): CheckpointHeader | undefined {
    return this.#meta.get(checkpointKey);
  }

  *readAccounts(): Iterable<AccountSnapshot> {
    for (const { key, value } of this.#accounts.getRange()) yield* decodeAccountChunk(key, value);
  }

  /** Encodes the rows chunk by chunk, a slice of chunks per step. */
  async #encodeAccounts(rows: AccountRows, pause: Pause): Promise<Array<readonly [number, Buffer]>> {
    const chunks: Array<readonly [number, Buffer]> = [];
    for (let from = 0, turn = 0; from < rows.count; turn++) {
      let to = from + 1;
      const chunk = chunkOf(rows.slot[from] ?? 0);
      while (to < rows.count && chunkOf(rows.slot[to] ?? 0) === chunk) to++;
      chunks.push([chunk, encodeAccountChunk(rows, from, to)]);
      from = to;
      if (turn % accountChunksPerTurn === accountChunksPerTurn - 1) await pause();
    }
    return chunks;
  }

  getIdempotency(hash: number): readonly IdempotencyEntry[] {
    return this.#keys.get(hash);
  }

  getRefunded(paymentSeq: number): bigint | undefined {
    const total = this.#refunded.get(paymentSeq);
    return total === undefined ? undefined : BigInt(total);
  }

  getReconciled(mintSeq: number): number | undefined {
    return this.#reconciled.get(mintSeq);
  }

  idempotencyKeys(visit: (hash: number, expiresAt: number) => void): void {
    this.#keys.visitEntries(visit);
  }

  async close(): Promise<void> {
    await this.#root.flushed;
    await this.#stateRoot.flushed;
    await this.#root.close();
    await this.#stateRoot.close();
  }

  #groupKeyAtOrBefore(seq: number): number | undefined {
    return this.#recentEntries.atOrBefore(seq) ?? this.#diskKeyAtOrBefore(seq);
  }

  #diskKeyAtOrBefore(seq: number): number | undefined {
    for (const key of this.#log.getKeys({ start: seq, reverse: true, limit: 1 })) return key;
    return undefined;
  }

  #readLastSeq(): number {
    for (const { key, value } of this.#log.getRange({ reverse: true, limit: 1 })) {
      const records = decodeGroup(value);
      return key + records.length - 1;
    }
    return 0;
  }
}
