// The one place that names every shared-memory slot and its byte offset. Main thread and workers
// compute the same layout from the same parameters, so an offset can never disagree between threads.
//
//  [global counters, one per 64-byte line] [thread table, 256 bytes per row] [accounts, stride each]
//
// Thread-table rows are laid out in thread-table.ts.
//
// Per account (stride is a multiple of 8):
//   +0  balance        BigInt64   written only under the account lock
//   +8  lock word      Int32      0 = free, else (owner threadId << 1) | waiters bit
//   +12 state          Int32      account state code
//   +16 last accept    Float64    full-precision ms of the newest accepted mint
//   +24 ring head      Int32      index of the oldest live timestamp
//   +28 ring count     Int32      live timestamps in the ring
//   +32 ring           Uint32[maxPerWindow]  accepted-mint times, ms mod 2^32
import { chainsMax, workersMax } from '../domain/limits.js';

export const cacheLineBytes = 64;
export const threadRowBytes = 256;

/** Global counters, one per cache line against false sharing between threads. */
export const globalSlot = {
  sequence: 0, // next operation sequence number minus one (Atomics.add returns the previous value)
  supply: 1, // total minted minus burned
  reserves: 2, // deposited reserves
  clearing: 3, // balance of the payments clearing account: paid minus refunded
  durableSequence: 4, // the durable watermark, published by the main thread
  faultKillsLeft: 5, // fault injection: worker deaths still to inject
  chainSupplyFirst: 6, // chainsMax lines: supply per chain
} as const;

export interface LayoutParams {
  readonly maxAccounts: number;
  readonly maxPerWindow: number;
}

export class ShmLayout {
  readonly maxAccounts: number;
  readonly ringSize: number;
  readonly accountStrideBytes: number;
  readonly threadTableOffset: number;
  readonly threadsMax: number;
  readonly accountsOffset: number;
  readonly totalBytes: number;

  constructor(params: LayoutParams) {
    this.maxAccounts = params.maxAccounts;
    this.ringSize = params.maxPerWindow;
    this.accountStrideBytes = align(32 + 4 * params.maxPerWindow, 8);
    const globalLines = globalSlot.chainSupplyFirst + chainsMax;
    this.threadTableOffset = globalLines * cacheLineBytes;
    // Piscina may replace dead threads; room for twice the worker limit plus the main thread.
    this.threadsMax = workersMax * 2 + 1;
    this.accountsOffset = this.threadTableOffset + this.threadsMax * threadRowBytes;
    this.totalBytes = this.accountsOffset + this.maxAccounts * this.accountStrideBytes;
  }

  /** BigInt64 index of a global counter. */
  globalIndex64(slot: number): number {
    return (slot * cacheLineBytes) / 8;
  }

  chainSupplyIndex64(chainIndex: number): number {
    return this.globalIndex64(globalSlot.chainSupplyFirst + chainIndex);
  }

  threadRowByteOffset(row: number): number {
    return this.threadTableOffset + row * threadRowBytes;
  }

  accountByteOffset(slot: number): number {
    return this.accountsOffset + slot * this.accountStrideBytes;
  }

  balanceIndex64(slot: number): number {
    return this.accountByteOffset(slot) / 8;
  }

  lockIndex32(slot: number): number {
    return (this.accountByteOffset(slot) + 8) / 4;
  }

  stateIndex32(slot: number): number {
    return (this.accountByteOffset(slot) + 12) / 4;
  }

  lastAcceptIndexF64(slot: number): number {
    return (this.accountByteOffset(slot) + 16) / 8;
  }

  ringHeadIndex32(slot: number): number {
    return (this.accountByteOffset(slot) + 24) / 4;
  }

  ringCountIndex32(slot: number): number {
    return (this.accountByteOffset(slot) + 28) / 4;
  }

  ringIndex32(slot: number): number {
    return (this.accountByteOffset(slot) + 32) / 4;
  }
}

/** Typed views over one SharedArrayBuffer; all share the same memory. */
export interface ShmViews {
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly i64: BigInt64Array;
  readonly f64: Float64Array;
}

export function createViews(buffer: SharedArrayBuffer): ShmViews {
  return {
    i32: new Int32Array(buffer),
    u32: new Uint32Array(buffer),
    i64: new BigInt64Array(buffer),
    f64: new Float64Array(buffer),
  };
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
