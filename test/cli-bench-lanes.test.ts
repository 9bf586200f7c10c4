// Goal: the bench's lanes keep exactly their number of requests in flight, go on after a rejected
// request, and resolve only once every request sent has its answer; method: a real engine driven
// through runLanes with a counting host, some requests invalid on purpose.
import { afterEach, describe, expect, it } from 'vitest';
import { runLanes, type LaneHost } from '../dist/cli/bench-lanes.js';
import type { Issued } from '../dist/cli/bench-workload.js';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: () => Promise<void> = async () => undefined;
afterEach(() => dispose());

describe('bench lanes', () => {
  it('hold their number of requests in flight and finish every one', { timeout: 60_000 }, async () => {
    const fresh = await freshEngine({ mintRateLimit: null });
    dispose = fresh.dispose;
    const accounts = Array.from({ length: 64 }, (_, i) => `lane-${i}`);
    await seedAccounts(fresh.engine, accounts);
    const lanes = 16;
    const total = 2_000;
    let sent = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    let answered = 0;
    let rejected = 0;
    const startedAt = performance.now();
    const host: LaneHost = {
      next(): Issued | undefined {
        if (sent === total) return undefined;
        // Every 50th request has a zero amount: the engine rejects it with ERR_INVALID_ARGUMENT.
        const amount = sent % 50 === 49 ? 0n : 1n;
        const request = { kind: 'mint' as const, args: { account: accounts[sent % accounts.length] ?? '', amount, chain: 'ethereum', idempotencyKey: `k${sent}` } };
        sent++;
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        return { request, id: undefined };
      },
      lastWasDuplicate: false,
      answered(result, _issued, _duplicate, latencyMs, atMs) {
        expect(result['ok']).toBe(true);
        expect(latencyMs).toBeGreaterThanOrEqual(0);
        // The answer's time is a clock reading of its own, after its request was sent.
        expect(atMs - latencyMs).toBeGreaterThanOrEqual(startedAt);
        expect(atMs).toBeLessThanOrEqual(performance.now());
        inFlight--;
        answered++;
      },
      rejected(error) {
        expect((error as { code?: string }).code).toBe('ERR_INVALID_ARGUMENT');
        inFlight--;
        rejected++;
      },
    };
    await runLanes(fresh.engine, host, lanes);
    expect(inFlight).toBe(0);
    expect(mostInFlight).toBe(lanes);
    expect(rejected).toBe(total / 50);
    expect(answered).toBe(total - total / 50);
    expect(fresh.engine.metrics().operations['mint']?.['ok']).toBe(answered);
  });

  it('stop and reject with the error a host call threw, once every lane has its answer', { timeout: 60_000 }, async () => {
    const fresh = await freshEngine({ mintRateLimit: null });
    dispose = fresh.dispose;
    await seedAccounts(fresh.engine, ['lane-a']);
    let sent = 0;
    let inFlight = 0;
    const host: LaneHost = {
      next(): Issued | undefined {
        sent++;
        inFlight++;
        return { request: { kind: 'mint', args: { account: 'lane-a', amount: 1n, chain: 'ethereum', idempotencyKey: `s${sent}` } }, id: undefined };
      },
      lastWasDuplicate: false,
      answered() {
        inFlight--;
        if (sent >= 40) throw new Error('tally bug');
      },
      rejected() {
        inFlight--;
      },
    };
    await expect(runLanes(fresh.engine, host, 8)).rejects.toThrow('tally bug');
    expect(inFlight).toBe(0);
    expect(sent).toBeLessThan(60);
  });
});
