// Goal: the command behind `npm start` runs, checks itself and cleans up; method: run
// `shardmint demo` as a child process and read its verdict and exit status.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';

describe('shardmint demo', () => {
  it('reports conserved money and recovered state, exits 0 and removes its directory', () => {
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('shardmint-demo-')).length;
    const run = runCli(['demo', '--operations', '3000', '--accounts', '20'], { timeoutMs: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/operations: 3000 \(3000 applied\)/);
    expect(run.stdout).toMatch(/money conserved: true; state recovered after reopen: true/);
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('shardmint-demo-')).length).toBe(before);
  });

  it('refuses a bad option with a clear message', () => {
    const run = runCli(['demo', '--workers', 'two'], { timeoutMs: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/must be a positive integer/);
  });
});
