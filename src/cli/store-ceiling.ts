// The raw store ceiling of a benchmark run: the same number of log records, of the same shape and
// size, committed through the same store in groups of the same average size and with the same
// durability, with no engine around it. Efficiency = engine ops/s / this.
import { createHistogram } from 'node:perf_hooks';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { LmdbStore } from '../store/lmdb-store.js';
import type { Durability } from '../store/store.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

/** Quantiles of the time from a group's hand-off to the store until it is durable, in ms. */
export interface CommitTimes {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface CeilingResult {
  readonly records: number;
  readonly groupSize: number;
  readonly seconds: number;
  readonly operationsPerSecond: number;
  /** Each group's time from hand-off to durable: the store's own commit tail, to set the engine's beside. */
  readonly commitMs: CommitTimes;
}

function mintLike(seq: number, at: number): LogRecord {
  return makeRecord({ seq, kind: 'mint', slot: seq % 100_000, amount: BigInt(1 + (seq % 1000)), chain: 'ethereum', key: `b${seq}`, at });
}

export async function measureStoreCeiling(parent: string, durability: Durability, records: number, groupSize: number): Promise<CeilingResult> {
  const directory = makeTempDir(parent, 'ceiling-');
  try {
    const store = new LmdbStore({ directory, durability });
    try {
      return await writeGroups(store, records, Math.max(1, Math.round(groupSize)));
    } finally {
      await store.close();
    }
  } finally {
    removeTempDir(directory);
  }
}

/** Writes `records` mint-like records in groups of `size`, one group at a time, timing each commit. */
async function writeGroups(store: LmdbStore, records: number, size: number): Promise<CeilingResult> {
  const commits = createHistogram();
  const started = performance.now();
  const at = Date.now();
  for (let first = 1; first <= records; first += size) {
    const group: LogRecord[] = [];
    for (let seq = first; seq < first + size && seq <= records; seq++) group.push(mintLike(seq, at));
    const handedOff = performance.now();
    await store.appendGroup(group);
    commits.record(Math.max(1, Math.round((performance.now() - handedOff) * 1000)));
  }
  const seconds = (performance.now() - started) / 1000;
  const ms = (us: number): number => Math.round(us) / 1000;
  const commitMs = { p50: ms(commits.percentile(50)), p99: ms(commits.percentile(99)), max: ms(commits.max) };
  return { records, groupSize: size, seconds, operationsPerSecond: Math.round(records / seconds), commitMs };
}
