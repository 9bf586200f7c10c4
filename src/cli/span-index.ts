// Spans of a watch (time-spans.ts) ordered by their end, to ask quickly whether any overlaps a stretch
// of time, and how much of a run stretches of a given length would meet one: the report's latency
// tail (tail-attribution.ts) and its throughput dips (answer-windows.ts) set the run against them.
import { assert } from '../domain/errors.js';
import type { TimeSpans } from '../engine/time-spans.js';

/** `n` of `of` as a share rounded to a tenth of a percent (0 of nothing), as the report gives shares. */
export function shareOf(n: number, of: number): number {
  return of === 0 ? 0 : Math.round((1000 * n) / of) / 1000;
}

/** Spans ordered by their end, for the question whether any overlaps [from, to]. */
export class SpanIndex {
  readonly #starts: Float64Array;
  readonly #ends: Float64Array;
  readonly #longest: number;

  constructor(spans: TimeSpans) {
    const order = Array.from({ length: spans.count }, (_, i) => i).sort((a, b) => spans.endOf(a) - spans.endOf(b));
    this.#starts = Float64Array.from(order, (i) => spans.startOf(i));
    this.#ends = Float64Array.from(order, (i) => spans.endOf(i));
    this.#longest = order.reduce((most, i) => Math.max(most, spans.lengthOf(i)), 0);
  }

  /**
   * Whether a span overlaps [from, to]: one that does ends at or after `from` and, being at most the
   * longest span long, at or before `to` plus that; so only those are looked at.
   */
  overlaps(from: number, to: number): boolean {
    const ends = this.#ends;
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((ends[middle] ?? 0) < from) low = middle + 1;
      else high = middle;
    }
    for (let j = low; j < ends.length && (ends[j] ?? 0) <= to + this.#longest; j++) {
      if ((this.#starts[j] ?? 0) <= to) return true;
    }
    return false;
  }

  /**
   * The share of [runStart, runEnd] at which a stretch `length` long ending there overlaps a span:
   * the union of [start, end + length] over the spans, clipped to the run, over the run's length.
   */
  coverage(length: number, runStart: number, runEnd: number): number {
    assert(runEnd > runStart, 'a run lasts');
    const spans = Array.from(this.#starts.keys(), (i): [number, number] => [this.#starts[i] ?? 0, (this.#ends[i] ?? 0) + length]).sort((a, b) => a[0] - b[0]);
    let covered = 0;
    let reached = runStart;
    for (const [start, end] of spans) {
      const from = Math.max(start, reached);
      const to = Math.min(end, runEnd);
      if (to > from) covered += to - from;
      reached = Math.max(reached, to);
    }
    return covered / (runEnd - runStart);
  }
}
