// Goal (seed: stablecoin architecture): supply never exceeds reserves when enforced, even under
// concurrent mints; burns free reserve room; account states follow the state machine and block every
// money movement touching a non-active account; the account capacity is a clear error; method: real
// engine operations with supply and balance checks.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConserved, freshEngine } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

async function engineWith(overrides = {}) {
  const fixture = await freshEngine({ mintRateLimit: null, ...overrides });
  dispose = fixture.dispose;
  for (const id of ['alice', 'bob']) await fixture.engine.createAccount(id);
  return fixture.engine;
}

const mint = (i: number | string, amount = 1n, account = 'alice') => ({ account, amount, chain: 'arbitrum', idempotencyKey: `m${i}` });

describe('reserves', () => {
  it('never lets supply pass the deposited reserves, even with 300 concurrent mints', async () => {
    const engine = await engineWith();
    expect(await engine.mint(mint('none'))).toMatchObject({ ok: false, code: 'RESERVES_EXCEEDED' });
    await engine.depositReserves({ amount: 100n, idempotencyKey: 'r1' });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => engine.mint(mint(i, 1n, i % 2 ? 'alice' : 'bob'))));
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect(results.filter((r) => !r.ok && r.code === 'RESERVES_EXCEEDED')).toHaveLength(200);
    expect(await engine.supply()).toMatchObject({ total: 100n, reserves: 100n });
    // Which account won the contested mints depends on scheduling: burn from the richer one.
    const richer = (await engine.balance('alice')) >= 50n ? 'alice' : 'bob';
    expect(await engine.burn({ account: richer, amount: 10n, chain: 'arbitrum', idempotencyKey: 'b1' })).toMatchObject({ ok: true });
    expect(await engine.mint(mint('after-burn', 10n))).toMatchObject({ ok: true });
    expect(await engine.mint(mint('over'))).toMatchObject({ ok: false, code: 'RESERVES_EXCEEDED' });
    await expectConserved(engine, ['alice', 'bob']);
  });

  it("does not enforce reserves when reserves is 'off', and refuses burns past a chain's supply", async () => {
    const engine = await engineWith({ reserves: 'off' });
    expect(await engine.mint(mint(1, 50n))).toMatchObject({ ok: true });
    const wrongChain = await engine.burn({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: 'b' });
    expect(wrongChain).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expect(await engine.balance('alice')).toBe(50n);
  });

  it('replays a deposit and refuses a deposit conflict', async () => {
    const engine = await engineWith();
    const first = await engine.depositReserves({ amount: 5n, idempotencyKey: 'd' });
    expect(await engine.depositReserves({ amount: 5n, idempotencyKey: 'd' })).toEqual({ ...first, replayed: true });
    expect(await engine.depositReserves({ amount: 6n, idempotencyKey: 'd' })).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await engine.supply()).reserves).toBe(5n);
  });
});

describe('account states', () => {
  it('blocks money movement touching a non-active account and follows the state machine', async () => {
    const engine = await engineWith({ reserves: 'off' });
    await engine.mint(mint('fund', 100n));
    await engine.mint(mint('fund-bob', 100n, 'bob'));
    for (const state of ['paused', 'frozen', 'blacklisted'] as const) {
      expect(await engine.setAccountState('bob', state)).toMatchObject({ ok: true, previousState: 'active', state });
      expect(await engine.mint(mint(`x-${state}`, 1n, 'bob'))).toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
      expect(await engine.burn({ ...mint(`b-${state}`, 1n, 'bob') })).toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
      expect(await engine.transfer({ from: 'alice', to: 'bob', amount: 1n, idempotencyKey: `in-${state}` })).toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
      expect(await engine.transfer({ from: 'bob', to: 'alice', amount: 1n, idempotencyKey: `out-${state}` })).toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
      expect(await engine.pay({ account: 'bob', amount: 1n, idempotencyKey: `p-${state}` })).toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
      expect(await engine.setAccountState('bob', state)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
      const other = state === 'paused' ? 'frozen' : 'paused';
      expect(await engine.setAccountState('bob', other)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
      expect(await engine.getAccount('bob')).toEqual({ id: 'bob', balance: 100n, state });
      expect(await engine.setAccountState('bob', 'active')).toMatchObject({ ok: true, previousState: state });
    }
    expect(await engine.setAccountState('bob', 'active')).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(await engine.balance('alice')).toBe(100n);
  });

  it('refuses new accounts past maxAccounts with ERR_CAPACITY and duplicates with ACCOUNT_EXISTS', async () => {
    const engine = await engineWith({ maxAccounts: 3 });
    expect(await engine.createAccount('alice')).toMatchObject({ ok: false, code: 'ACCOUNT_EXISTS' });
    expect(await engine.createAccount('carol')).toMatchObject({ ok: true });
    await expect(engine.createAccount('dave')).rejects.toMatchObject({ code: 'ERR_CAPACITY' });
  });
});
