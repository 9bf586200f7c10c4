// Goal (guarantee 7): every public function refuses bad input with ERR_INVALID_ARGUMENT (or
// ERR_ACCOUNT_NOT_FOUND for reads of unknown accounts) and nothing changes; method: a table of bad
// calls per function, each followed by a comparison of the whole observable state with before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MintEngine } from '../dist/index.js';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let engine: MintEngine;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const fixture = await freshEngine({ mintRateLimit: null });
  engine = fixture.engine;
  dispose = fixture.dispose;
  await seedAccounts(engine, ['alice', 'bob']);
  await engine.mint({ account: 'alice', amount: 1000n, chain: 'ethereum', idempotencyKey: 'fund' });
});
afterAll(async () => dispose());

const long = 'x'.repeat(65);
const longUtf8 = 'é'.repeat(33); // 66 UTF-8 bytes in 33 characters
const longKey = 'k'.repeat(256);
const ok = { account: 'alice', amount: 1n, chain: 'ethereum', idempotencyKey: 'k' };

type Call = [label: string, call: (e: MintEngine) => Promise<unknown>];
const bad = <T>(v: T) => v as never;

const invalid: Call[] = [
  ['createAccount(number)', (e) => e.createAccount(bad(1))],
  ['createAccount("")', (e) => e.createAccount('')],
  ['createAccount(65 bytes)', (e) => e.createAccount(long)],
  ['createAccount(66 UTF-8 bytes)', (e) => e.createAccount(longUtf8)],
  ['createAccount("$payments")', (e) => e.createAccount('$payments')],
  ['depositReserves(null)', (e) => e.depositReserves(bad(null))],
  ['depositReserves(number amount)', (e) => e.depositReserves({ amount: bad(5), idempotencyKey: 'd' })],
  ['depositReserves(no key)', (e) => e.depositReserves(bad({ amount: 5n }))],
  ['mint(undefined)', (e) => e.mint(bad(undefined))],
  ['mint(number amount)', (e) => e.mint({ ...ok, amount: bad(1) })],
  ['mint(string amount)', (e) => e.mint({ ...ok, amount: bad('1') })],
  ['mint(zero)', (e) => e.mint({ ...ok, amount: 0n })],
  ['mint(negative)', (e) => e.mint({ ...ok, amount: -1n })],
  ['mint(over int64)', (e) => e.mint({ ...ok, amount: 2n ** 63n })],
  ['mint(float)', (e) => e.mint({ ...ok, amount: bad(1.5) })],
  ['mint(unknown chain)', (e) => e.mint({ ...ok, chain: 'dogechain' })],
  ['mint(chain number)', (e) => e.mint({ ...ok, chain: bad(1) })],
  ['mint(empty key)', (e) => e.mint({ ...ok, idempotencyKey: '' })],
  ['mint(256-char key)', (e) => e.mint({ ...ok, idempotencyKey: longKey })],
  ['mint(key number)', (e) => e.mint({ ...ok, idempotencyKey: bad(7) })],
  ['mint(empty account)', (e) => e.mint({ ...ok, account: '' })],
  ['mint(long account)', (e) => e.mint({ ...ok, account: long })],
  ['burn(number amount)', (e) => e.burn({ ...ok, amount: bad(1) })],
  ['burn(unknown chain)', (e) => e.burn({ ...ok, chain: 'x' })],
  ['transfer(to itself)', (e) => e.transfer({ from: 'alice', to: 'alice', amount: 1n, idempotencyKey: 't' })],
  ['transfer(zero)', (e) => e.transfer({ from: 'alice', to: 'bob', amount: 0n, idempotencyKey: 't' })],
  ['transfer(missing to)', (e) => e.transfer(bad({ from: 'alice', amount: 1n, idempotencyKey: 't' }))],
  ['pay(negative)', (e) => e.pay({ account: 'alice', amount: -5n, idempotencyKey: 'p' })],
  ['pay(array)', (e) => e.pay(bad([]))],
  ['refund(no original)', (e) => e.refund(bad({ account: 'alice', amount: 1n, idempotencyKey: 'r' }))],
  ['refund(original number)', (e) => e.refund({ account: 'alice', amount: 1n, idempotencyKey: 'r', originalTransactionId: bad(3) })],
  ['reconcileFailedMint(number)', (e) => e.reconcileFailedMint(bad(4))],
  ['reconcileFailedMint("")', (e) => e.reconcileFailedMint('')],
  ['setAccountState(bad state)', (e) => e.setAccountState('alice', bad('closed'))],
  ['setAccountState(bad id)', (e) => e.setAccountState(bad(null), 'frozen')],
  ['balance(number)', (e) => e.balance(bad(1))],
  ['getAccount("")', (e) => e.getAccount('')],
  ['getMint(object)', (e) => e.getMint(bad({}))],
];

async function observe(e: MintEngine): Promise<unknown> {
  const accounts = await Promise.all(['alice', 'bob', '$payments'].map((id) => e.getAccount(id)));
  return { accounts, supply: await e.supply(), durable: e.metrics().durableSequence };
}

describe('bad input', () => {
  it.each(invalid)('%s rejects with ERR_INVALID_ARGUMENT and changes nothing', async (_label, call) => {
    const before = await observe(engine);
    await expect(call(engine)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(await observe(engine)).toEqual(before);
  });

  it('rejects reads of unknown accounts with ERR_ACCOUNT_NOT_FOUND', async () => {
    await expect(engine.balance('nobody')).rejects.toMatchObject({ code: 'ERR_ACCOUNT_NOT_FOUND' });
    expect(await engine.getAccount('nobody')).toBeUndefined();
    expect(await engine.getMint('mnt_99999')).toBeUndefined();
  });

  it('answers ACCOUNT_NOT_FOUND for money movement touching an unknown account, changing nothing', async () => {
    const before = await observe(engine);
    expect(await engine.mint({ ...ok, account: 'nobody' })).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
    expect(await engine.burn({ ...ok, account: 'nobody' })).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    expect(await engine.transfer({ from: 'alice', to: 'nobody', amount: 1n, idempotencyKey: 't' })).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    expect(await engine.pay({ account: 'nobody', amount: 1n, idempotencyKey: 'p' })).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    expect(await engine.setAccountState('nobody', 'frozen')).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    expect(await observe(engine)).toEqual(before);
  });

  it('still works after all of that', async () => {
    expect(await engine.mint({ ...ok, idempotencyKey: 'after' })).toMatchObject({ ok: true });
    expect(engine.metrics().operations['mint']?.['ERR_INVALID_ARGUMENT']).toBeGreaterThan(0);
  });
});
