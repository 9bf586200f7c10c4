// Goal (guarantee 2): after SIGKILL at a random moment, reopening recovers every acknowledged mint
// exactly once, and retrying every attempted key leaves each applied exactly once; method: a child
// process mints continuously and reports attempts and acknowledgements, the test kills it at a random
// point, reopens the directory, checks each acknowledged mint, retries every key and checks the sums.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { MintEngine } from '../dist/index.js';
import { engineOptions, tempDirectory } from './fixtures/engine.js';

const child = new URL('./fixtures/crash-child.mjs', import.meta.url).pathname;
const amount = 1000n;
const accounts = Array.from({ length: 20 }, (_, i) => `acct-${i}`);
let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const step of cleanup) step();
  cleanup = [];
});

interface Crash {
  readonly attempted: Set<string>;
  readonly acked: Map<string, string>;
}

/** Runs the child until it has acknowledged `ackedAtLeast` mints plus a random delay, then SIGKILLs it. */
function runAndKill(path: string, durability: string, ackedAtLeast: number): Promise<Crash> {
  const attempted = new Set<string>();
  const acked = new Map<string, string>();
  const proc = spawn(process.execPath, [child, path, durability], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => proc.kill('SIGKILL'));
  let buffered = '';
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child made no progress: ${stderr}`)), 30_000);
    let killScheduled = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [tag, key, id] = line.split(' ');
        if (tag === 'T' && key !== undefined) attempted.add(key);
        if (tag === 'A' && key !== undefined && id !== undefined) acked.set(key, id);
      }
      if (!killScheduled && acked.size >= ackedAtLeast) {
        killScheduled = true;
        setTimeout(() => proc.kill('SIGKILL'), Math.floor(Math.random() * 300));
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ attempted, acked });
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

async function checkRecovery(path: string, crash: Crash): Promise<void> {
  const engine = await MintEngine.open(engineOptions(path, { mintRateLimit: null }));
  try {
    for (const [key, mintId] of crash.acked) {
      expect(await engine.getMint(mintId)).toMatchObject({ idempotencyKey: key, amount });
    }
    const recovered = await engine.supply();
    let balances = 0n;
    for (const id of accounts) balances += await engine.balance(id);
    expect(balances).toBe(recovered.total);
    expect(recovered.total).toBeGreaterThanOrEqual(amount * BigInt(crash.acked.size));
    expect(recovered.total).toBeLessThanOrEqual(amount * BigInt(crash.attempted.size));

    const retries = await Promise.all(
      [...crash.attempted].map(async (key) => {
        const n = Number(key.slice(2));
        const result = await engine.mint({ account: `acct-${n % 20}`, amount, chain: 'ethereum', idempotencyKey: key });
        return { key, result };
      }),
    );
    for (const { key, result } of retries) {
      expect(result.ok).toBe(true);
      const original = crash.acked.get(key);
      if (original !== undefined && result.ok) expect(result).toMatchObject({ mintId: original, replayed: true });
    }
    let after = 0n;
    for (const id of accounts) after += await engine.balance(id);
    expect(after).toBe(amount * BigInt(crash.attempted.size));
    expect((await engine.supply()).total).toBe(after);
  } finally {
    await engine.close();
  }
}

describe('crash safety (SIGKILL)', () => {
  for (const durability of ['flush', 'commit']) {
    it(`recovers every acknowledged mint exactly once (durability ${durability})`, { timeout: 60_000 }, async () => {
      const dir = tempDirectory('shardmint-crash-');
      cleanup.push(dir.remove);
      const crash = await runAndKill(dir.path, durability, 200 + Math.floor(Math.random() * 800));
      expect(crash.acked.size).toBeGreaterThanOrEqual(200);
      await checkRecovery(dir.path, crash);
    });
  }
});
