// Goal (guarantee 2, fail-stop): a storage failure puts the engine into a failed state that refuses
// all work with ERR_ENGINE_FAILED instead of going on, and reopening recovers every acknowledged
// operation; method: the real LMDB store wrapped so that its next log append fails like an I/O error.
import { afterEach, describe, expect, it } from 'vitest';
import { MintEngine } from '../dist/index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import type { LedgerStore } from '../dist/store/store.js';
import { engineOptions, tempDirectory } from './fixtures/engine.js';

let cleanup: () => void = () => undefined;
afterEach(() => cleanup());

/** Delegates to a real store; `failAppends` makes the next log appends throw. */
function failingStore(inner: LmdbStore): LedgerStore & { failAppends: boolean } {
  const store = Object.create(inner) as LedgerStore & { failAppends: boolean };
  store.failAppends = false;
  store.appendGroup = async (records) => {
    if (store.failAppends) throw Object.assign(new Error('simulated EIO: write failed'), { code: 'EIO' });
    return inner.appendGroup(records);
  };
  // Every other method of the real store, bound to it (its private fields live on `inner`).
  for (const method of Object.getOwnPropertyNames(LmdbStore.prototype)) {
    if (method === 'constructor' || method === 'appendGroup') continue;
    const value = (inner as unknown as Record<string, unknown>)[method];
    if (typeof value === 'function') (store as unknown as Record<string, unknown>)[method] = value.bind(inner);
  }
  return store;
}

describe('storage failure', () => {
  it('fails stop, refuses all work, and recovers acknowledged work on reopen', async () => {
    const dir = tempDirectory();
    cleanup = dir.remove;
    const options = engineOptions(dir.path, { mintRateLimit: null });
    let store: (LedgerStore & { failAppends: boolean }) | undefined;
    const engine = await MintEngine.openWithStore(options, (resolved) => {
      store = failingStore(new LmdbStore({ directory: resolved.path, durability: resolved.durability }));
      return store;
    });
    await engine.createAccount('alice');
    await engine.depositReserves({ amount: 1000n, idempotencyKey: 'r' });
    const acked = await engine.mint({ account: 'alice', amount: 10n, chain: 'ethereum', idempotencyKey: 'ok' });
    expect(acked.ok).toBe(true);

    if (store === undefined) throw new Error('store factory not called');
    store.failAppends = true;
    const lost = engine.mint({ account: 'alice', amount: 20n, chain: 'ethereum', idempotencyKey: 'lost' });
    await expect(lost).rejects.toMatchObject({ code: 'ERR_ENGINE_FAILED', message: expect.stringMatching(/simulated EIO/) });
    store.failAppends = false;
    await expect(engine.mint({ account: 'alice', amount: 1n, chain: 'ethereum', idempotencyKey: 'after' })).rejects.toMatchObject({
      code: 'ERR_ENGINE_FAILED',
    });
    await expect(engine.balance('alice')).rejects.toMatchObject({ code: 'ERR_ENGINE_FAILED' });
    expect(engine.metrics().operations['mint']?.['ERR_ENGINE_FAILED']).toBe(2);
    await engine.close();

    const reopened = await MintEngine.open(options);
    try {
      expect(await reopened.balance('alice')).toBe(10n);
      expect(await reopened.mint({ account: 'alice', amount: 10n, chain: 'ethereum', idempotencyKey: 'ok' })).toEqual({
        ...acked,
        replayed: true,
      });
      expect(await reopened.mint({ account: 'alice', amount: 20n, chain: 'ethereum', idempotencyKey: 'lost' })).toMatchObject({
        ok: true,
        replayed: false,
      });
      expect(await reopened.balance('alice')).toBe(30n);
    } finally {
      await reopened.close();
    }
  });
});
