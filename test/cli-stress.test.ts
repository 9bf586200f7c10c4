// Goal: a short bounded `shardmint stress` run with worker kills reports zero lock timeouts, zero
// deadlock cycles, nothing lost and nothing duplicated, with every invariant held; method: run the
// CLI as a user would (about 10 s, 4 kills) with --json, and read its exit status and JSON report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

describe('shardmint stress', () => {
  it('passes a 10 s run with worker kills: no timeout, no cycle, nothing lost or duplicated', { timeout: 120_000 }, () => {
    const dir = tempDirectory('shardmint-stress-test-');
    remove = dir.remove;
    const json = join(dir.path, 'report.json');
    const run = runCli(['stress', '--seconds', '10', '--kill-workers', '4', '--accounts', '200', '--hot', '6', '--json', json], { timeoutMs: 110_000 });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toMatch(/result\s+PASS/);
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(
      ['deadlockCycles', 'duplicated', 'invariantsHeld', 'lockTimeouts', 'lostAcknowledged', 'operations', 'operationsPerSecond', 'workerKills'].sort(),
    );
    expect(report).toMatchObject({ lockTimeouts: 0, deadlockCycles: 0, lostAcknowledged: 0, duplicated: 0, invariantsHeld: true });
    expect(report['workerKills']).toBeGreaterThanOrEqual(1);
    expect(report['operations']).toBeGreaterThan(1000);
  });

  it('refuses bad options', () => {
    const run = runCli(['stress', '--kill-workers', '-1'], { timeoutMs: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/must be a non-negative integer/);
  });
});
