// `shardmint demo`: a short, self-checking tour of the engine in a temporary directory that it
// removes afterwards. Concurrent mints, transfers and payments across the workers, then a reopen
// that must recover exactly the same state.
import { tmpdir } from 'node:os';
import { formatUsdc, parseUsdc } from '../domain/amount.js';
import { MintEngine } from '../engine/mint-engine.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export interface DemoOptions {
  readonly accounts: number;
  readonly operations: number;
  readonly workers: number;
}

export async function runDemo(options: DemoOptions, log: (line: string) => void): Promise<boolean> {
  const path = makeTempDir(tmpdir(), 'shardmint-demo-');
  try {
    const ids = Array.from({ length: options.accounts }, (_, i) => `acct-${i}`);
    const engine = await MintEngine.open({ path, workers: options.workers, mintRateLimit: null, maxAccounts: 100_000 });
    for (const id of ids) await engine.createAccount(id);
    await engine.depositReserves({ amount: parseUsdc('1000000000'), idempotencyKey: 'demo-reserves' });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: options.operations }, (_, i) => {
        const account = ids[Math.floor(i / 4) % ids.length] as string;
        if (i % 4 !== 3) return engine.mint({ account, amount: parseUsdc('1.5'), chain: 'ethereum', idempotencyKey: `m${i}` });
        const to = ids[(i * 7 + 1) % ids.length] as string;
        if (to === account) return engine.pay({ account, amount: parseUsdc('0.25'), idempotencyKey: `p${i}` });
        return engine.transfer({ from: account, to, amount: parseUsdc('0.5'), idempotencyKey: `t${i}` });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const applied = results.filter((r) => r.ok).length;
    const refused = new Map<string, number>();
    for (const r of results) if (!r.ok) refused.set(r.code, (refused.get(r.code) ?? 0) + 1);
    const before = await engine.supply();
    let sum = 0n;
    for (const id of ids) sum += await engine.balance(id);
    await engine.close();
    const reopened = await MintEngine.open({ path, workers: options.workers, maxAccounts: 100_000 });
    const after = await reopened.supply();
    await reopened.close();
    const conserved = sum + before.paymentsClearing === before.total;
    const recovered = after.total === before.total && after.paymentsClearing === before.paymentsClearing;
    log(`operations: ${results.length} (${applied} applied) in ${seconds.toFixed(2)} s, ${Math.round(results.length / seconds)}/s durable`);
    log(`refused: ${refused.size === 0 ? 'none' : [...refused].map(([code, n]) => `${code} ${n}`).join(', ')}`);
    log(`supply: ${formatUsdc(before.total)} USDC, balances ${formatUsdc(sum)} + payments clearing ${formatUsdc(before.paymentsClearing)}`);
    log(`money conserved: ${conserved}; state recovered after reopen: ${recovered}`);
    return conserved && recovered;
  } finally {
    removeTempDir(path);
  }
}
