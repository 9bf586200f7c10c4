// Where the benchmark's slowest answers were: the share of those at or above the p99 whose time in
// flight overlapped a state write (a key write or a checkpoint), a collection pause of the main
// thread of 2 ms or more, or a log commit of 3 ms or more, and the share that overlapped none. Each
// round of the README's Benchmarks traced the tail by hand with scratch builds; the report now says
// it for every run. The answers kept are those at least as slow as a threshold the run sets as it
// learns its own latencies (bench.ts: about its p90 so far), so that a run of any length keeps a few
// percent of them, and the line says how many of the 1% it kept.
import { TimeSpans } from '../engine/time-spans.js';
import { shareOf, SpanIndex } from './span-index.js';

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

  /** An answer that took `latencyMs`, ending at `endMs`; a compare and nothing more unless it is slow. */
  offer(latencyMs: number, endMs: number): void {
    if (latencyMs < this.thresholdMs) return;
    // At the bound, the answers kept that are now under the threshold go first.
    if (this.spans.full) this.spans.keepLasting(this.thresholdMs);
    this.spans.add(endMs, latencyMs);
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
  const share = (n: number): number => shareOf(n, counted);
  const chance = (index: SpanIndex): number => shareOf(index.coverage(p99Ms, run.startMs, run.endMs), 1);
  return {
    answers: counted,
    duringStateWrite: share(hits[0] ?? 0),
    overlappingGcPause: share(hits[1] ?? 0),
    overlappingSlowCommit: share(hits[2] ?? 0),
    overlappingNone: share(none),
    byChance: { stateWrite: chance(kinds[0]), gcPause: chance(kinds[1]), slowCommit: chance(kinds[2]) },
  };
}
