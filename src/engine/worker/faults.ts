// Fault injection for tests and stress runs: makes worker threads die at a chosen point of an
// operation. Off by default; when off the executor pays one null check per point.
import { globalSlot, type ShmLayout } from '../../shm/layout.js';

export const faultPoints = ['before-lock', 'after-lock', 'after-sequence', 'before-writes', 'mid-transfer', 'after-queued', 'after-commit'] as const;
export type FaultPoint = (typeof faultPoints)[number];

export interface FaultPlan {
  /** Where the thread dies: before locking, holding the locks, right after taking a sequence number
   * (before recording it), right after the commit point (before any account write), between the two
   * balance writes of a transfer, after the result is queued for the log, or after an operation it
   * applied is durable. */
  readonly point: FaultPoint;
  /** Every `everyOperations`-th operation a thread starts arms it; it dies at the next moment that
   * matches the point (the next transfer for 'mid-transfer'; for 'after-commit', the next operation
   * start once an operation it applied in an earlier batch is durable). */
  readonly everyOperations: number;
  /** Total deaths to inject across all threads (a shared budget). */
  readonly kills: number;
  /** 'exit': process.exit() inside the thread; 'throw': an uncaught error out of the task. */
  readonly mode: 'exit' | 'throw';
}

export class FaultInjected extends Error {
  constructor(point: FaultPoint) {
    super(`fault injection: worker died at ${point}`);
    this.name = 'FaultInjected';
  }
}

export class FaultInjector {
  readonly #plan: FaultPlan;
  readonly #i64: BigInt64Array;
  readonly #budgetIndex: number;
  readonly #durableIndex: number;
  #operations = 0;
  #armed = false;
  #lastApplied = 0;
  /** The last seq this thread applied before the current batch. */
  #appliedBeforeBatch = 0;

  constructor(plan: FaultPlan, i64: BigInt64Array, layout: ShmLayout) {
    this.#plan = plan;
    this.#i64 = i64;
    this.#budgetIndex = layout.globalIndex64(globalSlot.faultKillsLeft);
    this.#durableIndex = layout.globalIndex64(globalSlot.durableSequence);
  }

  startBatch(): void {
    this.#appliedBeforeBatch = this.#lastApplied;
  }

  /** Counts an operation this thread starts; arms the injector every `everyOperations`. */
  nextOperation(): void {
    this.#operations++;
    if (this.#operations % this.#plan.everyOperations === 0) this.#armed = true;
    if (this.#armed && this.#plan.point === 'after-commit' && this.#durable()) this.#die('after-commit');
  }

  noteApplied(seq: number): void {
    this.#lastApplied = seq;
  }

  /** Dies here when armed and the plan names this point, while the budget lasts. */
  at(point: FaultPoint): void {
    if (this.#armed && point === this.#plan.point) this.#die(point);
  }

  #durable(): boolean {
    const seq = this.#appliedBeforeBatch;
    return seq > 0 && Number(Atomics.load(this.#i64, this.#durableIndex)) >= seq;
  }

  #die(point: FaultPoint): void {
    this.#armed = false;
    if (Atomics.sub(this.#i64, this.#budgetIndex, 1n) <= 0n) {
      Atomics.add(this.#i64, this.#budgetIndex, 1n);
      return;
    }
    if (this.#plan.mode === 'exit') process.exit(86);
    throw new FaultInjected(point);
  }
}
