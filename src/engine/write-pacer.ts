// Paces the main-thread steps of a key write or checkpoint. Each step (a slice of changes taken,
// sorted, encoded, compacted or purged) lengthens the event-loop turn it runs in, and with the main
// thread saturated every operation in flight waits for it: run a step every turn and a write of
// ~110 ms of work makes ~0.4 s of slow answers (85% of the answers over 15 ms in a 20 s run). A short
// timer between steps spreads the same work thinner, for the whole write. (It used to stop pacing
// once a write had run half the time since the previous one began, so that writes would not run
// back to back; but a write's last steps, its compaction and purges, then ran every turn, and
// throughput fell to a quarter of its rate for 100 ms at a time: three alternating pairs of 20 s
// runs gave 5 - 6 such dips a run against 10 - 16, and p99 9.07 - 9.59 against 10.41 - 10.62 ms.)
// Once memory holds its cap of keys, or the engine is closing, steps run every turn.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Pause } from '../store/store.js';

/** Between steps. 2 ms cut p99 by 15-25% here; 1 and 4 ms measured about the same. */
const paceMs = 2;

export class WritePacer {
  readonly #urgent: () => boolean;
  #hurried = false;

  /** `urgent`: the write must end as soon as it can (memory holds its cap of keys). */
  constructor(urgent: () => boolean) {
    this.#urgent = urgent;
  }

  /** From now on every step runs at the next turn (the engine is closing). */
  hurry(): void {
    this.#hurried = true;
  }

  /** The wait before the next step, in ms: 0 for the next turn. */
  delayMs(): number {
    return this.#hurried || this.#urgent() ? 0 : paceMs;
  }

  readonly pause: Pause = () => {
    const delay = this.delayMs();
    return delay > 0 ? sleep(delay) : nextTurn();
  };
}
