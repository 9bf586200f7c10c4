// Idempotency-key lookup on the main thread: a hit (a remembered key, confirmed against its log
// record as the engine does) and a miss (a new key, which the key filter answers without the store).
// And the worker's side of the hot path: a probe of a shard's shared table by hash (a hit, and a
// miss that then asks the filter of keys on disk), and taking a new key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { makeRecord, type LogRecord } from '../dist/domain/log-record.js';
import { keyHash } from '../dist/domain/key-hash.js';
import { IdempotencyIndex } from '../dist/engine/idempotency-index.js';
import { KeyFilter } from '../dist/engine/key-filter.js';
import { KeyTable } from '../dist/engine/key-table.js';
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
  registerWorkerProbe(bench, now);
  return async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
}

/** A shard's table as the engine sizes it for half a million keys, holding 100,000 of them. */
function registerWorkerProbe(bench: Bench, now: number): void {
  const table = KeyTable.shared(20);
  const filter = KeyFilter.attach(new KeyFilter(true).buffer);
  const hashes = Array.from({ length: keysCount }, (_, i) => keyHash(`acct-${i % accountsCount}`, `key-${i}`));
  hashes.forEach((hash, i) => table.add(hash, i + 1, now + 86_400_000));
  let i = 0;
  bench.add('worker key probe: hit', () => {
    i = (i + 1) % keysCount;
    if (table.probe(hashes[i] ?? 0, now) !== i + 1) throw new Error('expected a hit');
  });
  let n = 0;
  bench.add('worker key probe: miss, then the filter', () => {
    const hash = keyHash('acct-1', `fresh-${n++}`);
    if (table.probe(hash, now) !== 0 || filter.mayContain(hash)) throw new Error('expected a miss');
  });
}
