#!/usr/bin/env node
// The shardmint command line.
import { Command, InvalidArgumentError } from 'commander';
import { runBench } from './bench.js';
import { parseMix, type Mix } from './bench-workload.js';
import { runDemo } from './demo.js';
import { runStress } from './stress.js';

/** A commander parser for numbers in [min, max], integers only when asked. */
function numberOption(min: number, max: number, integer: boolean, description: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    const valid = (integer ? Number.isInteger(parsed) : Number.isFinite(parsed)) && parsed >= min && parsed <= max;
    if (!valid) throw new InvalidArgumentError(`must be ${description}`);
    return parsed;
  };
}

const positiveInteger = numberOption(1, Number.MAX_SAFE_INTEGER, true, 'a positive integer');
const nonNegativeInteger = numberOption(0, Number.MAX_SAFE_INTEGER, true, 'a non-negative integer');
const share = numberOption(0, 1, false, 'a number from 0 to 1');
const exponent = numberOption(0, 5, false, 'a number from 0 to 5');

const program = new Command()
  .name('shardmint')
  .description('Exactly-once, durable stablecoin ledger engine: command-line tools');

program
  .command('demo')
  .description('run a short self-checking demo in a temporary directory')
  .option('--accounts <n>', 'accounts to create', positiveInteger, 100)
  .option('--operations <n>', 'concurrent operations', positiveInteger, 20_000)
  .option('--workers <n>', 'worker threads', positiveInteger, 2)
  .action(async (options: { accounts: number; operations: number; workers: number }) => {
    const ok = await runDemo(options, (line) => console.log(line));
    process.exitCode = ok ? 0 : 1;
  });

program
  .command('stress')
  .description('deadlock-freedom and crash-safety stress: hot accounts, circular transfers, worker kills, then an audit')
  .option('--seconds <n>', 'how long to run', positiveInteger, 20)
  .option('--workers <n>', 'worker threads', positiveInteger, 2)
  .option('--accounts <n>', 'accounts', positiveInteger, 1000)
  .option('--hot <n>', 'hot accounts that most operations touch', positiveInteger, 8)
  .option('--kill-workers <n>', 'worker threads to terminate at random moments', nonNegativeInteger, 2)
  .option('--lanes <n>', 'operations in flight', positiveInteger, 256)
  .option('--seed <n>', 'workload seed (default: random, printed)', nonNegativeInteger)
  .option('--path <dir>', 'data directory to keep (default: a temporary one, removed)')
  .option('--json <file>', 'write the summary figures as JSON')
  .action(async (options: { seconds: number; workers: number; accounts: number; hot: number; killWorkers: number; lanes: number; seed?: number; path?: string; json?: string }) => {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const { passed } = await runStress({ ...options, seed, progress: true }, (line) => console.log(line));
    process.exitCode = passed ? 0 : 1;
  });


function mix(value: string): Mix {
  try {
    return parseMix(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface BenchFlags {
  seconds?: number;
  operations?: number;
  workers: number;
  accounts: number;
  mix: Mix;
  duplicates: number;
  crossShard: number;
  skew: number;
  concurrency: number;
  rate?: number;
  warmup?: number;
  durability: 'flush' | 'commit' | 'none';
  store: 'lmdb' | 'native-free';
  path?: string;
  json?: string;
  seed?: number;
}

program
  .command('bench')
  .description('load benchmark of the engine (durable, idempotent), with the raw store ceiling and a verification of the result')
  .option('--seconds <n>', 'how long to run (default 20 unless --operations is given)', positiveInteger)
  .option('--operations <n>', 'run this many operations instead of a time', positiveInteger)
  .option('--workers <n>', 'worker threads', positiveInteger, 2)
  .option('--accounts <n>', 'accounts', positiveInteger, 100_000)
  .option('--mix <kinds>', 'operation mix, kind:weight (mint, transfer, burn, pay, refund)', mix, parseMix('mint:100'))
  .option('--duplicates <share>', 'share of requests that reuse an earlier key', share, 0.05)
  .option('--cross-shard <share>', 'share of transfers whose accounts are in different shards', share, 0.5)
  .option('--skew <exponent>', 'Zipf exponent of account popularity (0 = uniform)', exponent, 0)
  .option('--concurrency <n>', 'requests in flight (with --rate: at most this many)', positiveInteger, 1024)
  .option('--rate <n>', 'open loop: send this many requests a second, each timed from when it was due (default: a closed loop of --concurrency lanes)', positiveInteger)
  .option('--warmup <n>', 'seconds of the same load before the measured run, left out of the figures', nonNegativeInteger, 0)
  .option('--durability <mode>', "'flush', 'commit' or 'none'", 'flush')
  .option('--store <store>', "'lmdb' or 'native-free'", 'lmdb')
  .option('--path <dir>', 'data directory to keep (default: a temporary one, removed)')
  .option('--json <file>', 'write the report figures as JSON')
  .option('--seed <n>', 'workload seed (default: random, printed)', nonNegativeInteger)
  .action(async (flags: BenchFlags) => {
    if (!['flush', 'commit', 'none'].includes(flags.durability)) throw new InvalidArgumentError("--durability must be 'flush', 'commit' or 'none'");
    if (!['lmdb', 'native-free'].includes(flags.store)) throw new InvalidArgumentError("--store must be 'lmdb' or 'native-free'");
    const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
    const seconds = flags.operations === undefined ? (flags.seconds ?? 20) : flags.seconds;
    const { report } = await runBench({ ...flags, ...(seconds === undefined ? {} : { seconds }), seed, progress: true }, (line) => console.log(line));
    process.exitCode = report.verified ? 0 : 1;
  });

await program.parseAsync(process.argv);
