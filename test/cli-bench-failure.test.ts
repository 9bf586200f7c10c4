// Goal: a bench run that fails after its engine opened still closes that engine (its workers and
// its directory lock) and reports the failure; method: run the bench in-process on a directory of
// our own with a load it cannot run (no lanes), then open an engine on the same directory, which
// the lock of an engine left open would refuse.
import { afterEach, describe, expect, it } from 'vitest';
import { runBench, type BenchOptions } from '../dist/cli/bench.js';
import { MintEngine } from '../dist/index.js';
import { engineOptions, tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

describe('shardmint bench failure', () => {
  it('closes its engine when the run fails after set-up', { timeout: 60_000 }, async () => {
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
    // The set-up's accounts are durable, and the directory is free to open again.
    const engine = await MintEngine.open(engineOptions(dir.path, { maxAccounts: 64 }));
    try {
      expect((await engine.getAccount('acct-49'))?.id).toBe('acct-49');
    } finally {
      await engine.close();
    }
  });
});
