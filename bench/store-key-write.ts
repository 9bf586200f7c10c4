// The cost of a key write, per key: runs of idempotency keys handed to the LMDB store as two key
// tables' walks (each in hash order but for every tenth pair of neighbours, as probing leaves
// them), in slices, as the engine hands them over; each is sorted into a run of blocks, put
// (durable), and the due buckets compacted. The index grows run by run, as an engine's does.
// Reports the main thread's CPU, all threads' CPU and the wall time per key (the first run, which
// warms up, left out), then checks that every key written reads back.
// Usage: node dist-bench/store-key-write.js [runs=8] [keys per run=500000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processSchedTimes, threadSchedTimes } from '../dist/cli/thread-cpu.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import type { KeyChanges } from '../dist/store/store.js';
import { generator, hash53 } from './random-hashes.js';

const runs = Number(process.argv[2] ?? 8);
const keysPerRun = Number(process.argv[3] ?? 500_000);
const keysPerSlice = 50_000;
const dayMs = 86_400_000;
if (!Number.isSafeInteger(runs) || runs < 2 || !Number.isSafeInteger(keysPerRun) || keysPerRun < 2) {
  throw new Error('usage: store-key-write.js [runs >= 2] [keys per run >= 2]');
}

function tableWalks(next: () => number, firstSeq: number, expiresAt: number): KeyChanges {
  const hash = new Float64Array(keysPerRun);
  const seq = new Float64Array(keysPerRun);
  const half = Math.floor(keysPerRun / 2);
  for (const table of [hash.subarray(0, half), hash.subarray(half)]) {
    for (let i = 0; i < table.length; i++) table[i] = hash53(next);
    table.sort();
    for (let i = 0; i + 1 < table.length; i += 10) table.set([table[i + 1] ?? 0, table[i] ?? 0], i);
  }
  for (let i = 0; i < keysPerRun; i++) seq[i] = firstSeq + i;
  return { count: keysPerRun, hash, seq, expiresAt: new Float64Array(keysPerRun).fill(expiresAt) };
}

function slices(changes: KeyChanges): () => KeyChanges | undefined {
  let from = 0;
  return () => {
    if (from >= changes.count) return undefined;
    const to = Math.min(changes.count, from + keysPerSlice);
    const slice = { count: to - from, hash: changes.hash.subarray(from, to), seq: changes.seq.subarray(from, to), expiresAt: changes.expiresAt.subarray(from, to) };
    from = to;
    return slice;
  };
}

function cpuNanos(): { main: number; all: number } {
  const main = threadSchedTimes();
  const all = processSchedTimes();
  if (main === undefined || all === undefined) throw new Error('this benchmark reads /proc (Linux)');
  return { main: main.runNanos, all: all.runNanos };
}

const directory = mkdtempSync(join(tmpdir(), 'shardmint-bench-keys-'));
const store = new LmdbStore({ directory, durability: 'flush' });
try {
  const next = generator(12_345);
  const now = Date.now();
  // Generated before any is timed: the generation is not the store's work.
  const written = Array.from({ length: runs }, (_, run) => tableWalks(next, 1 + run * keysPerRun, now + dayMs));
  let main = 0;
  let all = 0;
  let wall = 0;
  for (const [run, changes] of written.entries()) {
    const before = cpuNanos();
    const started = performance.now();
    await store.writeIdempotency(slices(changes), now);
    const after = cpuNanos();
    if (run === 0) continue;
    main += after.main - before.main;
    all += after.all - before.all;
    wall += (performance.now() - started) * 1e6;
  }
  const keys = (runs - 1) * keysPerRun;
  const perKey = (nanos: number): string => `${(nanos / keys).toFixed(0)} ns`;
  console.log(`${runs - 1} key writes of ${keysPerRun.toLocaleString('en-US')} keys after a first: per key, main thread ${perKey(main)}, all threads ${perKey(all)}, wall ${perKey(wall)}`);
  let missing = 0;
  for (const changes of written) {
    for (let i = 0; i < changes.count; i += 97) {
      const held = store.getIdempotency(changes.hash[i] ?? 0);
      if (!held.some((entry) => entry.seq === changes.seq[i] && entry.expiresAt === changes.expiresAt[i])) missing++;
    }
  }
  console.log(missing === 0 ? 'verified: every key checked reads back' : `NOT verified: ${missing} keys checked did not read back`);
  if (missing !== 0) process.exitCode = 1;
} finally {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
}
