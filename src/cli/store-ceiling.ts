// The raw store ceiling of a benchmark run: the same number of log records, of the same shape and
// size, committed through the same store in groups of the same average size and with the same
// durability, with no engine around it. Efficiency = engine ops/s / this.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { LmdbStore } from '../store/lmdb-store.js';
import type { Durability } from '../store/store.js';

export interface CeilingResult {
  readonly records: number;
  readonly groupSize: number;
  readonly seconds: number;
  readonly operationsPerSecond: number;
}

function mintLike(seq: number, at: number): LogRecord {
  return makeRecord({ seq, kind: 'mint', slot: seq % 100_000, amount: BigInt(1 + (seq % 1000)), chain: 'ethereum', key: `b${seq}`, at });
}

export async function measureStoreCeiling(parent: string, durability: Durability, records: number, groupSize: number): Promise<CeilingResult> {
  const directory = mkdtempSync(join(parent, 'ceiling-'));
  const store = new LmdbStore({ directory, durability });
  const size = Math.max(1, Math.round(groupSize));
  try {
    const started = performance.now();
    const at = Date.now();
    for (let first = 1; first <= records; first += size) {
      const group: LogRecord[] = [];
      for (let seq = first; seq < first + size && seq <= records; seq++) group.push(mintLike(seq, at));
      await store.appendGroup(group);
    }
    const seconds = (performance.now() - started) / 1000;
    return { records, groupSize: size, seconds, operationsPerSecond: Math.round(records / seconds) };
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
