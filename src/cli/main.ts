#!/usr/bin/env node
// The shardmint command line.
import { Command, InvalidArgumentError } from 'commander';
import { runDemo } from './demo.js';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

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

await program.parseAsync(process.argv);
