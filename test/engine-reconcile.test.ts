// Goal (seed: reconciliation): a failed mint rolls back exactly once, frees its key for a retry,
// refuses when the amount was spent, and stays reconciled across a restart; method: real engine
// operations with balance, supply and getMint checks.
import { afterEach, describe, expect, it } from 'vitest';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const mintArgs = { account: 'alice', amount: 500n, chain: 'polygon', idempotencyKey: 'order-1' };

async function setup() {
  const fixture = await freshEngine({ mintRateLimit: null });
  dispose = fixture.dispose;
  await seedAccounts(fixture.engine, ['alice', 'bob']);
  return fixture;
}

describe('reconcileFailedMint', () => {
  it('rolls a mint back once and frees its key', async () => {
    const fixture = await setup();
    const { engine } = fixture;
    const minted = await engine.mint(mintArgs);
    if (!minted.ok) throw new Error('mint failed');
    const reconciled = await engine.reconcileFailedMint(minted.mintId);
    expect(reconciled).toMatchObject({ ok: true, mintId: minted.mintId, account: 'alice', amount: 500n, chain: 'polygon' });
    expect(await engine.balance('alice')).toBe(0n);
    expect(await engine.supply()).toMatchObject({ total: 0n });
    expect((await engine.supply()).byChain['polygon']).toBe(0n);
    expect(await engine.getMint(minted.mintId)).toMatchObject({ reconciled: true });
    expect(await engine.reconcileFailedMint(minted.mintId)).toMatchObject({ ok: false, code: 'ALREADY_RECONCILED' });

    const retried = await engine.mint(mintArgs);
    expect(retried).toMatchObject({ ok: true, replayed: false });
    expect(retried.ok && retried.mintId !== minted.mintId).toBe(true);
    expect(await engine.balance('alice')).toBe(500n);

    const reopened = await fixture.reopen();
    expect(await reopened.reconcileFailedMint(minted.mintId)).toMatchObject({ code: 'ALREADY_RECONCILED' });
    expect(await reopened.mint(mintArgs)).toEqual({ ...retried, replayed: true });
    expect(await reopened.getMint(minted.mintId)).toMatchObject({ reconciled: true, idempotencyKey: 'order-1' });
  });

  it('refuses when the minted amount was spent, and changes nothing', async () => {
    const { engine } = await setup();
    const minted = await engine.mint(mintArgs);
    if (!minted.ok) throw new Error('mint failed');
    await engine.transfer({ from: 'alice', to: 'bob', amount: 1n, idempotencyKey: 't' });
    expect(await engine.reconcileFailedMint(minted.mintId)).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expect(await engine.balance('alice')).toBe(499n);
    expect(await engine.getMint(minted.mintId)).toMatchObject({ reconciled: false });
    expect(await engine.mint(mintArgs)).toMatchObject({ ok: true, replayed: true });
  });

  it('reconciles once under concurrent calls and answers NOT_FOUND for unknown mints', async () => {
    const { engine } = await setup();
    const minted = await engine.mint(mintArgs);
    if (!minted.ok) throw new Error('mint failed');
    const results = await Promise.all(Array.from({ length: 8 }, () => engine.reconcileFailedMint(minted.mintId)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.code === 'ALREADY_RECONCILED')).toHaveLength(7);
    expect(await engine.balance('alice')).toBe(0n);
    expect(await engine.reconcileFailedMint('mnt_999999')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await engine.reconcileFailedMint('pay_1')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });
});
