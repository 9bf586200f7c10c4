// The wire format of one batch between the main thread and a worker: parallel typed columns in a
// SharedArrayBuffer, so a batch of hundreds of operations costs one message and no per-operation
// objects, and the outputs of rows a worker finished survive that worker's death. Each shard owns
// one batch buffer (it has at most one batch in flight). Layout: a 32-byte header (count, capacity,
// executing thread row, dispatch token, finished flag, shard, two spare words), then amount i64,
// seq f64, at f64, key hash f64, key ref f64, then int32 columns.
import { assert } from '../domain/errors.js';

const headerBytes = 32;
const int32Columns = 9;
const float64Columns = 5;
const rowBytes = 8 * float64Columns + 4 * int32Columns;

export class Batch {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #header: Int32Array;
  /** Inputs. */
  readonly amount: BigInt64Array;
  readonly kind: Int32Array;
  readonly slot: Int32Array;
  readonly slot2: Int32Array;
  readonly chain: Int32Array;
  /** setState: the new state code. */
  readonly arg: Int32Array;
  /** The idempotency key's hash (0: none), what the worker does with it (keyMode), and for
   * keyMode.free the seq of the entry to free. */
  readonly keyHash: Float64Array;
  readonly keyMode: Int32Array;
  readonly keyRef: Float64Array;
  /** Outputs: wire code (0 ok), sequence number, apply time, retry hint, auxiliary value. */
  readonly code: Int32Array;
  readonly seq: Float64Array;
  readonly at: Float64Array;
  readonly retryAfterMs: Int32Array;
  /** setState: the previous state code. */
  readonly aux: Int32Array;

  static allocate(capacity: number): Batch {
    assert(Number.isInteger(capacity) && capacity > 0, 'batch capacity is a positive integer');
    const buffer = new SharedArrayBuffer(headerBytes + capacity * rowBytes);
    const batch = new Batch(buffer);
    batch.#header[1] = capacity;
    return batch;
  }

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#header = new Int32Array(buffer, 0, headerBytes / 4);
    const capacity = (buffer.byteLength - headerBytes) / rowBytes;
    assert(Number.isInteger(capacity) && capacity > 0, 'batch buffer size matches its layout');
    this.capacity = capacity;
    let offset = headerBytes;
    const f64 = (): Float64Array => new Float64Array(buffer, (offset += 8 * capacity) - 8 * capacity, capacity);
    const i32 = (): Int32Array => new Int32Array(buffer, (offset += 4 * capacity) - 4 * capacity, capacity);
    this.amount = new BigInt64Array(buffer, offset, capacity);
    offset += 8 * capacity;
    this.seq = f64();
    this.at = f64();
    this.keyHash = f64();
    this.keyRef = f64();
    this.kind = i32();
    this.slot = i32();
    this.slot2 = i32();
    this.chain = i32();
    this.arg = i32();
    this.code = i32();
    this.retryAfterMs = i32();
    this.aux = i32();
    this.keyMode = i32();
  }

  /** The shard whose queue this batch came from (its key table is the one the worker uses). */
  get shard(): number {
    return this.#header[5] ?? 0;
  }

  set shard(value: number) {
    assert(Number.isInteger(value) && value >= 0, 'a shard index is a natural number');
    this.#header[5] = value;
  }

  get count(): number {
    return this.#header[0] ?? 0;
  }

  set count(value: number) {
    assert(value >= 0 && value <= this.capacity, 'batch count within capacity');
    this.#header[0] = value;
  }

  /** The thread-table row of the worker executing this batch, -1 until one starts it. */
  get threadRow(): number {
    return Atomics.load(this.#header, 2);
  }

  set threadRow(row: number) {
    Atomics.store(this.#header, 2, row);
  }

  /** Distinguishes dispatches of the same buffer, so a stale thread record is never taken for this one. */
  get token(): number {
    return Atomics.load(this.#header, 3);
  }

  set token(value: number) {
    Atomics.store(this.#header, 3, value);
  }

  /**
   * Set by the worker once every row has its outputs, before it starts the next batch of the same
   * task: after a death, a batch whose thread row has moved on to a later batch is told apart from
   * one that never started.
   */
  get finished(): boolean {
    return Atomics.load(this.#header, 4) === 1;
  }

  set finished(value: boolean) {
    Atomics.store(this.#header, 4, value ? 1 : 0);
  }
}

/** What a worker does with a row's idempotency key. */
export const keyMode = {
  /** The row has no key (or the main thread keeps it: deposits). */
  none: 0,
  /** Probe the shard's key table first (replay, or ask the main thread); insert once applied. */
  probe: 1,
  /** The main thread settled the key (absent): insert once applied, do not probe. */
  insert: 2,
  /** A reconciliation: free the entry (keyHash, keyRef) once applied. */
  free: 3,
} as const;
