// Deadlock detection for stress runs: builds the wait-for graph from shared memory (thread T waits
// on account s, whose lock word names owner U: edge T -> U) and counts cycles. The graph is read
// while threads run, so one scan can combine states from different instants; a cycle counts only
// when the same waits (same threads, accounts and wait epochs) form it in two consecutive scans.
// A real deadlock persists until a lock timeout; a torn read does not.
import type { ShmLayout, ShmViews } from './layout.js';
import { lockOwnerThreadId } from './locks.js';
import type { ThreadTable } from './thread-table.js';

interface Wait {
  readonly row: number;
  readonly slot: number;
  readonly epoch: number;
  readonly ownerThreadId: number;
}

export class DeadlockDetector {
  readonly #table: ThreadTable;
  readonly #layout: ShmLayout;
  readonly #views: ShmViews;
  #previous = new Set<string>();
  readonly #counted = new Set<string>();
  #cycles = 0;

  constructor(table: ThreadTable, layout: ShmLayout, views: ShmViews) {
    this.#table = table;
    this.#layout = layout;
    this.#views = views;
  }

  /** Confirmed cycles found so far. */
  get cycles(): number {
    return this.#cycles;
  }

  /** One scan; returns the cycles confirmed by it. */
  scan(): number {
    const waits = this.#readWaits();
    const rowOfThread = new Map<number, number>();
    for (let row = 0; row < this.#table.rows; row++) {
      if (this.#table.isClaimed(row)) rowOfThread.set(this.#table.waitOf(row).threadId, row);
    }
    const seen = new Set<string>();
    for (const start of waits.keys()) {
      const signature = this.#cycleFrom(start, waits, rowOfThread);
      if (signature !== undefined) seen.add(signature);
    }
    let confirmed = 0;
    for (const signature of seen) {
      if (this.#previous.has(signature) && !this.#counted.has(signature)) {
        this.#counted.add(signature);
        confirmed++;
      }
    }
    this.#previous = seen;
    this.#cycles += confirmed;
    return confirmed;
  }

  #readWaits(): Map<number, Wait> {
    const waits = new Map<number, Wait>();
    for (let row = 0; row < this.#table.rows; row++) {
      if (!this.#table.isClaimed(row)) continue;
      const wait = this.#table.waitOf(row);
      if (wait.slot < 0 || wait.slot >= this.#layout.maxAccounts) continue;
      const word = Atomics.load(this.#views.i32, this.#layout.lockIndex32(wait.slot));
      waits.set(row, { row, slot: wait.slot, epoch: wait.epoch, ownerThreadId: lockOwnerThreadId(word) });
    }
    return waits;
  }

  /** Follows wait edges from `start`; a signature of the cycle when the walk returns to `start`. */
  #cycleFrom(start: number, waits: Map<number, Wait>, rowOfThread: Map<number, number>): string | undefined {
    const path: Wait[] = [];
    let current: number | undefined = start;
    for (let steps = 0; current !== undefined && steps <= waits.size; steps++) {
      const wait = waits.get(current);
      if (wait === undefined) return undefined;
      path.push(wait);
      current = rowOfThread.get(wait.ownerThreadId);
      if (current === start) {
        return path
          .map((w) => `${w.row}:${w.slot}:${w.epoch}`)
          .sort()
          .join('|');
      }
    }
    return undefined;
  }
}
