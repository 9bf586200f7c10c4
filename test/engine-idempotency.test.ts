// Goal (guarantee 1, seeds: token expiry, payment idempotency): a key takes effect at most once while
// it lives, replays return the original result, a different payload conflicts, concurrent requests
// with one key execute once, refusals leave the key free, keys are per account, and an expired key
// executes again and is purged; method: real engines with short TTLs and observable balances.
import { afterEach, describe, expect, it } from 'vitest';
import { keyHash } from '../dist/domain/key-hash.js';
import { keyCompactionCycle } from '../dist/store/lmdb-key-index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

async function setup(overrides = {}) {
  const fixture = await freshEngine({ mintRateLimit: null, ...overrides });
  dispose = fixture.dispose;
  await seedAccounts(fixture.engine, ['alice', 'bob']);
  return fixture;
}

const mintArgs = { account: 'alice', amount: 100n, chain: 'ethereum', idempotencyKey: 'k1' };

describe('idempotency', () => {
  it('replays before the TTL and executes again after it (seed: token expiry)', async () => {
    const { engine } = await setup({ idempotencyTtlMs: 400 });
    const first = await engine.mint(mintArgs);
    const replay = await engine.mint(mintArgs);
    expect(first.ok && replay.ok).toBe(true);
    if (!first.ok || !replay.ok) return;
    expect(replay).toEqual({ ...first, replayed: true });
    expect(await engine.balance('alice')).toBe(100n);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const again = await engine.mint(mintArgs);
    expect(again.ok && !again.replayed && again.mintId !== first.mintId).toBe(true);
    expect(await engine.balance('alice')).toBe(200n);
  });

  it('refuses the same key with different parameters and changes nothing', async () => {
    const { engine } = await setup();
    await engine.mint(mintArgs);
    const conflict = await engine.mint({ ...mintArgs, amount: 101n });
    expect(conflict).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    const otherKind = await engine.burn(mintArgs);
    expect(otherKind).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    expect(await engine.balance('alice')).toBe(100n);
  });

  it('executes 64 concurrent requests with one key once', async () => {
    const { engine } = await setup();
    const results = await Promise.all(Array.from({ length: 64 }, () => engine.mint(mintArgs)));
    const ids = new Set(results.map((r) => (r.ok ? r.mintId : r.code)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
    expect(results.filter((r) => r.ok && r.replayed)).toHaveLength(63);
    expect(await engine.balance('alice')).toBe(100n);
    expect((await engine.supply()).total).toBe(100n);
  });

  it('conflicts at once with a different payload while the key is in flight', async () => {
    const { engine } = await setup();
    const [a, b] = await Promise.all([engine.mint(mintArgs), engine.mint({ ...mintArgs, amount: 5n })]);
    expect(a.ok).toBe(true);
    expect(b).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    expect(await engine.balance('alice')).toBe(100n);
  });

  it('scopes keys to the primary account', async () => {
    const { engine } = await setup();
    const a = await engine.mint(mintArgs);
    const b = await engine.mint({ ...mintArgs, account: 'bob' });
    expect(a.ok && b.ok && !b.replayed).toBe(true);
  });

  it('does not cache refusals: the same key succeeds once the cause is gone', async () => {
    const { engine } = await setup();
    const burn = { account: 'alice', amount: 50n, chain: 'ethereum', idempotencyKey: 'b1' };
    expect(await engine.burn(burn)).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    await engine.mint(mintArgs);
    expect(await engine.burn(burn)).toMatchObject({ ok: true, replayed: false });
    await engine.setAccountState('bob', 'frozen');
    const payBob = { account: 'bob', amount: 1n, idempotencyKey: 'p1' };
    expect(await engine.mint({ ...mintArgs, account: 'bob', idempotencyKey: 'mb' })).toMatchObject({ code: 'ACCOUNT_NOT_ACTIVE' });
    await engine.setAccountState('bob', 'active');
    expect(await engine.mint({ ...mintArgs, account: 'bob', idempotencyKey: 'mb' })).toMatchObject({ ok: true, replayed: false });
    expect(await engine.pay(payBob)).toMatchObject({ ok: true, replayed: false });
  });

  it('survives a restart and purges expired keys from memory and disk', async () => {
    // Long enough for a close and reopen on a loaded machine (with 300 ms one took 385 ms once, and the
    // key had expired before the retry).
    const ttlMs = 1_000;
    const fixture = await setup({ idempotencyTtlMs: ttlMs, checkpointEveryRecords: 1 });
    const first = await fixture.engine.mint(mintArgs);
    let engine = await fixture.reopen();
    expect(await engine.mint(mintArgs)).toEqual({ ...first, replayed: true });
    for (let i = 0; i < 50; i++) await engine.mint({ ...mintArgs, idempotencyKey: `bulk-${i}` });
    await new Promise((resolve) => setTimeout(resolve, ttlMs + 50));
    // Expired keys leave the disk when their bucket is compacted, each bucket at least once per
    // cycle of checkpoints, and merged whole once about half dead. The last bulk keys may reach the
    // disk only with the first triggers (no commit, no checkpoint, during the wait), in blocks whose
    // dead share is judged from their expiries: half dead only about half a TTL later. So mint until
    // a full cycle has run after a TTL of triggers (bounded).
    const triggers: number[] = [];
    const started = Date.now();
    let cycleFrom: number | undefined;
    for (let i = 0; i < 2_000 && (cycleFrom === undefined || engine.metrics().checkpoints <= cycleFrom + keyCompactionCycle); i++) {
      await engine.mint({ ...mintArgs, idempotencyKey: `trigger-${i}` });
      triggers.push(keyHash('alice', `trigger-${i}`));
      if (cycleFrom === undefined && Date.now() - started >= ttlMs) cycleFrom = engine.metrics().checkpoints;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(cycleFrom).toBeDefined();
    expect(engine.metrics().checkpoints).toBeGreaterThan((cycleFrom ?? Infinity) + keyCompactionCycle);
    // Eviction runs after a checkpoint, a slice per turn: give it up to 5 s.
    for (let waited = 0; waited < 5_000 && engine.metrics().idempotencyKeysInMemory > triggers.length; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(engine.metrics().idempotencyKeysInMemory).toBeLessThanOrEqual(triggers.length);
    engine = await fixture.reopen();
    await engine.close();
    const store = new LmdbStore({ directory: fixture.path, durability: 'flush' });
    try {
      expect(store.getIdempotency(keyHash('alice', 'bulk-7'))).toEqual([]);
      // Only keys written after the others expired may remain on disk.
      const remaining: number[] = [];
      store.idempotencyKeys((hash) => remaining.push(hash));
      expect(remaining.length).toBeLessThanOrEqual(triggers.length);
      expect(remaining.every((hash) => triggers.includes(hash))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
