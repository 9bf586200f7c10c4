// One engine per data directory. Within this process a registry refuses a second open at once; across
// processes a lock file holds the owner's pid, created whole by link(2) so it is never seen empty. A lock file whose pid is no longer
// alive (the owner was killed) is stale and taken over, so a crashed engine can always be reopened.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryLockedError } from '../domain/errors.js';

const openInThisProcess = new Set<string>();
const takeoverAttemptsMax = 3;

export class DirectoryLock {
  readonly #file: string;
  readonly #directory: string;

  private constructor(directory: string, file: string) {
    this.#directory = directory;
    this.#file = file;
  }

  static acquire(directory: string): DirectoryLock {
    if (openInThisProcess.has(directory)) throw new DirectoryLockedError(directory, 'by this process');
    const file = join(directory, 'engine.lock');
    for (let attempt = 0; attempt < takeoverAttemptsMax; attempt++) {
      if (tryCreate(file)) {
        openInThisProcess.add(directory);
        return new DirectoryLock(directory, file);
      }
      const holder = readHolder(file);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
        throw new DirectoryLockedError(directory, `by process ${holder}`);
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
    throw new DirectoryLockedError(directory, 'lock file contended');
  }

  release(): void {
    openInThisProcess.delete(this.#directory);
    rmSync(this.#file, { force: true });
  }
}

function tryCreate(file: string): boolean {
  const staged = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(staged, String(process.pid));
  try {
    linkSync(staged, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(staged, { force: true });
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
