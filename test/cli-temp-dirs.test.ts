// Goal: the command line's temporary directories go away when a run ends and also when it is
// interrupted (Ctrl-C, SIGTERM), and the process still ends by that signal; method: make and remove
// directories in-process, then start real bench and stress runs in a private TMPDIR, signal them
// mid-run, and look at what is left.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../dist/cli/temp-dirs.js';
import { cliMain } from './fixtures/cli.js';

/** Resolves once `check` holds, polling; throws after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the CLI with `args` in a private TMPDIR, sends `signal` once its data directory holds a ledger, and reports. */
async function interrupt(args: string[], prefix: string, signal: NodeJS.Signals): Promise<{ signal: NodeJS.Signals | null; left: string[] }> {
  const scratch = mkdtempSync(join(tmpdir(), 'shardmint-test-signal-'));
  const child = spawn(process.execPath, [cliMain, ...args], { env: { ...process.env, TMPDIR: scratch }, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, by) => resolve(by)));
  try {
    const running = (): boolean => readdirSync(scratch).some((name) => name.startsWith(prefix) && existsSync(join(scratch, name, 'ledger.mdb')));
    await until(running, 30_000);
    // Well into the run: accounts created, operations flowing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    child.kill(signal);
    const by = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit after the signal')), 20_000))]);
    return { signal: by, left: readdirSync(scratch) };
  } finally {
    child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  }
}

describe('temporary directories', () => {
  it('are removed by their maker, and the signal handlers live only while one does', () => {
    const parent = mkdtempSync(join(tmpdir(), 'shardmint-test-dirs-'));
    try {
      const listeners = process.listenerCount('SIGINT');
      const termListeners = process.listenerCount('SIGTERM');
      const first = makeTempDir(parent, 'a-');
      const second = makeTempDir(parent, 'b-');
      expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
      expect(process.listenerCount('SIGTERM')).toBe(termListeners + 1);
      expect(readdirSync(parent).sort()).toEqual([first, second].map((path) => path.slice(parent.length + 1)).sort());
      removeTempDir(first);
      expect(existsSync(first)).toBe(false);
      expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
      removeTempDir(second);
      expect(readdirSync(parent)).toEqual([]);
      expect(process.listenerCount('SIGINT')).toBe(listeners);
      expect(process.listenerCount('SIGTERM')).toBe(termListeners);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('are removed when a bench run is interrupted with Ctrl-C (SIGINT)', { timeout: 90_000 }, async () => {
    const { signal, left } = await interrupt(['bench', '--seconds', '60', '--accounts', '2000', '--seed', '3'], 'shardmint-bench-', 'SIGINT');
    expect(signal).toBe('SIGINT');
    expect(left).toEqual([]);
  });

  it('are removed when a stress run is terminated (SIGTERM)', { timeout: 90_000 }, async () => {
    const { signal, left } = await interrupt(['stress', '--seconds', '60', '--accounts', '200', '--kill-workers', '0', '--seed', '3'], 'shardmint-stress-', 'SIGTERM');
    expect(signal).toBe('SIGTERM');
    expect(left).toEqual([]);
  });
});
