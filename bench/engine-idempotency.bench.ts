// Idempotency-key lookup on the main thread: a hit (a remembered key, confirmed against its log
// record as the engine does) and a miss (a new key, which the key filter answers without the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { makeRecord, type LogRecord } from '../dist/domain/log-record.js';
import { IdempotencyIndex } from '../dist/engine/idempotency-index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';

const keysCount = 100_000;
const accountsCount = 1000;

export async function register(bench: Bench): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 'shardmint-bench-idem-'));
  const store = new LmdbStore({ directory, durability: 'none' });
  const now = Date.now();
  const records: LogRecord[] = Array.from({ length: keysCount }, (_, i) =>
    makeRecord({ seq: i + 1, kind: 'mint', slot: i % accountsCount, amount: 1n, chain: 'base', key: `key-${i}`, at: now }),
  );
  for (let i = 0; i < keysCount; i += 2000) await store.appendGroup(records.slice(i, i + 2000));
  const index = new IdempotencyIndex(store, 86_400_000, 1_000_000, (seq, scope, key) => {
    const record = store.findRecord(seq);
    return record !== undefined && record.key === key && `acct-${record.slot}` === scope;
  });
  for (const r of records) index.remember(`acct-${r.slot}`, r.key, r.seq, r.at);
  let i = 0;
  bench.add('idempotency lookup: hit', () => {
    i = (i + 1) % keysCount;
    if (index.lookup(`acct-${i % accountsCount}`, `key-${i}`, now) !== i + 1) throw new Error('expected a hit');
  });
  let n = 0;
  bench.add('idempotency lookup: miss (new key)', () => {
    if (index.lookup('acct-1', `fresh-${n++}`, now) !== 0) throw new Error('expected a miss');
  });
  return async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
