// The store port: one interface, two implementations (LMDB here, the pure-TypeScript store in
// native-free/), one conformance suite (conformance.ts). Only appendGroup is on the commit path;
// everything derived from the log is written in bulk by writeCheckpoint, off that path.
import type { LogRecord } from '../domain/log-record.js';

export type Durability = 'flush' | 'commit' | 'none';

export interface AccountSnapshot {
  readonly slot: number;
  readonly id: string;
  readonly balance: bigint;
  readonly stateCode: number;
}

/** Accounts are checkpointed by chunks of this many consecutive slots. */
export const accountChunkSlots = 256;

/**
 * Account rows as columns, slots ascending: a snapshot taken without an object per account. A
 * checkpoint's rows cover whole chunks: every account of each chunk of accountChunkSlots slots it
 * touches, so a store may write a chunk without reading the one it replaces.
 */
export interface AccountRows {
  readonly count: number;
  readonly slot: Int32Array;
  readonly balance: BigInt64Array;
  readonly stateCode: Uint8Array;
  readonly id: readonly string[];
}

export interface CheckpointHeader {
  /** Every log record with seq <= this is reflected in the checkpoint. */
  readonly seq: number;
  readonly supply: bigint;
  readonly reserves: bigint;
  readonly clearing: bigint;
  readonly chainSupply: Readonly<Record<string, bigint>>;
  readonly accountCount: number;
  readonly writtenAt: number;
}

/**
 * A written idempotency key, stored under its 53-bit key hash (domain/key-hash.ts): the log record
 * it names, and when it expires. The key and fingerprint are read from that record when needed, so
 * they are not stored twice; several keys can share a hash, so a hash can hold several entries.
 */
export interface IdempotencyEntry {
  readonly seq: number;
  readonly expiresAt: number;
}

/**
 * Key-index changes as columns (cheap to build and to hand on); a NaN expiry deletes (hash, seq).
 * Entries [0, count) are the changes: the arrays may be longer.
 */
export interface KeyChanges {
  readonly count: number;
  readonly hash: Float64Array;
  readonly seq: Float64Array;
  readonly expiresAt: Float64Array;
}

/** What changed since the previous checkpoint, written in one atomic transaction. */
export interface CheckpointDelta {
  readonly header: CheckpointHeader;
  readonly accounts: AccountRows;
  /**
   * Index entries to write, pulled slice by slice until it returns undefined (the engine walks its
   * key table a range at a time); a NaN expiry deletes the entry (freed by reconciliation or expired).
   * A slice is valid until the next pull (the engine reuses its arrays), so copy what you keep.
   */
  readonly idempotency: () => KeyChanges | undefined;
  readonly refunded: ReadonlyArray<readonly [paymentSeq: number, total: bigint]>;
  readonly reconciled: ReadonlyArray<readonly [mintSeq: number, reconcileSeq: number]>;
}

/**
 * Awaited between the steps of a write that run on the caller's thread (a slice of keys taken,
 * sorted, encoded or compacted): the next event-loop turn by default; the engine may wait longer, so
 * that the write's work is spread thinner over time (write-pacer.ts).
 */
export type Pause = () => Promise<void>;

export interface LedgerStore {
  /** Appends records (contiguous, ascending seq, continuing the log) as one atomic group; resolves per durability. */
  appendGroup(records: readonly LogRecord[]): Promise<void>;
  /** Highest seq in the log, 0 when empty. */
  lastSequence(): number;
  /** Records with seq > after, in order, group by group. */
  readAfter(after: number): Iterable<readonly LogRecord[]>;
  /** Groups from the newest backwards. */
  readBackward(): Iterable<readonly LogRecord[]>;
  findRecord(seq: number): LogRecord | undefined;

  /**
   * Writes a checkpoint; resolves once durable. Accounts, totals and the header are one atomic
   * write. Index entries may go first, in several smaller writes (so the caller's thread is never
   * held long): any of them landing without the header is harmless, since each one names a record
   * that is already durable and recovery writes it again.
   */
  writeCheckpoint(delta: CheckpointDelta, pause?: Pause): Promise<void>;
  /**
   * Writes index entries alone, between checkpoints (pulled as CheckpointDelta.idempotency), and
   * resolves once they are committed and readable. No header: like the index entries a checkpoint
   * writes first, each names a durable record, and recovery replays the log after the last header
   * anyway. `nowMs` is the time by which the store may drop expired entries.
   */
  writeIdempotency(changes: () => KeyChanges | undefined, nowMs: number, pause?: Pause): Promise<void>;
  loadCheckpoint(): CheckpointHeader | undefined;
  readAccounts(): Iterable<AccountSnapshot>;
  /**
   * The entries under a key hash (usually none or one), ascending by seq. Entries past their expiry
   * may still be returned (the caller checks); a store drops them in its own time.
   */
  getIdempotency(hash: number): readonly IdempotencyEntry[];
  getRefunded(paymentSeq: number): bigint | undefined;
  getReconciled(mintSeq: number): number | undefined;
  /**
   * Visits the hash and expiry of every written idempotency entry, to seed the engine's filter at
   * open: a hash may come more than once, and a deleted or expired entry may still come (a superset;
   * a deleted one with the expiry it was written with, never NaN).
   */
  idempotencyKeys(visit: (hash: number, expiresAt: number) => void): void;

  close(): Promise<void>;
}
