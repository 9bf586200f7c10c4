// The benchmark's answers counted per 100 ms window of its run, so that the report can say how low
// the engine's throughput dipped and whether the dips fell in state writes. A run's p99 says how
// slow its slowest answers were; it does not say that at 200,000 requests a second, offered at an
// even pace, the answers came at half that rate for a few hundred milliseconds at the end of a key
// write, and the requests queued behind them (BENCHMARK-ROUNDS, "The round of the dips"). One
// increment per answer, on the driver's own clock reading.
import { assert } from '../domain/errors.js';
import type { TimeSpans } from '../engine/time-spans.js';
import { shareOf, SpanIndex } from './span-index.js';

export const answerWindowMs = 100;
/** Windows counted at most: 4 MiB, 29 hours of a run; answers past them are counted as dropped. */
export const answerWindowsMax = 1 << 20;

export class AnswerWindows {
  readonly startMs: number;
  readonly #max: number;
  #counts = new Uint32Array(1024);
  /** Answers that came after the last window kept. */
  dropped = 0;

  constructor(startMs: number, max = answerWindowsMax) {
    assert(Number.isSafeInteger(max), 'a run counts a whole number of windows');
    assert(max > 0, 'a run counts at least one window');
    this.startMs = startMs;
    this.#max = max;
  }

  /** An answer that came at `atMs` (a `performance.now()` reading taken after the run started). */
  count(atMs: number): void {
    const window = Math.floor((atMs - this.startMs) / answerWindowMs);
    assert(window >= 0, 'an answer comes after its run started');
    if (window >= this.#counts.length) {
      if (window >= this.#max) {
        this.dropped++;
        return;
      }
      this.#grow(window);
    }
    this.#counts[window] = (this.#counts[window] ?? 0) + 1;
  }

  /** The answers counted in window `window` (0 is the run's first 100 ms). */
  at(window: number): number {
    assert(Number.isSafeInteger(window), 'a window is a whole number');
    assert(window >= 0, 'a window is after the start');
    return this.#counts[window] ?? 0;
  }

  #grow(window: number): void {
    let length = this.#counts.length;
    while (length <= window) length *= 2;
    const grown = new Uint32Array(Math.min(length, this.#max));
    grown.set(this.#counts);
    this.#counts = grown;
  }
}

/**
 * The run's whole windows (a last, partial one left out), each as answers a second: the median, the
 * 1st percentile and the slowest; how many fell under half the median (a dip); of those, the share
 * that overlapped a state write, and the share of all windows that did (the chance of it).
 */
export interface WindowRates {
  readonly windowMs: number;
  readonly windows: number;
  readonly medianPerSecond: number;
  readonly p1PerSecond: number;
  readonly slowestPerSecond: number;
  readonly dips: number;
  readonly dipsDuringStateWrite: number;
  readonly byChanceStateWrite: number;
}

export function windowRates(counted: AnswerWindows, endMs: number, stateWrites: TimeSpans): WindowRates {
  const windows = Math.floor((endMs - counted.startMs) / answerWindowMs);
  const perSecond = 1000 / answerWindowMs;
  const rates = Float64Array.from({ length: Math.max(0, windows) }, (_, i) => counted.at(i) * perSecond);
  if (rates.length === 0) return { windowMs: answerWindowMs, windows: 0, medianPerSecond: 0, p1PerSecond: 0, slowestPerSecond: 0, dips: 0, dipsDuringStateWrite: 0, byChanceStateWrite: 0 };
  const sorted = Float64Array.from(rates).sort();
  const rank = (percent: number): number => sorted[Math.min(sorted.length - 1, Math.floor((percent * sorted.length) / 100))] ?? 0;
  const median = rank(50);
  const writes = new SpanIndex(stateWrites);
  let dips = 0;
  let dipsInWrites = 0;
  let inWrites = 0;
  for (let i = 0; i < rates.length; i++) {
    const from = counted.startMs + i * answerWindowMs;
    const overlaps = writes.overlaps(from, from + answerWindowMs);
    if (overlaps) inWrites++;
    if ((rates[i] ?? 0) >= median / 2) continue;
    dips++;
    if (overlaps) dipsInWrites++;
  }
  return {
    windowMs: answerWindowMs,
    windows: rates.length,
    medianPerSecond: median,
    p1PerSecond: rank(1),
    slowestPerSecond: sorted[0] ?? 0,
    dips,
    dipsDuringStateWrite: shareOf(dipsInWrites, dips),
    byChanceStateWrite: shareOf(inWrites, rates.length),
  };
}
