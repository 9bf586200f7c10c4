// The thread table: one 256-byte row per live worker thread, claimed when the thread starts. The first
// 128 bytes are the thread's in-flight record (what it is doing, with before-images), the last 128 its
// lock metrics. Only the owning thread writes its row; the main thread reads it to repair the work of
// a thread that died, and to build the wait-for graph.
//
// Progress is one Int32 word, (row << 3) | status, so a reader never sees a row number from one step
// with a status from another. Status order: a thread writes before-images before CHECKING, seq and
// time before COMMITTED, and outputs before DONE; it releases its locks only after DONE.
import type { ShmLayout, ShmViews } from './layout.js';

export const threadStatus = {
  idle: 0, // not in a batch
  inBatch: 1, // between operations; rows <= row are finished
  locking: 2, // taking the locks of `row`; nothing written
  checking: 3, // locks held, before-images recorded; nothing written but counter reservations
  committed: 4, // seq and time recorded; account writes may be partial
  done: 5, // `row` finished and its outputs written
} as const;

/** Lock-wait histogram bucket upper bounds, in microseconds (the last bucket is open). */
export const waitBucketsUs = [10, 100, 1_000, 10_000, 100_000, 1_000_000] as const;

// Int32 word offsets within a row.
const i32Offset = { owner: 0, threadId: 1, progress: 2, batchToken: 3, slotA: 4, slotB: 5, stateA: 6, ringHead: 7, ringCount: 8, waitingOn: 9, waitEpoch: 10 } as const;
// Float64 offsets within a row (byte offset / 8).
const f64Offset = { seq: 6, at: 7, lastAccept: 8, acquisitions: 16, contended: 17, timeouts: 18, waitTotalUs: 19, waitMaxUs: 20, bucketsFirst: 21 } as const;
// BigInt64 offsets within a row (byte offset / 8).
const i64Offset = { balanceA: 9, balanceB: 10 } as const;

const ownerFree = 0;

export interface ThreadRecord {
  readonly row: number;
  readonly threadId: number;
  readonly progressRow: number;
  readonly status: number;
  readonly batchToken: number;
  readonly slotA: number;
  readonly slotB: number;
  readonly stateA: number;
  readonly ringHead: number;
  readonly ringCount: number;
  readonly lastAccept: number;
  readonly seq: number;
  readonly at: number;
  readonly balanceA: bigint;
  readonly balanceB: bigint;
}

export interface LockMetrics {
  acquisitions: number;
  contended: number;
  timeouts: number;
  waitTotalUs: number;
  waitMaxUs: number;
  waitBuckets: number[];
}

export class ThreadTable {
  readonly #views: ShmViews;
  readonly #layout: ShmLayout;

  constructor(views: ShmViews, layout: ShmLayout) {
    this.#views = views;
    this.#layout = layout;
  }

  get rows(): number {
    return this.#layout.threadsMax;
  }

  /** Worker side: claims a free row for this thread. */
  claim(threadId: number): ThreadRow {
    const i32 = this.#views.i32;
    for (let row = 0; row < this.#layout.threadsMax; row++) {
      const index = this.#i32(row, i32Offset.owner);
      if (Atomics.compareExchange(i32, index, ownerFree, threadId + 1) === ownerFree) {
        const claimed = new ThreadRow(this.#views, this.#layout, row);
        claimed.reset(threadId);
        return claimed;
      }
    }
    throw new Error(`shardmint: all ${this.#layout.threadsMax} thread-table rows are in use`);
  }

  /** The row a live or dead-pending thread owns, or -1. */
  rowOfThread(threadId: number): number {
    for (let row = 0; row < this.#layout.threadsMax; row++) {
      const owner = Atomics.load(this.#views.i32, this.#i32(row, i32Offset.owner));
      if (owner !== ownerFree && Atomics.load(this.#views.i32, this.#i32(row, i32Offset.threadId)) === threadId) return row;
    }
    return -1;
  }

  isClaimed(row: number): boolean {
    return Atomics.load(this.#views.i32, this.#i32(row, i32Offset.owner)) !== ownerFree;
  }

  free(row: number): void {
    Atomics.store(this.#views.i32, this.#i32(row, i32Offset.progress), threadStatus.idle);
    Atomics.store(this.#views.i32, this.#i32(row, i32Offset.waitingOn), -1);
    Atomics.store(this.#views.i32, this.#i32(row, i32Offset.owner), ownerFree);
  }

  read(row: number): ThreadRecord {
    const { i32, f64, i64 } = this.#views;
    const progress = Atomics.load(i32, this.#i32(row, i32Offset.progress));
    const base32 = this.#i32(row, 0);
    const base64 = this.#layout.threadRowByteOffset(row) / 8;
    return {
      row,
      threadId: i32[base32 + i32Offset.threadId] ?? -1,
      progressRow: progress >> 3,
      status: progress & 7,
      batchToken: i32[base32 + i32Offset.batchToken] ?? -1,
      slotA: i32[base32 + i32Offset.slotA] ?? -1,
      slotB: i32[base32 + i32Offset.slotB] ?? -1,
      stateA: i32[base32 + i32Offset.stateA] ?? 0,
      ringHead: i32[base32 + i32Offset.ringHead] ?? 0,
      ringCount: i32[base32 + i32Offset.ringCount] ?? 0,
      lastAccept: f64[base64 + f64Offset.lastAccept] ?? 0,
      seq: f64[base64 + f64Offset.seq] ?? 0,
      at: f64[base64 + f64Offset.at] ?? 0,
      balanceA: i64[base64 + i64Offset.balanceA] ?? 0n,
      balanceB: i64[base64 + i64Offset.balanceB] ?? 0n,
    };
  }

  /** The account slot a thread waits on, its wait epoch and its thread id; slot -1 when not waiting. */
  waitOf(row: number): { slot: number; epoch: number; threadId: number } {
    const i32 = this.#views.i32;
    return {
      slot: Atomics.load(i32, this.#i32(row, i32Offset.waitingOn)),
      epoch: Atomics.load(i32, this.#i32(row, i32Offset.waitEpoch)),
      threadId: Atomics.load(i32, this.#i32(row, i32Offset.threadId)),
    };
  }

  /** Lock metrics summed over every row (rows keep their counts across the threads that used them). */
  lockMetrics(): LockMetrics {
    const f64 = this.#views.f64;
    const total: LockMetrics = { acquisitions: 0, contended: 0, timeouts: 0, waitTotalUs: 0, waitMaxUs: 0, waitBuckets: new Array<number>(waitBucketsUs.length + 1).fill(0) };
    for (let row = 0; row < this.#layout.threadsMax; row++) {
      const base = this.#layout.threadRowByteOffset(row) / 8;
      total.acquisitions += f64[base + f64Offset.acquisitions] ?? 0;
      total.contended += f64[base + f64Offset.contended] ?? 0;
      total.timeouts += f64[base + f64Offset.timeouts] ?? 0;
      total.waitTotalUs += f64[base + f64Offset.waitTotalUs] ?? 0;
      total.waitMaxUs = Math.max(total.waitMaxUs, f64[base + f64Offset.waitMaxUs] ?? 0);
      for (let b = 0; b <= waitBucketsUs.length; b++) {
        total.waitBuckets[b] = (total.waitBuckets[b] ?? 0) + (f64[base + f64Offset.bucketsFirst + b] ?? 0);
      }
    }
    return total;
  }

  #i32(row: number, offset: number): number {
    return this.#layout.threadRowByteOffset(row) / 4 + offset;
  }
}

/** One thread's own row: written only by that thread. */
export class ThreadRow {
  readonly row: number;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  readonly #i64: BigInt64Array;
  readonly #base32: number;
  readonly #base64: number;

  constructor(views: ShmViews, layout: ShmLayout, row: number) {
    this.row = row;
    this.#i32 = views.i32;
    this.#f64 = views.f64;
    this.#i64 = views.i64;
    this.#base32 = layout.threadRowByteOffset(row) / 4;
    this.#base64 = layout.threadRowByteOffset(row) / 8;
  }

  reset(threadId: number): void {
    this.#i32[this.#base32 + i32Offset.threadId] = threadId;
    this.#i32[this.#base32 + i32Offset.waitingOn] = -1;
    Atomics.store(this.#i32, this.#base32 + i32Offset.progress, threadStatus.idle);
  }

  startBatch(token: number): void {
    this.#i32[this.#base32 + i32Offset.batchToken] = token;
    this.progress(-1, threadStatus.inBatch);
  }

  progress(row: number, status: number): void {
    Atomics.store(this.#i32, this.#base32 + i32Offset.progress, (row << 3) | status);
  }

  lockIntent(slotA: number, slotB: number): void {
    this.#i32[this.#base32 + i32Offset.slotA] = slotA;
    this.#i32[this.#base32 + i32Offset.slotB] = slotB;
  }

  beforeImages(balanceA: bigint, balanceB: bigint, stateA: number, ringHead: number, ringCount: number, lastAccept: number): void {
    this.#i64[this.#base64 + i64Offset.balanceA] = balanceA;
    this.#i64[this.#base64 + i64Offset.balanceB] = balanceB;
    this.#i32[this.#base32 + i32Offset.stateA] = stateA;
    this.#i32[this.#base32 + i32Offset.ringHead] = ringHead;
    this.#i32[this.#base32 + i32Offset.ringCount] = ringCount;
    this.#f64[this.#base64 + f64Offset.lastAccept] = lastAccept;
  }

  commit(seq: number, at: number): void {
    this.#f64[this.#base64 + f64Offset.seq] = seq;
    this.#f64[this.#base64 + f64Offset.at] = at;
  }

  /** Publishes the account slot this thread is about to wait for (-1: no longer waiting). */
  waitingOn(slot: number): void {
    if (slot >= 0) Atomics.add(this.#i32, this.#base32 + i32Offset.waitEpoch, 1);
    Atomics.store(this.#i32, this.#base32 + i32Offset.waitingOn, slot);
  }

  noteAcquired(): void {
    this.#f64[this.#base64 + f64Offset.acquisitions] = (this.#f64[this.#base64 + f64Offset.acquisitions] ?? 0) + 1;
  }

  noteWait(waitUs: number, timedOut: boolean): void {
    const f64 = this.#f64;
    const base = this.#base64;
    f64[base + f64Offset.contended] = (f64[base + f64Offset.contended] ?? 0) + 1;
    if (timedOut) f64[base + f64Offset.timeouts] = (f64[base + f64Offset.timeouts] ?? 0) + 1;
    f64[base + f64Offset.waitTotalUs] = (f64[base + f64Offset.waitTotalUs] ?? 0) + waitUs;
    f64[base + f64Offset.waitMaxUs] = Math.max(f64[base + f64Offset.waitMaxUs] ?? 0, waitUs);
    let bucket = 0;
    while (bucket < waitBucketsUs.length && waitUs > (waitBucketsUs[bucket] ?? 0)) bucket++;
    f64[base + f64Offset.bucketsFirst + bucket] = (f64[base + f64Offset.bucketsFirst + bucket] ?? 0) + 1;
  }
}
