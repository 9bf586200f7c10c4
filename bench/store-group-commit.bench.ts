// One durable (flush) group commit of 1,000 log records through the LMDB store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { makeRecord, type LogRecord } from '../dist/domain/log-record.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';

export function register(bench: Bench): () => Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'shardmint-bench-commit-'));
  const store = new LmdbStore({ directory, durability: 'flush' });
  let next = 1;
  const at = Date.now();
  bench.add('store: durable group commit of 1,000 records', async () => {
    const group: LogRecord[] = [];
    for (let i = 0; i < 1000; i++, next++) group.push(makeRecord({ seq: next, kind: 'mint', slot: next % 100_000, amount: 1n, chain: 'ethereum', key: `k${next}`, at }));
    await store.appendGroup(group);
  });
  return async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
