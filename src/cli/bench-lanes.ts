// The bench's requests in flight: `count` lanes, each sending its next request when the last one is
// answered. A lane is an object with its two answer handlers made once, so a request costs the
// engine's promise and one `then` on it. The driver shares the engine's main thread: an async
// function per lane, resumed after each awaited call, cost ~3% more main-thread CPU per operation
// (about the same bytes allocated; six alternating pairs of runs).
import type { MintEngine } from '../engine/mint-engine.js';
import { assert } from '../domain/errors.js';
import type { Issued } from './bench-workload.js';
import { sendRequest } from './requests.js';

/** The run the lanes serve; `T` is what the host hands out and gets back with the answer. */
export interface LaneHost<T extends Issued = Issued> {
  /** The next request to send, or undefined once the run is over (its time or its budget is spent). */
  next(): T | undefined;
  /** Whether the request next() returned last reuses an earlier one's key. */
  readonly lastWasDuplicate: boolean;
  /** An answer that came at `atMs` (a `performance.now()` reading), `latencyMs` after its request was sent. */
  answered(result: Record<string, unknown>, issued: T, duplicate: boolean, latencyMs: number, atMs: number): void;
  /** A request rejected (a typed error or a bug). */
  rejected(error: unknown): void;
}

/** The lanes of one run: how many still send, and the first error a host call threw (a bug). */
class LaneRun<T extends Issued> {
  readonly host: LaneHost<T>;
  #running: number;
  #failure: { readonly error: unknown } | undefined;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;

  constructor(host: LaneHost<T>, lanes: number, resolve: () => void, reject: (error: unknown) => void) {
    this.host = host;
    this.#running = lanes;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** The next request, or undefined once the run is over or has failed (the other lanes stop). */
  next(): T | undefined {
    return this.#failure === undefined ? this.host.next() : undefined;
  }

  /** A lane ended: with the run, or with the error its host threw. */
  end(failed: boolean, error?: unknown): void {
    if (failed) this.#failure ??= { error };
    this.#running--;
    if (this.#running > 0) return;
    if (this.#failure === undefined) this.#resolve();
    else this.#reject(this.#failure.error);
  }
}

class Lane<T extends Issued> {
  readonly #engine: MintEngine;
  readonly #run: LaneRun<T>;
  #issued: T | undefined;
  #duplicate = false;
  #sent = 0;
  readonly #onAnswer = (result: object): void => {
    // One clock read ends this request and starts the next: the next one's latency then also counts
    // this answer's tally and its own drawing (about a microsecond), so it is never less than its own.
    const now = performance.now();
    try {
      this.#run.host.answered(result as Record<string, unknown>, this.#issued as T, this.#duplicate, now - this.#sent, now);
    } catch (error) {
      return this.#run.end(true, error);
    }
    this.send(now);
  };
  readonly #onError = (rejection: unknown): void => {
    try {
      this.#run.host.rejected(rejection);
    } catch (error) {
      return this.#run.end(true, error);
    }
    this.send();
  };

  constructor(engine: MintEngine, run: LaneRun<T>) {
    this.#engine = engine;
    this.#run = run;
  }

  /**
   * Sends the next request, or ends the lane. Answers come in later turns, so this never recurses.
   * `now` is the time it is sent at (a clock read per request is ~50 ns of the engine's thread).
   */
  send(now = performance.now()): void {
    let answer: Promise<object>;
    try {
      const issued = this.#run.next();
      if (issued === undefined) return this.#run.end(false);
      this.#issued = issued;
      this.#duplicate = this.#run.host.lastWasDuplicate;
      this.#sent = now;
      answer = sendRequest(this.#engine, issued.request);
    } catch (error) {
      return this.#run.end(true, error);
    }
    answer.then(this.#onAnswer, this.#onError);
  }
}

/**
 * Runs `count` lanes until the host has no more requests; resolves once every lane is answered, or
 * rejects with the first error a host call threw (the other lanes stop sending and finish first).
 */
export function runLanes<T extends Issued>(engine: MintEngine, host: LaneHost<T>, count: number): Promise<void> {
  assert(Number.isInteger(count) && count > 0, 'a run has at least one lane');
  return new Promise((resolve, reject) => {
    const run = new LaneRun(host, count, resolve, reject);
    for (let i = 0; i < count; i++) new Lane(engine, run).send();
  });
}
