// Time to open (recover) an engine whose data directory holds N accounts, after a clean close:
// load the checkpoint, the accounts, seed shared memory, start the workers.
// Usage: node dist-bench/engine-open.js [accounts=1000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MintEngine } from '../dist/index.js';

const accounts = Number(process.argv[2] ?? 1_000_000);
const path = mkdtempSync(join(tmpdir(), 'shardmint-open-'));
const chunk = 10_000;
try {
  const options = { path, workers: 2, maxAccounts: Math.max(1_048_576, accounts) };
  const setup = await MintEngine.open(options);
  const started = performance.now();
  for (let start = 0; start < accounts; start += chunk) {
    const ids = Array.from({ length: Math.min(chunk, accounts - start) }, (_, i) => `acct-${start + i}`);
    await Promise.all(ids.map((id) => setup.createAccount(id)));
  }
  console.log(`created ${accounts.toLocaleString('en-US')} accounts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await setup.close();
  for (let run = 1; run <= 3; run++) {
    const opened = performance.now();
    const engine = await MintEngine.open(options);
    const seconds = (performance.now() - opened) / 1000;
    const balance = await engine.balance(`acct-${accounts - 1}`);
    await engine.close();
    console.log(`open #${run}: ${seconds.toFixed(2)} s (last account balance ${balance})`);
  }
} finally {
  rmSync(path, { recursive: true, force: true });
}
