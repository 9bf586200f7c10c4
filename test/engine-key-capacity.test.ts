// Goal: when key writes lag so far that a shard's key table fills, new keys of that shard are refused
// with a typed, retryable ERR_CAPACITY (nothing applied), replays still answer, and once the write
// lands the shard takes new keys again and every key still replays; method: a real LMDB store whose
// key writes are held at a gate, the smallest key cap, one account (one shard) minted until refused.
import { afterEach, describe, expect, it } from 'vitest';
import { MintEngine } from '../dist/index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import type { LedgerStore } from '../dist/store/store.js';
import { engineOptions, seedAccounts, tempDirectory } from './fixtures/engine.js';

let cleanup: () => Promise<void> = async () => undefined;
afterEach(async () => cleanup());

/** Delegates to a real store; key writes wait until `open()` is called. */
function gatedStore(inner: LmdbStore): LedgerStore & { open(): void } {
  const store = Object.create(inner) as LedgerStore & { open(): void };
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  for (const method of Object.getOwnPropertyNames(LmdbStore.prototype)) {
    if (method === 'constructor') continue;
    const value = (inner as unknown as Record<string, unknown>)[method];
    if (typeof value === 'function') (store as unknown as Record<string, unknown>)[method] = value.bind(inner);
  }
  store.writeIdempotency = async (changes, nowMs, pause) => {
    await gate;
    return inner.writeIdempotency(changes, nowMs, pause);
  };
  store.open = () => release();
  return store;
}

const mintOf = (i: number) => ({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: `k${i}` });

describe('a full key table', () => {
  it('refuses new keys with ERR_CAPACITY until the key write lands, then takes them again', { timeout: 60_000 }, async () => {
    const dir = tempDirectory();
    let store: (LedgerStore & { open(): void }) | undefined;
    const options = engineOptions(dir.path, { mintRateLimit: null, idempotencyMemoryKeys: 4_096 });
    const engine = await MintEngine.openWithStore(options, (resolved) => {
      store = gatedStore(new LmdbStore({ directory: resolved.path, durability: resolved.durability }));
      return store;
    });
    cleanup = async () => {
      store?.open();
      await engine.close().catch(() => undefined);
      dir.remove();
    };
    await seedAccounts(engine, ['alice']);
    // The shard's table has 65,536 slots and is full at 90% of them; mint until it refuses.
    let accepted = 0;
    let refused: unknown;
    for (let round = 0; round < 100 && refused === undefined; round++) {
      const settled = await Promise.allSettled(Array.from({ length: 1_024 }, (_, j) => engine.mint(mintOf(accepted + j))));
      for (const s of settled) {
        if (s.status === 'fulfilled' && s.value.ok) accepted++;
        else if (s.status === 'rejected') refused ??= s.reason;
        else throw new Error(`unexpected answer ${JSON.stringify(s)}`);
      }
    }
    expect(refused).toMatchObject({ code: 'ERR_CAPACITY' });
    expect(accepted).toBeGreaterThan(50_000);
    expect(accepted).toBeLessThan(65_536);
    // Refused calls changed nothing, and keys already taken still replay.
    expect(await engine.balance('alice')).toBe(BigInt(accepted));
    expect(await engine.mint(mintOf(0))).toMatchObject({ ok: true, replayed: true });

    store?.open();
    let again: Awaited<ReturnType<MintEngine['mint']>> | undefined;
    for (let waited = 0; waited < 20_000 && again === undefined; waited += 20) {
      again = await engine.mint(mintOf(accepted)).catch(() => undefined);
      if (again === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(again).toMatchObject({ ok: true, replayed: false });
    expect(await engine.mint(mintOf(1))).toMatchObject({ ok: true, replayed: true });
    expect(await engine.balance('alice')).toBe(BigInt(accepted + 1));
  });
});
