// Goal: the report's latency tail counts, of the answers kept at or above the p99, exactly those whose
// time in flight overlaps a span of each kind, gives the chance of such an overlap as the share of
// the run a stretch of the p99's length would meet one, and keeps every answer at least as slow as
// its threshold was; method: fast-check answers and spans on whole milliseconds against brute-force
// models (every pair for the overlaps, every millisecond of the run for the chance), and a small
// store of slow answers driven past its bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeTail, SlowAnswers } from '../dist/cli/tail-attribution.js';
import { TimeSpans } from '../dist/engine/time-spans.js';

type Span = readonly [start: number, end: number];

const runStart = 1_000;
const runEnd = 1_400;

function spansOf(list: readonly Span[]): TimeSpans {
  const spans = new TimeSpans();
  for (const [start, end] of list) spans.add(end, end - start);
  return spans;
}

const span = fc.tuple(fc.integer({ min: runStart - 50, max: runEnd + 50 }), fc.integer({ min: 0, max: 40 })).map(([start, length]): Span => [start, start + length]);
const spans = fc.array(span, { maxLength: 30 });

/** Answers kept, as [end, latency]. */
function answersOf(list: ReadonlyArray<readonly [number, number]>): SlowAnswers {
  const answers = new SlowAnswers();
  for (const [end, latency] of list) answers.offer(latency, end);
  return answers;
}

const overlaps = (list: readonly Span[], from: number, to: number): boolean => list.some(([start, end]) => start <= to && end >= from);

/** The share of the run's whole milliseconds t for which [t - length, t + 1] meets a span ([start, end + length] holds [t, t + 1]). */
function chanceModel(list: readonly Span[], length: number): number {
  let covered = 0;
  for (let t = runStart; t < runEnd; t++) if (list.some(([start, end]) => start <= t && t + 1 <= end + length)) covered++;
  return covered / (runEnd - runStart);
}

describe('latency tail', () => {
  it('counts the answers at or above the p99 that overlap each kind of span, and the chance of it', () => {
    const answer = fc.tuple(fc.integer({ min: runStart, max: runEnd }), fc.integer({ min: 0, max: 60 }));
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 60 }), spans, spans, spans, fc.integer({ min: 0, max: 60 }), (list, writes, pauses, commits, p99) => {
        const tail = attributeTail(answersOf(list), p99, { stateWrites: spansOf(writes), gcPauses: spansOf(pauses), slowCommits: spansOf(commits) }, { startMs: runStart, endMs: runEnd });
        const slow = list.filter(([, latency]) => latency >= p99);
        const share = (test: (from: number, to: number) => boolean): number => {
          const n = slow.filter(([end, latency]) => test(end - latency, end)).length;
          return slow.length === 0 ? 0 : Math.round((1000 * n) / slow.length) / 1000;
        };
        expect(tail.answers).toBe(slow.length);
        expect(tail.duringStateWrite).toBe(share((from, to) => overlaps(writes, from, to)));
        expect(tail.overlappingGcPause).toBe(share((from, to) => overlaps(pauses, from, to)));
        expect(tail.overlappingSlowCommit).toBe(share((from, to) => overlaps(commits, from, to)));
        expect(tail.overlappingNone).toBe(share((from, to) => !overlaps(writes, from, to) && !overlaps(pauses, from, to) && !overlaps(commits, from, to)));
        expect(tail.byChance.stateWrite).toBe(Math.round(1000 * chanceModel(writes, p99)) / 1000);
        expect(tail.byChance.gcPause).toBe(Math.round(1000 * chanceModel(pauses, p99)) / 1000);
        expect(tail.byChance.slowCommit).toBe(Math.round(1000 * chanceModel(commits, p99)) / 1000);
      }),
    );
  });

  it('keeps every answer at least as slow as the threshold was, and at its bound lets the faster ones go first', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { maxLength: 200 }), (offers) => {
        // offers: [latency, threshold before it]; a bound of 16 answers; the i-th ends at i ms.
        const answers = new SlowAnswers(16);
        const model: Array<readonly [number, number]> = [];
        let dropped = 0;
        offers.forEach(([latency, threshold], end) => {
          answers.thresholdMs = threshold;
          answers.offer(latency, end);
          if (latency < threshold) return;
          if (model.length === 16) model.splice(0, model.length, ...model.filter(([, kept]) => kept >= threshold));
          if (model.length === 16) dropped++;
          else model.push([end, latency]);
        });
        expect(Array.from({ length: answers.spans.count }, (_, i) => [answers.spans.endOf(i), answers.spans.lengthOf(i)])).toEqual(model);
        expect(answers.spans.dropped).toBe(dropped);
      }),
    );
  });
});
