// Finding one log record by seq, as a replay does: a recent one (its entry's bytes are still held in
// memory) and an older one (read from LMDB). The older row is a lower bound: here the read
// transaction stays valid from one iteration to the next, where in the engine a commit every ~2 ms
// makes nearly every replay renew it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { makeRecord, type LogRecord } from '../dist/domain/log-record.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';

/** More records than the 1,024 newest entries of 128 hold, so the oldest are read from LMDB. */
const groups = 160;
const groupRecords = 1000;

export async function register(bench: Bench): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 'shardmint-bench-find-'));
  const store = new LmdbStore({ directory, durability: 'commit' });
  const at = Date.now();
  for (let g = 0; g < groups; g++) {
    const group: LogRecord[] = [];
    for (let i = 1; i <= groupRecords; i++) {
      const seq = g * groupRecords + i;
      group.push(makeRecord({ seq, kind: 'mint', slot: seq % 100_000, amount: 1n, chain: 'ethereum', key: `k${seq}`, at }));
    }
    await store.appendGroup(group);
  }
  const last = groups * groupRecords;
  let n = 0;
  const find = (seq: number): void => {
    if (store.findRecord(seq)?.seq !== seq) throw new Error(`expected record ${seq}`);
  };
  bench.add('store: find a recent record (replay, from memory)', () => find(last - (n++ % 50_000)));
  bench.add('store: find an older record (replay, LMDB read)', () => find(1 + (n++ % 10_000)));
  return async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
}
