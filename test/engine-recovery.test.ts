// Goal (guarantee 2): every durable effect survives close and reopen, whether recovery starts from a
// checkpoint plus a log tail or from the log alone; method: a seeded mixed workload (mints, burns,
// transfers, payments, refunds, reconciliations, state changes) with checkpoints every few records,
// then a full comparison of the observable state and of every key's replay before and after reopening.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MintEngine } from '../dist/index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import { engineOptions, expectConserved, freshEngine, seedAccounts, tempDirectory } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const ids = ['a', 'b', 'c', 'd', 'e'];
const chains = ['ethereum', 'solana'];

type Request = { kind: 'mint' | 'burn' | 'transfer' | 'pay' | 'state'; args: Record<string, unknown> };

async function workload(engine: MintEngine, seed: number): Promise<Request[]> {
  const random = fc.sample(fc.array(fc.tuple(fc.nat(99), fc.nat(4), fc.nat(4), fc.integer({ min: 1, max: 300 })), { minLength: 300, maxLength: 300 }), { seed, numRuns: 1 })[0] ?? [];
  const requests: Request[] = [];
  const calls = random.map(([roll, x, y, amount], i) => {
    const account = ids[x] as string;
    const chain = chains[i % 2] as string;
    const key = `w${i}`;
    let request: Request;
    if (roll < 40) request = { kind: 'mint', args: { account, amount: BigInt(amount), chain, idempotencyKey: key } };
    else if (roll < 50) request = { kind: 'burn', args: { account, amount: BigInt(amount), chain, idempotencyKey: key } };
    else if (roll < 75 && x !== y) request = { kind: 'transfer', args: { from: account, to: ids[y], amount: BigInt(amount), idempotencyKey: key } };
    else if (roll < 95) request = { kind: 'pay', args: { account, amount: BigInt(amount), idempotencyKey: key } };
    else request = { kind: 'state', args: { id: account, state: roll % 2 ? 'frozen' : 'active' } };
    return call(engine, request).then((result) => {
      // Only successes hold their key: replaying a refused request would execute it for the first time.
      if ((result as { ok: boolean }).ok && request.kind !== 'state') requests.push(request);
    });
  });
  await Promise.all(calls);
  return requests;
}

function call(engine: MintEngine, r: Request): Promise<unknown> {
  const a = r.args as never;
  if (r.kind === 'mint') return engine.mint(a);
  if (r.kind === 'burn') return engine.burn(a);
  if (r.kind === 'transfer') return engine.transfer(a);
  if (r.kind === 'pay') return engine.pay(a);
  return engine.setAccountState(r.args['id'] as string, r.args['state'] as never);
}

async function snapshot(engine: MintEngine, requests: Request[]): Promise<unknown> {
  const accounts = await Promise.all([...ids, '$payments'].map((id) => engine.getAccount(id)));
  const replays = [];
  for (const r of requests) replays.push(await call(engine, r));
  return { accounts, supply: await engine.supply(), replays, durable: engine.metrics().durableSequence };
}

describe('recovery', () => {
  for (const checkpointEveryRecords of [7, 100_000]) {
    it(`restores the whole observable state (checkpoint every ${checkpointEveryRecords} records)`, async () => {
      const fixture = await freshEngine({ mintRateLimit: null, checkpointEveryRecords });
      dispose = fixture.dispose;
      await seedAccounts(fixture.engine, ids);
      const requests = await workload(fixture.engine, 42 + checkpointEveryRecords);
      const pay = await fixture.engine.pay({ account: 'a', amount: 1n, idempotencyKey: 'small' });
      if (pay.ok) await fixture.engine.refund({ account: 'a', amount: 1n, idempotencyKey: 'rf', originalTransactionId: pay.transactionId });
      const minted = await fixture.engine.mint({ account: 'e', amount: 5n, chain: 'solana', idempotencyKey: 'rec' });
      if (minted.ok) await fixture.engine.reconcileFailedMint(minted.mintId);
      await expectConserved(fixture.engine, ids);
      expect(requests.length).toBeGreaterThan(50);
      const before = await snapshot(fixture.engine, requests);
      const reopened = await fixture.reopen();
      expect(await snapshot(reopened, requests)).toEqual(before);
      await expectConserved(reopened, ids);
      if (minted.ok) expect(await reopened.getMint(minted.mintId)).toMatchObject({ reconciled: true });
    });
  }

  it('refuses to open when the checkpoint counts log records the log does not hold', async () => {
    const dir = tempDirectory();
    try {
      // The store keeps its checkpoint and its log in two environments: a damaged pair is caught.
      const store = new LmdbStore({ directory: dir.path, durability: 'flush' });
      const chainSupply = { ethereum: 0n };
      const header = { seq: 5, supply: 0n, reserves: 0n, clearing: 0n, chainSupply, accountCount: 0, writtenAt: Date.now() };
      const none = (): undefined => undefined;
      const noAccounts = { count: 0, slot: new Int32Array(0), balance: new BigInt64Array(0), stateCode: new Uint8Array(0), id: [] };
      await store.writeCheckpoint({ header, accounts: noAccounts, idempotency: none, refunded: [], reconciled: [] });
      await store.close();
      await expect(MintEngine.open(engineOptions(dir.path))).rejects.toMatchObject({ code: 'ERR_ENGINE_FAILED', message: expect.stringMatching(/damaged/) });
    } finally {
      dir.remove();
    }
  });
});
