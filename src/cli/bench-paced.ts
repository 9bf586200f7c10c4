// The bench's open loop (`--rate`): request i is due at start + i / rate, whatever the answers do,
// and its latency runs from the time it was due, not from when the driver got to send it. A closed
// loop (bench-lanes.ts) sends only when an answer frees a lane, so a stalled engine also stalls the
// driver and the requests it would have sent are never timed ("coordinated omission"); here they
// are. At most `maxInFlight` requests wait for answers; those due beyond it wait in the driver with
// their latency running. Every request is sent, late if need be: an engine that cannot keep up
// takes longer than the schedule, and its latencies show by how much. Past twice the schedule's
// length (and at least a second past it) the rest is given up and counted, so that a rate far
// beyond the engine cannot make a run last for hours.
import type { MintEngine } from '../engine/mint-engine.js';
import { assert } from '../domain/errors.js';
import type { LaneHost } from './bench-lanes.js';
import type { Issued } from './bench-workload.js';
import { sendRequest } from './requests.js';

/** The least a run behind its schedule goes on past the schedule's end before giving up the rest. */
const giveUpAfterMsMin = 1_000;

export interface PacedResult {
  /** Requests sent. */
  readonly sent: number;
  /** The latest any request was sent after it was due (timers and a busy thread make a little). */
  readonly mostLateMs: number;
  /** Requests given up unsent: the run reached its time limit that far behind its schedule. */
  readonly unsent: number;
  readonly mostInFlight: number;
}

/** One request's place in flight: its handlers are made once and reused, like a lane's. */
class Flight<T extends Issued> {
  issued: T | undefined = undefined;
  duplicate = false;
  due = 0;
  readonly onAnswer: (result: object) => void;
  readonly onError: (error: unknown) => void;

  constructor(run: PacedRun<T>) {
    this.onAnswer = (result) => run.answered(this, result as Record<string, unknown>);
    this.onError = (error) => run.rejected(this, error);
  }
}

class PacedRun<T extends Issued> {
  readonly #engine: MintEngine;
  readonly #host: LaneHost<T>;
  readonly #intervalMs: number;
  /** The schedule's start: request i is due at #start + i × #intervalMs. */
  readonly #start: number;
  readonly #free: Array<Flight<T>>;
  readonly #maxInFlight: number;
  readonly #count: number;
  /** When the requests still unsent are given up. */
  readonly #giveUpAt: number;
  readonly #resolve: (result: PacedResult) => void;
  readonly #reject: (error: unknown) => void;
  #sent = 0;
  #mostInFlight = 0;
  #mostLateMs = 0;
  #ended = false;
  #failure: { readonly error: unknown } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(engine: MintEngine, host: LaneHost<T>, pace: Pace, resolve: (result: PacedResult) => void, reject: (error: unknown) => void) {
    this.#engine = engine;
    this.#host = host;
    this.#intervalMs = 1000 / pace.rate;
    this.#maxInFlight = pace.maxInFlight;
    this.#count = pace.count;
    const plannedMs = pace.count * this.#intervalMs;
    this.#free = Array.from({ length: pace.maxInFlight }, () => new Flight(this));
    this.#resolve = resolve;
    this.#reject = reject;
    // Read last, so that the first request (sent at once) is not late by the set-up above.
    this.#start = performance.now();
    this.#giveUpAt = this.#start + Math.max(2 * plannedMs, plannedMs + giveUpAfterMsMin);
  }

  get #inFlight(): number {
    return this.#maxInFlight - this.#free.length;
  }

  /** Sends every request due by `now` that a free place can take; at most maxInFlight per call. */
  pump(now: number): void {
    while (!this.#ended && this.#free.length > 0) {
      if (this.#sent === this.#count || now > this.#giveUpAt) return this.#end();
      const due = this.#start + this.#sent * this.#intervalMs;
      if (due > now) break;
      if (!this.#send(due)) return;
      this.#mostLateMs = Math.max(this.#mostLateMs, now - due);
    }
    this.#arm(now);
  }

  answered(flight: Flight<T>, result: Record<string, unknown>): void {
    // One clock read ends this answer and paces the next sends.
    const now = performance.now();
    const issued = flight.issued as T;
    this.#release(flight);
    try {
      this.#host.answered(result, issued, flight.duplicate, now - flight.due, now);
    } catch (error) {
      this.#end(error);
    }
    this.#after(now);
  }

  rejected(flight: Flight<T>, rejection: unknown): void {
    const now = performance.now();
    this.#release(flight);
    try {
      this.#host.rejected(rejection);
    } catch (error) {
      this.#end(error);
    }
    this.#after(now);
  }

  /** Sends the request due at `due`; false once the host has none left (or failed). */
  #send(due: number): boolean {
    let answer: Promise<object>;
    const flight = this.#free.pop() as Flight<T>;
    try {
      const issued = this.#host.next();
      if (issued === undefined) {
        this.#free.push(flight);
        this.#end();
        return false;
      }
      flight.issued = issued;
      flight.duplicate = this.#host.lastWasDuplicate;
      flight.due = due;
      answer = sendRequest(this.#engine, issued.request);
    } catch (error) {
      this.#free.push(flight);
      this.#end(error);
      return false;
    }
    this.#sent++;
    this.#mostInFlight = Math.max(this.#mostInFlight, this.#inFlight);
    answer.then(flight.onAnswer, flight.onError);
    return true;
  }

  #release(flight: Flight<T>): void {
    flight.issued = undefined;
    this.#free.push(flight);
    assert(this.#free.length <= this.#maxInFlight, 'a place in flight is freed once');
  }

  #after(now: number): void {
    if (!this.#ended) return this.pump(now);
    if (this.#inFlight === 0) this.#finish();
  }

  /** A timer for the next due request while places are free; answers pump when none is. */
  #arm(now: number): void {
    if (this.#ended || this.#timer !== undefined || this.#free.length === 0) return;
    const wait = this.#start + this.#sent * this.#intervalMs - now;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.pump(performance.now());
    }, Math.max(0, wait));
  }

  /** No more requests: all are sent, the host has none left, or a host call threw `error` (a bug). */
  #end(...error: [] | [unknown]): void {
    if (error.length > 0) this.#failure ??= { error: error[0] };
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight === 0) this.#finish();
  }

  #finish(): void {
    if (this.#failure !== undefined) return this.#reject(this.#failure.error);
    this.#resolve({ sent: this.#sent, mostLateMs: this.#mostLateMs, mostInFlight: this.#mostInFlight, unsent: this.#count - this.#sent });
  }
}

export interface Pace {
  /** Requests a second. */
  readonly rate: number;
  /** Requests to send (fewer if the host runs out first). */
  readonly count: number;
  readonly maxInFlight: number;
}

/**
 * Sends `pace.count` of the host's requests at `pace.rate` a second, at most `pace.maxInFlight` at
 * once; resolves once every request sent has its answer, or rejects with the first error a host
 * call threw (no more are sent; those in flight are answered first).
 */
export function runPaced<T extends Issued>(engine: MintEngine, host: LaneHost<T>, pace: Pace): Promise<PacedResult> {
  assert(Number.isFinite(pace.rate), 'a paced run has a finite rate');
  assert(pace.rate > 0, 'a paced run has a positive rate');
  assert(Number.isInteger(pace.count) && pace.count >= 0, 'a paced run sends a whole number of requests');
  assert(Number.isInteger(pace.maxInFlight) && pace.maxInFlight > 0, 'a paced run lets at least one request fly');
  return new Promise((resolve, reject) => {
    const run = new PacedRun(engine, host, pace, resolve, reject);
    run.pump(performance.now());
  });
}
