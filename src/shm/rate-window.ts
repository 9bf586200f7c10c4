// The exact per-account sliding-window mint limit, in shared memory. Accessed only under the account
// lock, so plain reads and writes suffice. The ring keeps the times of the accepted mints still
// inside the window, oldest first; times are ms mod 2^32 and compared by wrapping difference, which
// is exact because every live entry is within windowMs (<= 24 h) of the newest accepted mint, whose
// full-precision time is kept beside the ring.
import type { ShmLayout, ShmViews } from './layout.js';

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: ms until the oldest counted mint leaves the window. */
  readonly retryAfterMs: number;
}

const allowed: RateDecision = { allowed: true, retryAfterMs: 0 };

export class RateWindows {
  readonly #views: ShmViews;
  readonly #layout: ShmLayout;
  readonly #maxPerWindow: number;
  readonly #windowMs: number;

  constructor(views: ShmViews, layout: ShmLayout, maxPerWindow: number, windowMs: number) {
    this.#views = views;
    this.#layout = layout;
    this.#maxPerWindow = maxPerWindow;
    this.#windowMs = windowMs;
  }

  /**
   * Decides whether a mint at `nowMs` fits the window. Does not record it: call `record` once the
   * mint is certain to apply, so refused operations never count. Times are clamped to the newest
   * accepted mint, so the ring stays ordered even if the wall clock steps back.
   */
  check(slot: number, nowMs: number): RateDecision {
    const { i32, u32, f64 } = this.#views;
    const layout = this.#layout;
    const now = Math.max(nowMs, f64[layout.lastAcceptIndexF64(slot)] ?? 0);
    this.#expire(slot, now);
    const count = i32[layout.ringCountIndex32(slot)] ?? 0;
    if (count < this.#maxPerWindow) return allowed;
    const head = i32[layout.ringHeadIndex32(slot)] ?? 0;
    const oldest = u32[layout.ringIndex32(slot) + head] ?? 0;
    const ageMs = (toWrapped(now) - oldest) >>> 0;
    return { allowed: false, retryAfterMs: Math.max(1, this.#windowMs - ageMs) };
  }

  record(slot: number, nowMs: number): void {
    const { i32, u32, f64 } = this.#views;
    const layout = this.#layout;
    const lastIndex = layout.lastAcceptIndexF64(slot);
    const now = Math.max(nowMs, f64[lastIndex] ?? 0);
    const headIndex = layout.ringHeadIndex32(slot);
    const countIndex = layout.ringCountIndex32(slot);
    const count = i32[countIndex] ?? 0;
    if (count >= this.#maxPerWindow) throw new Error('shardmint internal assertion failed: rate ring overfilled');
    const tail = ((i32[headIndex] ?? 0) + count) % this.#maxPerWindow;
    u32[layout.ringIndex32(slot) + tail] = toWrapped(now);
    i32[countIndex] = count + 1;
    f64[lastIndex] = now;
  }

  /** Repair of a dead thread's mint: puts the ring back as it was before that mint. */
  restore(slot: number, head: number, count: number, lastAcceptMs: number): void {
    const { i32, f64 } = this.#views;
    i32[this.#layout.ringHeadIndex32(slot)] = head;
    i32[this.#layout.ringCountIndex32(slot)] = count;
    f64[this.#layout.lastAcceptIndexF64(slot)] = lastAcceptMs;
  }

  /** Accepted mints currently inside the window ending at `nowMs` (for tests and inspection). */
  countInWindow(slot: number, nowMs: number): number {
    this.#expire(slot, Math.max(nowMs, this.#views.f64[this.#layout.lastAcceptIndexF64(slot)] ?? 0));
    return this.#views.i32[this.#layout.ringCountIndex32(slot)] ?? 0;
  }

  #expire(slot: number, now: number): void {
    const { i32, u32, f64 } = this.#views;
    const layout = this.#layout;
    const headIndex = layout.ringHeadIndex32(slot);
    const countIndex = layout.ringCountIndex32(slot);
    if (now - (f64[layout.lastAcceptIndexF64(slot)] ?? 0) >= this.#windowMs) {
      i32[countIndex] = 0; // the newest is outside the window, so every entry is
      return;
    }
    const ring = layout.ringIndex32(slot);
    const wrappedNow = toWrapped(now);
    let head = i32[headIndex] ?? 0;
    let count = i32[countIndex] ?? 0;
    // Bounded by the ring size.
    while (count > 0 && ((wrappedNow - (u32[ring + head] ?? 0)) >>> 0) >= this.#windowMs) {
      head = (head + 1) % this.#maxPerWindow;
      count--;
    }
    i32[headIndex] = head;
    i32[countIndex] = count;
  }
}

function toWrapped(ms: number): number {
  return Math.floor(ms) % 4294967296;
}
