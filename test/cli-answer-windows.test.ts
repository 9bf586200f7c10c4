// Goal: the report's throughput dips count every answer in its 100 ms window, give the whole windows'
// median, 1st percentile and slowest rate, the windows under half the median, and the share of
// those (and of all windows) that overlapped a state write; method: fast-check answers placed inside
// windows (up to 320 of them) and spans, against a model that sorts the whole windows' rates and
// tests every window against every span, and a small store driven past its bound of windows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerWindows, answerWindowMs, windowRates } from '../dist/cli/answer-windows.js';
import { TimeSpans } from '../dist/engine/time-spans.js';

const startMs = 5_000.25;

type Span = readonly [start: number, end: number];

function spansOf(list: readonly Span[]): TimeSpans {
  const spans = new TimeSpans();
  for (const [start, end] of list) spans.add(end, end - start);
  return spans;
}

describe('throughput dips', () => {
  it('matches a brute-force count of each whole window', () => {
    // The run ends about where the windows with answers end, a little before or after.
    const runEnd = fc.integer({ min: -250, max: 250 });
    // Answers per window (up to 320 windows, so that the 1st percentile is not always the slowest),
    // each placed somewhere inside its window.
    const perWindow = fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 320, size: 'max' });
    const span = fc.tuple(fc.integer({ min: -200, max: 32_200 }), fc.integer({ min: 0, max: 4_000 })).map(([from, length]): Span => [startMs + from, startMs + from + length]);
    fc.assert(
      fc.property(runEnd, perWindow, fc.array(span, { maxLength: 8 }), (past, counts, writes) => {
        const length = Math.max(0, counts.length * answerWindowMs + past);
        const windows = new AnswerWindows(startMs);
        counts.forEach((count, w) => {
          for (let k = 0; k < count; k++) windows.count(startMs + w * answerWindowMs + ((k * 37) % answerWindowMs) + 0.5);
        });
        const rates = windowRates(windows, startMs + length, spansOf(writes));
        const whole = Math.floor(length / answerWindowMs);
        const model = Array.from({ length: whole }, (_, i) => (counts[i] ?? 0) * 10);
        const sorted = [...model].sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
        const overlapping = model.map((_, i) => writes.some(([from, to]) => from <= startMs + (i + 1) * answerWindowMs && to >= startMs + i * answerWindowMs));
        const dips = model.map((rate, i) => [rate < median / 2, overlapping[i]] as const).filter(([dip]) => dip);
        const share = (n: number, of: number): number => (of === 0 ? 0 : Math.round((1000 * n) / of) / 1000);
        expect(rates.windows).toBe(whole);
        expect(rates.medianPerSecond).toBe(median);
        expect(rates.p1PerSecond).toBe(sorted[Math.floor(sorted.length / 100)] ?? 0);
        expect(rates.slowestPerSecond).toBe(sorted[0] ?? 0);
        expect(rates.dips).toBe(dips.length);
        expect(rates.dipsDuringStateWrite).toBe(share(dips.filter(([, during]) => during).length, dips.length));
        expect(rates.byChanceStateWrite).toBe(share(overlapping.filter(Boolean).length, whole));
      }),
    );
  });

  it('takes the 1st percentile as the window at a hundredth of the way up, not the slowest', () => {
    // 250 windows, the i-th (from 0) with 250 - i answers: rates 2,500/s down to 10/s.
    const windows = new AnswerWindows(0);
    for (let w = 0; w < 250; w++) for (let k = 0; k < 250 - w; k++) windows.count(w * answerWindowMs + k / 10);
    const rates = windowRates(windows, 250 * answerWindowMs + 50, new TimeSpans());
    expect(rates.windows).toBe(250);
    expect(rates.slowestPerSecond).toBe(10);
    expect(rates.p1PerSecond).toBe(30);
    expect(rates.medianPerSecond).toBe(1_260);
    // Under 630/s: the 62 windows of 62 answers or fewer, none in a state write.
    expect(rates.dips).toBe(62);
    expect(rates.dipsDuringStateWrite).toBe(0);
  });

  it('counts answers past its bound of windows as dropped, and grows up to it', () => {
    const windows = new AnswerWindows(0, 3_000);
    windows.count(0);
    windows.count(250_000);
    windows.count(299_999.9);
    windows.count(300_000);
    windows.count(1e9);
    expect(windows.at(0)).toBe(1);
    expect(windows.at(2_500)).toBe(1);
    expect(windows.at(2_999)).toBe(1);
    expect(windows.dropped).toBe(2);
    expect(() => windows.count(-1)).toThrow();
  });
});
