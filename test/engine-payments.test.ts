// Goal (seed: payment processor): concurrent payments never overdraw, refunds reference their payment
// and never exceed it even when concurrent, and paid money stays in the ledger (clearing account);
// method: hundreds of concurrent payments and refunds against one funded account.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConserved, freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

async function funded(amount: bigint) {
  const fixture = await freshEngine({ mintRateLimit: null });
  dispose = fixture.dispose;
  await seedAccounts(fixture.engine, ['alice', 'bob']);
  await fixture.engine.mint({ account: 'alice', amount, chain: 'ethereum', idempotencyKey: 'fund' });
  return fixture.engine;
}

describe('payments and refunds', () => {
  it('never overdraws under 500 concurrent payments', async () => {
    const engine = await funded(100n);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => engine.pay({ account: 'alice', amount: 1n, idempotencyKey: `p${i}` })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect(results.filter((r) => !r.ok && r.code === 'INSUFFICIENT_FUNDS')).toHaveLength(400);
    expect(await engine.balance('alice')).toBe(0n);
    expect(await engine.balance('$payments')).toBe(100n);
    await expectConserved(engine, ['alice', 'bob']);
  });

  it('refunds up to the payment and no further, even concurrently', async () => {
    const engine = await funded(100n);
    const payment = await engine.pay({ account: 'alice', amount: 10n, idempotencyKey: 'pay' });
    if (!payment.ok) throw new Error('payment failed');
    const refund = (i: number | string, amount = 1n, account = 'alice') =>
      engine.refund({ account, amount, idempotencyKey: `r${i}`, originalTransactionId: payment.transactionId });
    const first = await refund('a', 4n);
    expect(first).toMatchObject({ ok: true, originalTransactionId: payment.transactionId, amount: 4n });
    expect(await refund('b', 7n)).toMatchObject({ ok: false, code: 'REFUND_EXCEEDS_PAYMENT' });
    const concurrent = await Promise.all(Array.from({ length: 20 }, (_, i) => refund(i)));
    expect(concurrent.filter((r) => r.ok)).toHaveLength(6);
    expect(concurrent.filter((r) => !r.ok && r.code === 'REFUND_EXCEEDS_PAYMENT')).toHaveLength(14);
    expect(await engine.balance('alice')).toBe(100n);
    expect(await refund('a', 4n)).toEqual({ ...first, replayed: true });
    await expectConserved(engine, ['alice', 'bob']);
  });

  it('refuses refunds of unknown payments or of another account', async () => {
    const engine = await funded(100n);
    const payment = await engine.pay({ account: 'alice', amount: 10n, idempotencyKey: 'pay' });
    if (!payment.ok) throw new Error('payment failed');
    const bob = await engine.refund({ account: 'bob', amount: 1n, idempotencyKey: 'x', originalTransactionId: payment.transactionId });
    expect(bob).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const none = await engine.refund({ account: 'alice', amount: 1n, idempotencyKey: 'y', originalTransactionId: 'pay_424242' });
    expect(none).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    await engine.setAccountState('alice', 'frozen');
    const frozen = await engine.refund({ account: 'alice', amount: 1n, idempotencyKey: 'z', originalTransactionId: payment.transactionId });
    expect(frozen).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_ACTIVE' });
    await engine.setAccountState('alice', 'active');
    const later = await engine.refund({ account: 'alice', amount: 1n, idempotencyKey: 'z', originalTransactionId: payment.transactionId });
    expect(later).toMatchObject({ ok: true, replayed: false });
  });
});
