// Runs every micro-benchmark (bench/<area>-<what>.bench.ts) with tinybench and prints one table.
import { Bench } from 'tinybench';
import * as codec from './store-log-codec.bench.js';
import * as commit from './store-group-commit.bench.js';
import * as find from './store-find-record.bench.js';
import * as idempotency from './engine-idempotency.bench.js';
import * as purge from './engine-key-purge.bench.js';
import * as locks from './shm-locks.bench.js';
import * as rate from './shm-rate-window.bench.js';

const bench = new Bench({ name: 'shardmint micro-benchmarks', time: 1000, warmupTime: 200 });
const cleanups = await Promise.all([locks, rate, idempotency, purge, codec, commit, find].map((module) => module.register(bench)));
try {
  await bench.run();
  console.log(`shardmint micro-benchmarks (Node ${process.version})`);
  console.table(bench.table());
} finally {
  for (const cleanup of cleanups) await cleanup();
}
