// Goal: the command behind `npm start` runs, checks itself and cleans up; method: run
// `shardmint demo` as a child process and read its verdict and exit status.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';

const main = new URL('../dist/cli/main.js', import.meta.url).pathname;

describe('shardmint demo', () => {
  it('reports conserved money and recovered state, exits 0 and removes its directory', () => {
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('shardmint-demo-')).length;
    const run = spawnSync(process.execPath, [main, 'demo', '--operations', '3000', '--accounts', '20'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/operations: 3000 \(3000 applied\)/);
    expect(run.stdout).toMatch(/money conserved: true; state recovered after reopen: true/);
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('shardmint-demo-')).length).toBe(before);
  });

  it('refuses a bad option with a clear message', () => {
    const run = spawnSync(process.execPath, [main, 'demo', '--workers', 'two'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/must be a positive integer/);
  });
});
