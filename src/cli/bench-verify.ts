// Verification after a benchmark run: the durable log holds exactly one mint record per accepted
// mint, the recovered balances add up to the supply, and every duplicate request got its original id.
import { MintEngine } from '../engine/mint-engine.js';
import type { MintEngineOptions } from '../engine/options.js';
import { LmdbStore } from '../store/lmdb-store.js';
import type { RunTally } from './bench.js';

export async function verifyBench(
  options: MintEngineOptions,
  accounts: readonly string[],
  setupSequence: number,
  tally: RunTally,
): Promise<{ verified: boolean; lines: string[] }> {
  const store = new LmdbStore({ directory: options.path, durability: 'flush' });
  let mintRecords = 0;
  try {
    for (const group of store.readAfter(setupSequence)) for (const record of group) if (record.kind === 'mint') mintRecords++;
  } finally {
    await store.close();
  }
  const engine = await MintEngine.open(options);
  let balances = 0n;
  let supply;
  try {
    for (const id of accounts) balances += await engine.balance(id);
    supply = await engine.supply();
  } finally {
    await engine.close();
  }
  const chains = Object.values(supply.byChain).reduce((a, b) => a + b, 0n);
  const conserved = balances + supply.paymentsClearing === supply.total && chains === supply.total;
  const mintsMatch = mintRecords === tally.mints;
  const replaysMatch = tally.replayMismatches === 0;
  return {
    verified: conserved && mintsMatch && replaysMatch,
    lines: [
      `sum of balances + payments clearing = supply: ${conserved ? 'yes' : 'NO'} (${supply.total} minor units)`,
      `mint records in the log = accepted mints: ${mintsMatch ? 'yes' : 'NO'} (${mintRecords} and ${tally.mints})`,
      `every duplicate got its original id: ${replaysMatch ? 'yes' : 'NO'} (${tally.replays} replays)`,
    ],
  };
}
