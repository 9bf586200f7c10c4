// Where the benchmark's slowest answers were: the share of those at or above the p99 whose time in
// flight overlapped a state write (a key write or a checkpoint), a collection pause of the main
// thread of 2 ms or more, or a log commit of 3 ms or more, and the share that overlapped none. Each
// round of the README's Benchmarks traced the tail by hand with scratch builds; the report now says
// it for every run. The answers kept are those at least as slow as a threshold the run sets as it
// learns its own latencies (bench.ts: about its p90 so far), so that a run of any length keeps a few
// percent of them, and the line says how many of the 1% it kept.
import { assert } from '../domain/errors.js';
import { TimeSpans } from '../engine/time-spans.js';

/** Answers kept at most: 32 MiB, ~70 s of a run at 300,000 a second above its p90 (past half of it
 * the benchmark keeps only those above the p99 so far). */
export const slowAnswersMax = 1 << 21;

/** The answers at least as slow as `thresholdMs` was when each came. */
export class SlowAnswers {
  /** Each answer kept as the span it was in flight: ending when it came, as long as it took. */
  readonly spans: TimeSpans;
  /** Answers faster than this (ms) are not kept; the run sets it as it learns its latencies. */
  thresholdMs = 0;

  constructor(max = slowAnswersMax) {
    this.spans = new TimeSpans(max);
  }

  /** An answer that took `latencyMs`, ending now; a compare and nothing more unless it is slow. */
  offer(latencyMs: number): void {
    if (latencyMs < this.thresholdMs) return;
    // At the bound, the answers kept that are now under the threshold go first.
    if (this.spans.full) this.spans.keepLasting(this.thresholdMs);
    this.spans.add(performance.now(), latencyMs);
  }
}

/** The spans the slowest answers are set against. */
export interface TailSpans {
  readonly stateWrites: TimeSpans;
  readonly gcPauses: TimeSpans;
  readonly slowCommits: TimeSpans;
}

/**
 * Of the answers at or above the p99 that were kept, the share whose time in flight overlapped each
 * kind of span, and none; and, to set them against, the chance that a span of that kind overlaps a
 * stretch of the p99's length put anywhere in the run (`byChance`): a long answer overlaps more
 * spans whether they slowed it or not.
 */
export interface TailAttribution {
  readonly answers: number;
  readonly duringStateWrite: number;
  readonly overlappingGcPause: number;
  readonly overlappingSlowCommit: number;
  readonly overlappingNone: number;
  readonly byChance: { readonly stateWrite: number; readonly gcPause: number; readonly slowCommit: number };
}

/** Sets the kept answers at or above `p99Ms` against the spans of a run from `startMs` to `endMs`. */
export function attributeTail(answers: SlowAnswers, p99Ms: number, spans: TailSpans, run: { readonly startMs: number; readonly endMs: number }): TailAttribution {
  const kinds = [new SpanIndex(spans.stateWrites), new SpanIndex(spans.gcPauses), new SpanIndex(spans.slowCommits)] as const;
  const hits = [0, 0, 0];
  let counted = 0;
  let none = 0;
  const kept = answers.spans;
  for (let i = 0; i < kept.count; i++) {
    const latency = kept.lengthOf(i);
    if (latency < p99Ms) continue;
    const end = kept.endOf(i);
    counted++;
    let any = false;
    kinds.forEach((index, k) => {
      if (!index.overlaps(end - latency, end)) return;
      hits[k] = (hits[k] ?? 0) + 1;
      any = true;
    });
    if (!any) none++;
  }
  const share = (n: number): number => (counted === 0 ? 0 : Math.round((1000 * n) / counted) / 1000);
  const chance = (index: SpanIndex): number => Math.round(1000 * index.coverage(p99Ms, run.startMs, run.endMs)) / 1000;
  return {
    answers: counted,
    duringStateWrite: share(hits[0] ?? 0),
    overlappingGcPause: share(hits[1] ?? 0),
    overlappingSlowCommit: share(hits[2] ?? 0),
    overlappingNone: share(none),
    byChance: { stateWrite: chance(kinds[0]), gcPause: chance(kinds[1]), slowCommit: chance(kinds[2]) },
  };
}

/** Spans ordered by their end, for the question whether any overlaps [from, to]. */
class SpanIndex {
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
