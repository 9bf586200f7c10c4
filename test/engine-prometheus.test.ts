// Goal: engine.prometheusMetrics() exposes operations by kind and outcome, replays, rate-limit
// refusals, lock counters, the keys in the filter of keys on disk and the histograms (latency, group-commit time, lock waits) in valid
// Prometheus text, with counts that match what happened; method: a small known workload, then the
// exposition parsed line by line.
import { afterEach, describe, expect, it } from 'vitest';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

describe('prometheus metrics', () => {
  it('exposes counters and histograms that match the workload', async () => {
    const fixture = await freshEngine({ mintRateLimit: { maxPerWindow: 3, windowMs: 60_000 } });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ['alice']);
    for (let i = 0; i < 5; i++) await engine.mint({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: `k${i}` });
    await engine.mint({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: 'k0' });
    const first = await engine.prometheusMetrics();
    expect(value(first, 'shardmint_operations_total{kind="mint",outcome="ok"}')).toBe(3);
    expect(value(first, 'shardmint_operations_total{kind="mint",outcome="RATE_LIMITED"}')).toBe(2);
    expect(value(first, 'shardmint_idempotent_replays_total')).toBe(1);
    expect(value(first, 'shardmint_rate_limit_refusals_total')).toBe(2);
    expect(value(first, 'shardmint_lock_acquisitions_total')).toBe(5); // the replay never reaches a worker
    expect(value(first, 'shardmint_durable_watermark_lag')).toBe(0);
    expect(value(first, 'shardmint_operation_duration_seconds_count')).toBe(8);
    expect(value(first, 'shardmint_operation_duration_seconds_bucket{le="+Inf"}')).toBe(8);
    expect(first).toMatch(/# TYPE shardmint_lock_wait_seconds histogram/);
    // One commit time per durable group, the same count in the snapshot and in the exposition.
    const { commit } = engine.metrics();
    expect(commit.groups).toBeGreaterThan(0);
    expect(commit.durationMs.count).toBe(commit.groups);
    expect(value(first, 'shardmint_group_commit_duration_seconds_count')).toBe(commit.groups);
    expect(value(first, 'shardmint_group_commit_duration_seconds_sum')).toBeGreaterThan(0);
    await engine.mint({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: 'k1' });
    const second = await engine.prometheusMetrics();
    expect(value(second, 'shardmint_idempotent_replays_total')).toBe(2);
    expect(value(second, 'shardmint_operations_total{kind="mint",outcome="ok"}')).toBe(3);
    expect(engine.prometheusContentType).toMatch(/^text\/plain/);
    // The keys written to disk at close seed the filter of keys on disk at open: the three mints'
    // and the deposit's (refused mints take no key).
    expect(value(second, 'shardmint_idempotency_keys_in_filter')).toBe(0);
    const reopened = await fixture.reopen();
    expect(reopened.metrics().idempotencyKeysInFilter).toBe(4);
    expect(value(await reopened.prometheusMetrics(), 'shardmint_idempotency_keys_in_filter')).toBe(4);
  });
});
