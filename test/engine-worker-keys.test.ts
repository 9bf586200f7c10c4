// Goal (guarantee 1, keys taken by the workers): with the keys in the shards' shared tables, written
// to disk and evicted past a small cap, every retried key still replays its original result (from
// memory in the worker, or from disk through the main thread), a reconciled key whose entry left
// memory executes again, a reconciliation whose worker died after its commit point still frees the
// key (the repair frees it), all of it holds after a restart, and the metrics count the key writes;
// method: a real engine with idempotencyMemoryKeys at its minimum, three times that many distinct
// keys minted, a wait until memory holds fewer keys than were minted, then every key sent again and
// the balances compared.
import { afterEach, describe, expect, it } from 'vitest';
import type { MintEngine, MintResult, Outcome } from '../dist/index.js';
import { expectConserved, freshEngine, seedAccounts, sumBalances } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const ids = Array.from({ length: 16 }, (_, i) => `acct-${i}`);
const cap = 4_096;
const minted = 3 * cap;
const chunk = 256;

type Mint = { account: string; amount: bigint; chain: string; idempotencyKey: string };

function mintOf(i: number): Mint {
  return { account: ids[i % ids.length] as string, amount: BigInt(1 + (i % 7)), chain: 'base', idempotencyKey: `k${i}` };
}

async function mintAll(engine: MintEngine, requests: readonly Mint[]): Promise<Array<Outcome<MintResult>>> {
  const answers: Array<Outcome<MintResult>> = [];
  for (let start = 0; start < requests.length; start += chunk) {
    answers.push(...(await Promise.all(requests.slice(start, start + chunk).map((r) => engine.mint(r)))));
  }
  return answers;
}

async function untilEvicted(engine: MintEngine, below: number): Promise<void> {
  for (let waited = 0; engine.metrics().idempotencyKeysInMemory >= below; waited += 20) {
    if (waited > 20_000) throw new Error(`keys in memory stayed at ${engine.metrics().idempotencyKeysInMemory}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An engine at the smallest key cap with three times that many keys minted, every one new. */
async function mintedEngine() {
  const fixture = await freshEngine({ idempotencyMemoryKeys: cap, mintRateLimit: null });
  dispose = fixture.dispose;
  await seedAccounts(fixture.engine, ids);
  const requests = Array.from({ length: minted }, (_, i) => mintOf(i));
  const firsts = await mintAll(fixture.engine, requests);
  expect(firsts.every((a) => a.ok && !a.replayed)).toBe(true);
  return { fixture, requests, firsts };
}

describe('keys taken by the workers', () => {
  it('replay from memory and from disk after eviction, and after a restart', { timeout: 60_000 }, async () => {
    const { fixture, requests, firsts } = await mintedEngine();
    const total = await sumBalances(fixture.engine, ids);
    await untilEvicted(fixture.engine, minted / 2);
    // Eviction follows a key write (no checkpoint is due at this size): the metrics count it. Only
    // the timer's checkpoint (every 15 s) could have written the keys first, on a very slow machine.
    const { keyWrites, checkpoints } = fixture.engine.metrics();
    expect(keyWrites + checkpoints).toBeGreaterThan(0);
    if (checkpoints === 0) expect(keyWrites).toBeGreaterThan(0);
    const exposition = await fixture.engine.prometheusMetrics();
    expect(exposition).toContain(`shardmint_key_writes_total ${keyWrites}\n`);
    expect(exposition).toContain(`shardmint_checkpoints_total ${checkpoints}\n`);

    const retries = await mintAll(fixture.engine, requests);
    retries.forEach((retry, i) => expect(retry).toEqual({ ...firsts[i], replayed: true }));
    expect(await sumBalances(fixture.engine, ids)).toBe(total);
    // A different amount under an evicted key conflicts; a new key still executes.
    const conflict = await fixture.engine.mint({ ...mintOf(0), amount: 999n });
    expect(conflict).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    const fresh = await fixture.engine.mint(mintOf(minted));
    expect(fresh).toMatchObject({ ok: true, replayed: false });

    const reopened = await fixture.reopen();
    const afterRestart = await mintAll(reopened, requests);
    afterRestart.forEach((retry, i) => expect(retry).toEqual({ ...firsts[i], replayed: true }));
    expect(await sumBalances(reopened, ids)).toBe(total + 1n + BigInt(minted % 7));
    await expectConserved(reopened, ids);
  });

  it('executes a reconciled key again though its entry had left memory', { timeout: 60_000 }, async () => {
    const { fixture, firsts } = await mintedEngine();
    await untilEvicted(fixture.engine, minted / 2);

    // The oldest keys are the first evicted: reconcile the first mint, then send its key again.
    const first = firsts[0] as { mintId: string };
    expect(await fixture.engine.reconcileFailedMint(first.mintId)).toMatchObject({ ok: true });
    const again = await fixture.engine.mint(mintOf(0));
    expect(again).toMatchObject({ ok: true, replayed: false });
    expect(again.ok && again.mintId).not.toBe(first.mintId);
    expect(await fixture.engine.mint(mintOf(0))).toEqual({ ...again, replayed: true });

    const reopened = await fixture.reopen();
    expect(await reopened.mint(mintOf(0))).toEqual({ ...again, replayed: true });
    expect(await reopened.mint(mintOf(1))).toEqual({ ...firsts[1], replayed: true });
    await expectConserved(reopened, ids);
  });

  it('frees the key of a reconciliation whose worker died after its commit point', { timeout: 60_000 }, async () => {
    // Worker operations: the mint is the first, the reconciliation the second, and dies at 'before-writes'.
    const faults = { point: 'before-writes' as const, everyOperations: 2, kills: 1, mode: 'exit' as const };
    const fixture = await freshEngine({ mintRateLimit: null, faults });
    dispose = fixture.dispose;
    await seedAccounts(fixture.engine, ids);
    const first = await fixture.engine.mint(mintOf(0));
    expect(first).toMatchObject({ ok: true, replayed: false });
    const mintId = first.ok ? first.mintId : '';
    expect(await fixture.engine.reconcileFailedMint(mintId)).toMatchObject({ ok: true });
    expect(fixture.engine.metrics().recoveries).toMatchObject({ workerDeaths: 1, rolledForward: 1 });
    const again = await fixture.engine.mint(mintOf(0));
    expect(again).toMatchObject({ ok: true, replayed: false });
    expect(await fixture.engine.mint(mintOf(0))).toEqual({ ...again, replayed: true });
    await expectConserved(fixture.engine, ids);
  });
});
