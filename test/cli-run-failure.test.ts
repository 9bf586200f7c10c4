// Goal: a bench or stress run that fails after its engine opened still closes that engine (its
// workers and its directory lock) and reports the failure; method: run each in-process on a
// directory of our own with a load it cannot run (no lanes, or more than an array holds), then open
// an engine on the same directory, which the lock of an engine left open would refuse.
import { afterEach, describe, expect, it } from 'vitest';
import { runBench, type BenchOptions } from '../dist/cli/bench.js';
import { runStress, type StressOptions } from '../dist/cli/stress.js';
import { MintEngine } from '../dist/index.js';
import { engineOptions, tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

/** The directory is free to open again (no engine left holding its lock), and the set-up's last account is durable. */
async function expectReopens(path: string, lastAccount: string): Promise<void> {
  const engine = await MintEngine.open(engineOptions(path, { maxAccounts: 64 }));
  try {
    expect((await engine.getAccount(lastAccount))?.id).toBe(lastAccount);
  } finally {
    await engine.close();
  }
}

describe('a failed command-line run', () => {
  it('closes the bench engine when the run fails after set-up', { timeout: 60_000 }, async () => {
    const dir = tempDirectory('shardmint-bench-failure-');
    remove = dir.remove;
    const options: BenchOptions = {
      operations: 100,
      workers: 2,
      accounts: 50,
      mix: [['mint', 1]],
      duplicates: 0,
      crossShard: 0,
      skew: 0,
      // No lanes: the measured run refuses to start, after the set-up has used the engine.
      concurrency: 0,
      durability: 'flush',
      store: 'lmdb',
      path: dir.path,
      seed: 1,
      progress: false,
    };
    const lines: string[] = [];
    await expect(runBench(options, (line) => lines.push(line))).rejects.toThrow(/at least one lane/);
    expect(lines).toEqual([]);
    await expectReopens(dir.path, 'acct-49');
  });

  it('closes the stress engine when the run fails after set-up', { timeout: 60_000 }, async () => {
    const dir = tempDirectory('shardmint-stress-failure-');
    remove = dir.remove;
    // More lanes than an array can hold: the run fails as its lanes start, after the set-up used the engine.
    const options: StressOptions = { seconds: 1, workers: 2, accounts: 20, hot: 4, killWorkers: 0, seed: 1, path: dir.path, lanes: Number.POSITIVE_INFINITY, progress: false };
    const lines: string[] = [];
    await expect(runStress(options, (line) => lines.push(line))).rejects.toThrow(RangeError);
    expect(lines).toEqual([]);
    await expectReopens(dir.path, 'acct-19');
  });
});
