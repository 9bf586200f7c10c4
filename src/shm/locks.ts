// Atomics account locks. The lock word holds the owner's threadId (so a dead owner can be identified)
// shifted left by one, and a waiters bit so that release only pays for Atomics.notify when someone
// may sleep. Acquisition: compare-and-swap fast path, a short spin, then Atomics.wait in bounded
// slices until lockTimeoutMs. Atomics operations are sequentially consistent, so plain writes made
// under the lock are visible to the next owner after its successful compareExchange.
import { assert } from '../domain/errors.js';
import type { ThreadRow } from './thread-table.js';

const spinCount = 64;
const waitSliceMs = 50;
const waitersBit = 1;

export class AccountLocks {
  readonly #i32: Int32Array;
  readonly #ownerWord: number;
  readonly #row: ThreadRow | undefined;

  /** `row`, when given, receives the lock metrics and the published waits of this thread. */
  constructor(i32: Int32Array, ownerThreadId: number, row?: ThreadRow) {
    assert(Number.isInteger(ownerThreadId) && ownerThreadId >= 0, 'lock owner is a thread id');
    this.#i32 = i32;
    this.#ownerWord = (ownerThreadId + 1) << 1;
    this.#row = row;
  }

  /**
   * Returns false when the lock was not acquired before the deadline (performance.now() ms).
   * `slot` names the account for the wait-for graph.
   */
  acquire(index: number, deadlineMs: number, slot = -1): boolean {
    const i32 = this.#i32;
    if (Atomics.compareExchange(i32, index, 0, this.#ownerWord) === 0) return this.#acquired();
    for (let spin = 0; spin < spinCount; spin++) {
      if (Atomics.load(i32, index) === 0 && Atomics.compareExchange(i32, index, 0, this.#ownerWord) === 0) return this.#acquired();
    }
    const started = performance.now();
    this.#row?.waitingOn(slot);
    const acquired = this.#acquireSlow(index, deadlineMs);
    this.#row?.waitingOn(-1);
    this.#row?.noteWait((performance.now() - started) * 1000, !acquired);
    return acquired ? this.#acquired() : false;
  }

  #acquired(): true {
    this.#row?.noteAcquired();
    return true;
  }

  #acquireSlow(index: number, deadlineMs: number): boolean {
    const i32 = this.#i32;
    // Bounded: each round either takes the lock, or sleeps until notified or a slice passes.
    for (;;) {
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) return false;
      const seen = Atomics.load(i32, index);
      // A waiter that takes the lock keeps the waiters bit: others may still sleep on it.
      if (seen === 0 && Atomics.compareExchange(i32, index, 0, this.#ownerWord | waitersBit) === 0) return true;
      if (seen !== 0 && (seen & waitersBit) === 0) {
        if (Atomics.compareExchange(i32, index, seen, seen | waitersBit) !== seen) continue;
      }
      if (seen !== 0) Atomics.wait(i32, index, seen | waitersBit, Math.min(remainingMs, waitSliceMs));
    }
  }

  release(index: number): void {
    const previous = Atomics.exchange(this.#i32, index, 0);
    assert((previous & ~waitersBit) === this.#ownerWord, 'a lock is released by its owner only');
    if ((previous & waitersBit) !== 0) Atomics.notify(this.#i32, index, 1);
  }
}

/** The threadId recorded in a lock word, or -1 when the lock is free. */
export function lockOwnerThreadId(word: number): number {
  return word === 0 ? -1 : (word >>> 1) - 1;
}

/**
 * Main thread, repairing a dead thread: frees a lock only if that thread still owns it, and wakes
 * every waiter (each retries its compare-and-swap).
 */
export function releaseIfOwnedBy(i32: Int32Array, index: number, deadThreadId: number): boolean {
  const word = Atomics.load(i32, index);
  if (word === 0 || lockOwnerThreadId(word) !== deadThreadId) return false;
  if (Atomics.compareExchange(i32, index, word, 0) !== word) return false;
  Atomics.notify(i32, index);
  return true;
}
