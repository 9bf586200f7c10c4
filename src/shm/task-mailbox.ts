// The mailbox between the main thread and one resident worker task (engine/worker-channel.ts): a
// word counting the tasks posted, which the main thread raises and the worker follows, and the list
// of the current task's shards. Either side may close the mailbox by writing `closedMark` into that
// word: the main thread when it stops, the worker when no task came for a while. Both change the word
// only by compare-and-swap, so a task posted at the moment the worker closes is never lost: either
// the post lands first (the worker's close fails, and it runs the task) or the close does (the post
// fails, and the main thread starts a new resident task for it).
//
// Memory ordering: the main thread writes the shard list with plain stores and then raises the word
// with a compare-and-swap; the worker reads the word with Atomics.load and only then the list. Atomics
// operations are sequentially consistent and order the plain accesses around them, so a worker that
// has seen task n reads task n's list. The main thread posts a task only after the previous one's
// answer, so the worker never reads a list while it is rewritten.
import { assert } from '../domain/errors.js';

const postedIndex = 0;
const countIndex = 1;
const listIndex = 2;
export const closedMark = -1;
/** Task numbers stay non-negative (closedMark is -1): they wrap from 2^30 - 1 back to 1. */
const taskNumberMax = 2 ** 30 - 1;
const closeAttemptsMax = 4;

export class TaskMailbox {
  readonly words: Int32Array;
  readonly #listMax: number;

  /** A new mailbox for tasks of up to `listMax` shards, or one over an existing block (a worker's). */
  constructor(listMaxOrBuffer: number | SharedArrayBuffer) {
    if (typeof listMaxOrBuffer === 'number') {
      assert(Number.isInteger(listMaxOrBuffer) && listMaxOrBuffer > 0, 'a task lists at least one shard');
      this.words = new Int32Array(new SharedArrayBuffer(4 * (listIndex + listMaxOrBuffer)));
    } else {
      this.words = new Int32Array(listMaxOrBuffer);
    }
    this.#listMax = this.words.length - listIndex;
    assert(this.#listMax > 0, 'a mailbox holds a shard list');
  }

  /** The number of the last task posted, or closedMark. */
  posted(): number {
    return Atomics.load(this.words, postedIndex);
  }

  /**
   * Main thread, for a new resident task: the mailbox starts over holding `shards` as task 1. Only
   * while no resident task reads it (none started yet, or the last one closed it or died).
   */
  reset(shards: readonly number[]): number {
    this.#writeList(shards);
    Atomics.store(this.words, postedIndex, 1);
    return 1;
  }

  /**
   * Main thread: posts a task of `shards` and wakes the worker if it sleeps. Returns the task's
   * number, or undefined if the mailbox is closed (no resident task will read it).
   */
  post(shards: readonly number[]): number | undefined {
    const last = this.posted();
    if (last === closedMark) return undefined;
    this.#writeList(shards);
    const next = last === taskNumberMax ? 1 : last + 1;
    // Only the worker changes the word besides this thread, and only to close it.
    if (Atomics.compareExchange(this.words, postedIndex, last, next) !== last) return undefined;
    Atomics.notify(this.words, postedIndex, 1);
    return next;
  }

  /** Main thread: closes the mailbox and wakes the worker, which returns after its current task. */
  close(): void {
    for (let attempt = 0; attempt < closeAttemptsMax; attempt++) {
      const last = this.posted();
      if (last === closedMark || Atomics.compareExchange(this.words, postedIndex, last, closedMark) === last) break;
    }
    assert(this.posted() === closedMark, 'the mailbox closes: only one other writer, which only closes it');
    Atomics.notify(this.words, postedIndex, 1);
  }

  /**
   * Worker: waits up to `timeoutMs` for a task after `seen`. Returns the new task's number, `seen`
   * if none came, or closedMark once the main thread has closed the mailbox.
   */
  wait(seen: number, timeoutMs: number): number {
    const now = this.posted();
    if (now !== seen) return now;
    Atomics.wait(this.words, postedIndex, seen, timeoutMs);
    return this.posted();
  }

  /** Worker: closes the mailbox unless a task came after `seen`; returns whether it closed it. */
  tryCloseAfter(seen: number): boolean {
    return Atomics.compareExchange(this.words, postedIndex, seen, closedMark) === seen;
  }

  /** Worker: the shards of the task it has just seen posted. */
  shards(): number[] {
    const count = this.words[countIndex] ?? 0;
    assert(count > 0 && count <= this.#listMax, 'a posted task lists its shards');
    return Array.from(this.words.subarray(listIndex, listIndex + count));
  }

  #writeList(shards: readonly number[]): void {
    assert(shards.length > 0, 'a task lists at least one shard');
    assert(shards.length <= this.#listMax, 'a task lists no more shards than the mailbox holds');
    this.words.set(shards, listIndex);
    this.words[countIndex] = shards.length;
  }
}
