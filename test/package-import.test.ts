// Goal: `import { MintEngine } from 'shardmint'` works from a plain Node ESM file outside the repo
// once the package is installed; method: a temporary project whose node_modules/shardmint is a
// symlink to this repository, running a script that opens an engine, mints and prints the result.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

const repo = fileURLToPath(new URL('..', import.meta.url));

describe('package entry', () => {
  it('is importable by name from a plain ESM file', () => {
    const dir = tempDirectory('shardmint-consumer-');
    remove = dir.remove;
    mkdirSync(join(dir.path, 'node_modules'));
    symlinkSync(repo, join(dir.path, 'node_modules', 'shardmint'), 'dir');
    writeFileSync(
      join(dir.path, 'main.mjs'),
      `import { rmSync } from 'node:fs';
       import { MintEngine, parseUsdc, formatUsdc } from 'shardmint';
       rmSync('./data', { recursive: true, force: true });
       const engine = await MintEngine.open({ path: './data', workers: 1, maxAccounts: 8 });
       await engine.createAccount('alice');
       await engine.depositReserves({ amount: parseUsdc('100'), idempotencyKey: 'r' });
       const minted = await engine.mint({ account: 'alice', amount: parseUsdc('12.5'), chain: 'base', idempotencyKey: 'm' });
       console.log(minted.ok, formatUsdc(await engine.balance('alice')));
       await engine.close();`,
    );
    const run = spawnSync(process.execPath, ['main.mjs'], { cwd: dir.path, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('true 12.500000');
    // V8 heap flags are common in production and must not stop the workers from starting.
    const flagged = spawnSync(process.execPath, ['--max-old-space-size=512', '--max-semi-space-size=32', 'main.mjs'], {
      cwd: dir.path,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(flagged.stderr).toBe('');
    expect(flagged.stdout.trim()).toBe('true 12.500000');
  });
});
