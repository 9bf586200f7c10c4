// Memory for encoding log entries, reused in a circle instead of a fresh buffer per entry. Fresh
// buffers were ~18 MB a second of memory outside the JavaScript heap, and V8 answers that much
// outside memory with a full mark-compact of the main thread's heap every few hundred milliseconds
// (pauses of 3 - 13 ms, every call in flight held up). lmdb-js reads a value from its buffer when
// its transaction commits, not when put() is called, and the ring of recent entries decodes replays
// from the same bytes, so a region is reused only once both are done with it: its entry committed,
// and dropped from the ring. Regions are handed out, committed and dropped in the same order (the
// order of the log), so two counters say which are done. When the next region would overlap one
// still in use (a long stall of the disk, or entries larger than the arena holds), take() answers
// undefined and the caller allocates a buffer of its own: never a wait, never an overwrite.
import { assert } from '../domain/errors.js';

/** Regions tracked at most: well over the ring's 1,024 entries plus the entries awaiting a commit. */
const regionsLog2 = 13;

export class EntryArena {
  readonly #memory: Buffer;
  /** Each region's start, by its number modulo the size of this ring. */
  readonly #starts: Float64Array;
  readonly #mask: number;
  /** Regions numbered in the order handed out: [#oldest, #taken) are in use. */
  #oldest = 0;
  #taken = 0;
  /** Regions whose entry committed, and regions the ring dropped: prefixes of those handed out. */
  #committed = 0;
  #dropped = 0;
  /** Where the next region starts. */
  #next = 0;

  constructor(bytes: number) {
    assert(Number.isSafeInteger(bytes), 'an entry arena has a whole number of bytes');
    assert(bytes >= 1024, 'an entry arena holds a kilobyte or more');
    this.#memory = Buffer.alloc(bytes);
    this.#starts = new Float64Array(2 ** regionsLog2);
    this.#mask = this.#starts.length - 1;
  }

  /** Whether `bytes` were handed out by this arena (else the caller allocated them itself). */
  holds(bytes: Uint8Array): boolean {
    return bytes.buffer === this.#memory.buffer;
  }

  /** `size` bytes that no region in use overlaps, or undefined when there is no such room now. */
  take(size: number): Buffer | undefined {
    assert(Number.isSafeInteger(size), 'a region has a whole number of bytes');
    assert(size > 0, 'a region has a size');
    this.#reclaim();
    if (this.#taken - this.#oldest > this.#mask) return undefined;
    const start = this.#startFor(size);
    if (start < 0) return undefined;
    const at = this.#taken++ & this.#mask;
    this.#starts[at] = start;
    this.#next = start + size;
    return this.#memory.subarray(start, start + size);
  }

  /** The oldest region not yet committed has committed (`bytes` are its entry's, or a prefix). */
  committed(bytes: Uint8Array): void {
    assert(this.#committed < this.#taken, 'a region commits after it is handed out');
    assert(bytes.byteOffset === this.#memory.byteOffset + (this.#starts[this.#committed & this.#mask] ?? -1), 'regions commit in the order handed out');
    this.#committed++;
  }

  /** The ring of recent entries dropped the oldest region it held (`bytes` are its entry's). */
  dropped(bytes: Uint8Array): void {
    assert(this.#dropped < this.#taken, 'a region is dropped after it is handed out');
    assert(bytes.byteOffset === this.#memory.byteOffset + (this.#starts[this.#dropped & this.#mask] ?? -1), 'regions are dropped in the order handed out');
    this.#dropped++;
  }

  /** Regions in use (for tests). */
  get inUse(): number {
    this.#reclaim();
    return this.#taken - this.#oldest;
  }

  #reclaim(): void {
    const done = Math.min(this.#committed, this.#dropped);
    if (done > this.#oldest) this.#oldest = done;
    if (this.#oldest === this.#taken) this.#next = 0;
  }

  /** Where a region of `size` bytes can start without overlapping the regions in use, or -1. */
  #startFor(size: number): number {
    const length = this.#memory.length;
    if (this.#oldest === this.#taken) return size <= length ? 0 : -1;
    const head = this.#starts[this.#oldest & this.#mask] ?? 0;
    // In use: from head up to #next, circularly. Free: after #next, then (wrapped) before head.
    if (this.#next > head) {
      if (this.#next + size <= length) return this.#next;
      return size <= head ? 0 : -1;
    }
    return this.#next + size <= head ? this.#next : -1;
  }
}
