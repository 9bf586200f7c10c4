// Goal (guarantee 5): a worker that dies at any injection point (before locking, holding locks,
// between the two balance writes of a transfer, after queueing its result, after a commit), by
// process.exit() or by an uncaught error, leaves no lock held and no partial balance, every caller
// gets an answer, and every key applies exactly once after retries; method: fault injection during
// thousands of concurrent transfers and mints, then balances recomputed from the acknowledged results,
// conservation, retries of every key, and a reopen.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { faultPoints, type MintEngine } from '../dist/index.js';
import { expectConserved, freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const ids = Array.from({ length: 8 }, (_, i) => `acct-${i}`);
const initial = 10_000n;

type Request =
  | { kind: 'transfer'; from: string; to: string; amount: bigint; idempotencyKey: string }
  | { kind: 'mint'; account: string; amount: bigint; chain: string; idempotencyKey: string };

function requests(seed: number): Request[] {
  const rows = fc.sample(fc.tuple(fc.nat(7), fc.nat(6), fc.integer({ min: 1, max: 60 }), fc.nat(9)), { seed, numRuns: 3000 });
  return rows.map(([x, y, amount, roll], i) => {
    const from = ids[x] as string;
    if (roll === 0) return { kind: 'mint', account: from, amount: BigInt(amount), chain: 'base', idempotencyKey: `m${i}` };
    const to = ids[(x + 1 + y) % ids.length] as string;
    return { kind: 'transfer', from, to, amount: BigInt(amount), idempotencyKey: `t${i}` };
  });
}

function send(engine: MintEngine, r: Request) {
  return r.kind === 'mint' ? engine.mint(r) : engine.transfer(r);
}

/** Balances implied by the acknowledged results alone. */
function expectedBalances(applied: Request[]): Map<string, bigint> {
  const balances = new Map(ids.map((id) => [id, initial]));
  for (const r of applied) {
    if (r.kind === 'mint') balances.set(r.account, (balances.get(r.account) ?? 0n) + r.amount);
    else {
      balances.set(r.from, (balances.get(r.from) ?? 0n) - r.amount);
      balances.set(r.to, (balances.get(r.to) ?? 0n) + r.amount);
    }
  }
  return balances;
}

async function expectBalances(engine: MintEngine, expected: Map<string, bigint>): Promise<void> {
  for (const [id, balance] of expected) expect(await engine.balance(id), id).toBe(balance);
}

/** Each point must exercise its own repair path, or the test proves less than it says. */
function expectRepairPath(point: string, r: { rolledForward: number; reexecuted: number; locksReleased: number; voidedSequences: number }): void {
  expect(r.reexecuted).toBeGreaterThan(0);
  if (point === 'mid-transfer' || point === 'before-writes') expect(r.rolledForward).toBeGreaterThan(0);
  else expect(r.rolledForward).toBe(0);
  if (['after-lock', 'after-queued', 'mid-transfer', 'after-sequence', 'before-writes'].includes(point)) {
    expect(r.locksReleased).toBeGreaterThan(0);
  } else expect(r.locksReleased).toBe(0);
  if (point === 'after-sequence') expect(r.voidedSequences).toBeGreaterThan(0);
  else expect(r.voidedSequences).toBe(0);
}

describe('worker death at every injection point', () => {
  for (const mode of ['exit', 'throw'] as const) {
    for (const point of faultPoints) {
      it(`${point} (${mode})`, { timeout: 60_000 }, async () => {
        // A short window that is never full still runs every rate-window path, roll-forward included.
        const fixture = await freshEngine({ mintRateLimit: { maxPerWindow: 64, windowMs: 5 }, faults: { point, everyOperations: 97, kills: 3, mode } });
        dispose = fixture.dispose;
        const { engine } = fixture;
        await seedAccounts(engine, ids);
        for (const id of ids) await engine.mint({ account: id, amount: initial, chain: 'base', idempotencyKey: `seed-${id}` });
        const workload = requests(point.length * 31 + (mode === 'exit' ? 1 : 2));
        const settled = await Promise.allSettled(workload.map((r) => send(engine, r)));
        const rejected = settled.filter((s) => s.status === 'rejected');
        expect(rejected.map((s) => (s.status === 'rejected' ? String(s.reason) : ''))).toEqual([]);
        const results = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
        for (const r of results) if (r !== undefined && !r.ok) expect(r.code).toBe('INSUFFICIENT_FUNDS');
        expect(engine.metrics().recoveries.workerDeaths).toBeGreaterThanOrEqual(1);
        expect(engine.diagnostics().heldLocks).toBe(0);
        expectRepairPath(point, engine.metrics().recoveries);

        const applied = workload.filter((_, i) => results[i]?.ok === true);
        const expected = expectedBalances(applied);
        await expectBalances(engine, expected);
        await expectConserved(engine, ids);

        const retries = await Promise.all(applied.map((r) => send(engine, r)));
        retries.forEach((retry, i) => {
          const original = results[workload.indexOf(applied[i] as Request)];
          expect(retry).toEqual({ ...original, replayed: true });
        });
        await expectBalances(engine, expected);

        await new Promise((resolve) => setTimeout(resolve, 50));
        const diagnostics = engine.diagnostics();
        expect(diagnostics.threadRowsInUse).toBeLessThanOrEqual(diagnostics.liveWorkers);

        const reopened = await fixture.reopen({ faults: null });
        await expectBalances(reopened, expected);
        await expectConserved(reopened, ids);
      });
    }
  }
});

describe('worker terminated from outside at a random instruction', () => {
  it('repairs every kill during concurrent transfers and mints', { timeout: 60_000 }, async () => {
    const fixture = await freshEngine({ mintRateLimit: null });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ids);
    for (const id of ids) await engine.mint({ account: id, amount: initial, chain: 'base', idempotencyKey: `seed-${id}` });
    const workload = requests(11);
    const pending = workload.map((r) => send(engine, r));
    let kills = 0;
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if ((await engine.killWorker()) !== undefined) kills++;
    }
    const settled = await Promise.allSettled(pending);
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(1);
    const results = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    const applied = workload.filter((_, i) => results[i]?.ok === true);
    expect(engine.diagnostics().heldLocks).toBe(0);
    await expectBalances(engine, expectedBalances(applied));
    await expectConserved(engine, ids);
    const reopened = await fixture.reopen();
    await expectBalances(reopened, expectedBalances(applied));
  });
});

describe('a mint rolled forward', () => {
  it('keeps its rate-window entry and its balance when its worker dies after the commit point', { timeout: 60_000 }, async () => {
    const fixture = await freshEngine({ mintRateLimit: { maxPerWindow: 8, windowMs: 3 }, faults: { point: 'before-writes', everyOperations: 41, kills: 3, mode: 'exit' } });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ids);
    const mints = Array.from({ length: 1500 }, (_, i) => ({ account: ids[i % ids.length] as string, amount: BigInt(1 + (i % 7)), chain: 'solana', idempotencyKey: `m${i}` }));
    const results = await Promise.all(mints.map((m) => engine.mint(m)));
    for (const r of results) if (!r.ok) expect(r.code).toBe('RATE_LIMITED');
    expect(engine.metrics().recoveries.rolledForward).toBeGreaterThan(0);
    const expected = new Map(ids.map((id) => [id, 0n]));
    mints.forEach((m, i) => {
      if (results[i]?.ok) expected.set(m.account, (expected.get(m.account) ?? 0n) + m.amount);
    });
    await expectBalances(engine, expected);
    const reopened = await fixture.reopen({ faults: null });
    await expectBalances(reopened, expected);
    await expectConserved(reopened, ids);
  });
});
