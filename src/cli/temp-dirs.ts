// Temporary directories of the command line's runs (bench, stress, demo, the store ceiling), removed
// when the run ends and also when it is interrupted: Ctrl-C or a SIGTERM ends the process without
// running its `finally` blocks, and a benchmark's directory holds hundreds of megabytes of LMDB
// files. While any is live, the signals below remove them all and then end the process by the same
// signal, as it would have ended without a handler.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../domain/errors.js';

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** Live at once at most: a run's own directory and the store ceiling's inside it. */
const liveMax = 16;
const live = new Set<string>();

/** A fresh directory `parent/prefix-XXXXXX`, removed by removeTempDir or by an interrupting signal. */
export function makeTempDir(parent: string, prefix: string): string {
  assert(live.size < liveMax, 'a bounded number of temporary directories are live at once');
  const directory = mkdtempSync(join(parent, prefix));
  if (live.size === 0) for (const signal of signals) process.on(signal, onSignal);
  live.add(directory);
  return directory;
}

/** Removes a directory made by makeTempDir (whatever it holds). */
export function removeTempDir(directory: string): void {
  assert(live.has(directory), 'a temporary directory is removed once, by its maker');
  rmSync(directory, { recursive: true, force: true });
  live.delete(directory);
  if (live.size === 0) for (const signal of signals) process.off(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const candidate of signals) process.off(candidate, onSignal);
  for (const directory of live) {
    try {
      rmSync(directory, { recursive: true, force: true });
    } catch {
      // The process is ending: a directory that cannot be removed now is left, as without this.
    }
  }
  live.clear();
  process.kill(process.pid, signal);
}
