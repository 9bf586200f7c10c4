// Goal: the metrics count every answer under its kind and outcome whichever path counted it (the hot
// path's array or the map of the rest), time answers inside a slice to the slice's clock read, a
// watch of a run times only the commits made while it watched and keeps the spans of the slow
// commits and the state writes (an engine's checkpoints among them) made meanwhile, up to a bound;
// method: fast-check sequences of answers against a map model, latencies with a slice clock set far
// from the real one, commits of distinct durations before, during and after a watch, spans past a
// small bound, and an engine that checkpoints every few records.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngineMetrics, slowCommitMs } from '../dist/engine/metrics.js';
import { watchRun } from '../dist/engine/mint-engine.js';
import { TimeSpans } from '../dist/engine/time-spans.js';
import { freshEngine } from './fixtures/engine.js';
import { opKindCode, opKinds, type OpKind } from '../dist/domain/op-kind.js';

const outcomes = ['ok', 'replayed', 'ERR_INSUFFICIENT_FUNDS', 'ERR_INVALID_ARGUMENT', 'error'] as const;

describe('engine metrics', () => {
  it('counts answers by kind and outcome, through either path, as a map would', () => {
    const answer = fc.record({ kind: fc.constantFrom(...opKinds), outcome: fc.constantFrom(...outcomes), hotPath: fc.boolean() });
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 300, size: 'max' }), (answers) => {
        const metrics = new EngineMetrics();
        const model: Record<string, Record<string, number>> = {};
        for (const { kind, outcome, hotPath } of answers) {
          const done = outcome === 'ok' || outcome === 'replayed';
          if (done && hotPath) metrics.countDone(opKindCode(kind as OpKind), outcome === 'replayed');
          else metrics.count(kind, outcome);
          const byOutcome = (model[kind] ??= {});
          byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
        }
        expect(metrics.operations()).toEqual(model);
      }),
    );
  });

  it('ends the latencies of a slice of answers at the slice clock, and at the real clock outside one', () => {
    const metrics = new EngineMetrics();
    const started = performance.now();
    // A slice clock 10 s ahead of the real one: only it can make a latency of 10 s.
    metrics.answering(started + 10_000);
    metrics.recordLatency(started);
    expect(metrics.latency().max).toBeGreaterThanOrEqual(9_990);
    metrics.answering(undefined);
    const fresh = new EngineMetrics();
    fresh.recordLatency(performance.now());
    expect(fresh.latency().max).toBeLessThan(1_000);
    metrics.recordLatency(performance.now());
    expect(metrics.latency().count).toBe(2);
    expect(metrics.latency().p50).toBeLessThan(1_000);
  });

  it('times only the commits made while a watch runs, apart from those since open', () => {
    const metrics = new EngineMetrics();
    // Before: slow (a benchmark's set-up); during: 1 to 3 ms; after: slow again.
    for (let i = 0; i < 50; i++) metrics.recordCommit(40);
    const stop = metrics.watchRun();
    expect(() => metrics.watchRun()).toThrow(/one watch/);
    for (const ms of [1, 2, 3, 2, 1]) metrics.recordCommit(ms);
    const watched = stop().commits;
    metrics.recordCommit(80);
    expect(watched.count).toBe(5);
    expect(watched.p50).toBeCloseTo(2, 1);
    expect(watched.max).toBeCloseTo(3, 1);
    expect(watched.max).toBeLessThan(4);
    expect(metrics.commitDurations().count).toBe(56);
    expect(metrics.commitDurations().max).toBeGreaterThan(79);
    expect(() => stop()).toThrow(/stops once/);
    // A new watch may start once the last has stopped, and starts empty.
    const again = metrics.watchRun();
    expect(again().commits.count).toBe(0);
  });

  it('keeps the spans of the slow commits and of the state writes made while a watch runs', () => {
    const metrics = new EngineMetrics();
    metrics.recordCommit(2 * slowCommitMs);
    metrics.recordStateWrite(1, 2);
    const stop = metrics.watchRun();
    expect(() => metrics.watchRun()).toThrow(/one watch/);
    const before = performance.now();
    for (const ms of [slowCommitMs - 0.5, slowCommitMs, 4 * slowCommitMs, 1]) metrics.recordCommit(ms);
    metrics.recordStateWrite(10, 30);
    const after = performance.now();
    const { slowCommits, stateWrites } = stop();
    metrics.recordCommit(5 * slowCommitMs);
    expect(() => stop()).toThrow(/stops once/);
    expect(slowCommits.count).toBe(2);
    for (const [i, ms] of [slowCommitMs, 4 * slowCommitMs].entries()) {
      // Each ends when it was recorded, and lasts its duration.
      expect(slowCommits.endOf(i)).toBeGreaterThanOrEqual(before);
      expect(slowCommits.endOf(i)).toBeLessThanOrEqual(after);
      expect(slowCommits.lengthOf(i)).toBe(ms);
      expect(slowCommits.endOf(i) - slowCommits.startOf(i)).toBeCloseTo(ms, 6);
    }
    expect(stateWrites.count).toBe(1);
    expect([stateWrites.startOf(0), stateWrites.endOf(0)]).toEqual([10, 30]);
  });

  it('keeps spans up to its bound, growing past its first room, and counts the rest', () => {
    const spans = new TimeSpans(100);
    for (let i = 0; i < 130; i++) spans.add(i + 0.5, 0.5);
    expect(spans.count).toBe(100);
    expect(spans.dropped).toBe(30);
    expect([spans.startOf(99), spans.endOf(99)]).toEqual([99, 99.5]);
    expect(() => spans.endOf(100)).toThrow();
    expect(() => spans.add(2, -1)).toThrow(/ends after it starts/);
  });

  it("records an engine's checkpoints as state writes while its run is watched", async () => {
    const fixture = await freshEngine({ mintRateLimit: null, checkpointEveryRecords: 5, reserves: 'off' });
    try {
      const { engine } = fixture;
      await engine.createAccount('a');
      const stop = watchRun(engine);
      const started = performance.now();
      for (let i = 0; i < 40; i++) await engine.mint({ account: 'a', amount: 1n, chain: 'base', idempotencyKey: `k${i}` });
      // A checkpoint runs after its records are durable: wait until one has ended (bounded).
      for (let waits = 0; waits < 200 && engine.metrics().checkpoints === 0; waits++) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { stateWrites } = stop();
      expect(engine.metrics().checkpoints).toBeGreaterThan(0);
      expect(stateWrites.count).toBeGreaterThan(0);
      expect(stateWrites.startOf(0)).toBeGreaterThanOrEqual(started);
      expect(stateWrites.endOf(0)).toBeGreaterThanOrEqual(stateWrites.startOf(0));
    } finally {
      await fixture.dispose();
    }
  });
});
