// Goal: the results of the hot-path operations (made with `new`, not as literals, so that V8 never
// allocates them in the old generation) carry exactly the documented fields in the documented order,
// fresh, replayed and after a restart, and clone and serialize as plain data; method: one call of
// each kind on a real engine, its replay, a reopen and the replay again, each result's own keys,
// structuredClone and JSON compared field by field.
import { afterEach, describe, expect, it } from 'vitest';
import type { MintEngine } from '../dist/index.js';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const applied = ['ok', 'createdAt', 'replayed'];
const fields = {
  mint: [...applied, 'mintId', 'account', 'amount', 'chain'],
  burn: [...applied, 'burnId', 'account', 'amount', 'chain'],
  transfer: [...applied, 'transferId', 'from', 'to', 'amount'],
  pay: [...applied, 'transactionId', 'account', 'amount'],
  refund: [...applied, 'transactionId', 'originalTransactionId', 'account', 'amount'],
  deposit: [...applied, 'depositId', 'amount'],
} as const;

type Kind = keyof typeof fields;

async function callEach(engine: MintEngine, paymentId: string): Promise<Record<Kind, object>> {
  const amount = 7n;
  return {
    mint: await engine.mint({ account: 'alice', amount, chain: 'base', idempotencyKey: 'm' }),
    burn: await engine.burn({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: 'b' }),
    transfer: await engine.transfer({ from: 'alice', to: 'bob', amount: 2n, idempotencyKey: 't' }),
    pay: await engine.pay({ account: 'alice', amount: 1n, idempotencyKey: 'p' }),
    refund: await engine.refund({ account: 'alice', amount: 1n, idempotencyKey: 'r', originalTransactionId: paymentId }),
    deposit: await engine.depositReserves({ amount: 5n, idempotencyKey: 'd' }),
  };
}

function expectShape(results: Record<Kind, object>, replayed: boolean): void {
  for (const kind of Object.keys(fields) as Kind[]) {
    const result = results[kind] as Record<string, unknown>;
    expect(Object.keys(result), kind).toEqual(fields[kind]);
    expect(result['ok'], kind).toBe(true);
    expect(result['replayed'], kind).toBe(replayed);
    const plain = structuredClone(result);
    expect(Object.keys(plain), kind).toEqual(fields[kind]);
    for (const field of fields[kind]) expect(plain[field], `${kind}.${field}`).toBe(result[field]);
    const json = JSON.parse(JSON.stringify(result, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))) as Record<string, unknown>;
    expect(Object.keys(json), kind).toEqual(fields[kind]);
  }
}

describe('result objects', () => {
  it('carry the documented fields in order, fresh, replayed and after a restart', async () => {
    const fresh = await freshEngine({ mintRateLimit: null });
    dispose = fresh.dispose;
    await seedAccounts(fresh.engine, ['alice', 'bob']);
    await fresh.engine.mint({ account: 'alice', amount: 100n, chain: 'base', idempotencyKey: 'seed' });
    // The refunds refund this payment.
    const payment = await fresh.engine.pay({ account: 'alice', amount: 5n, idempotencyKey: 'p0' });
    expect(payment.ok).toBe(true);
    const paymentId = (payment as { transactionId: string }).transactionId;
    const first = await callEach(fresh.engine, paymentId);
    expectShape(first, false);
    const again = await callEach(fresh.engine, paymentId);
    expectShape(again, true);
    const reopened = await fresh.reopen();
    const afterRestart = await callEach(reopened, paymentId);
    expectShape(afterRestart, true);
    for (const kind of Object.keys(fields) as Kind[]) expect(afterRestart[kind], kind).toEqual(again[kind]);
  });
});
