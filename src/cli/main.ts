#!/usr/bin/env node
// The shardmint command line.
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';
import { runStress } from './stress.js';

/** A commander parser for integers of at least `min`. */
function integerAtLeast(min: number, description: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`must be ${description}`);
    return parsed;
  };
}

const positiveInteger = integerAtLeast(1, 'a positive integer');
const nonNegativeInteger = integerAtLeast(0, 'a non-negative integer');

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

await program.parseAsync(process.argv);
