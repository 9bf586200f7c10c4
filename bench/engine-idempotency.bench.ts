// Idempotency-key lookup on the main thread: a hit (a remembered key) and a miss (a new key, which
// the key filter answers without reading the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { makeRecord } from '../dist/domain/log-record.js';
import { IdempotencyIndex } from '../dist/engine/idempotency-index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';

export function register(bench: Bench): () => Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'shardmint-bench-idem-'));
  const store = new LmdbStore({ directory, durability: 'none' });
  const index = new IdempotencyIndex(store, 86_400_000, 1_000_000);
  const keys = Array.from({ length: 100_000 }, (_, i) => `acct-${i % 1000}\0key-${i}`);
  const now = Date.now();
  keys.forEach((key, i) => index.remember(key, makeRecord({ seq: i + 1, kind: 'mint', slot: i % 1000, amount: 1n, chain: 'base', key: `key-${i}`, at: now })));
  let i = 0;
  bench.add('idempotency lookup: hit', () => {
    if (index.lookup(keys[(i = (i + 1) % keys.length)] as string, now) === undefined) throw new Error('expected a hit');
  });
  let n = 0;
  bench.add('idempotency lookup: miss (new key)', () => {
    if (index.lookup(`acct-1\0fresh-${n++}`, now) !== undefined) throw new Error('expected a miss');
  });
  return async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
