// Goal: the idempotency index writes its changed keys half its cap at a time, evicts the
// oldest written ones past its cap, and still answers every key (from memory or from disk); method:
// a real LMDB store and a small cap, keys remembered in order while the test plays the engine's
// part (a key write whenever the index asks for one, then eviction), every key looked up after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdempotencyIndex } from '../dist/engine/idempotency-index.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('idempotency key eviction', () => {
  it('writes half the cap at a time, evicts past the cap, and answers every key', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'shardmint-eviction-'));
    directories.push(directory);
    const store = new LmdbStore({ directory, durability: 'commit' });
    const cap = 4_000;
    const keys = new Map<number, string>();
    const index = new IdempotencyIndex(store, 3_600_000, cap, (seq, scope, key) => scope === 'acct' && keys.get(seq) === key);
    const now = 1_700_000_000_000;
    let writes = 0;
    let peak = 0;
    try {
      for (let seq = 1; seq <= 5 * cap; seq++) {
        keys.set(seq, `key-${seq}`);
        index.remember('acct', `key-${seq}`, seq, now);
        peak = Math.max(peak, index.memoryEntries);
        if (!index.needsWrite) continue;
        writes++;
        await store.writeIdempotency(await index.takeChanges(), now);
        await index.afterWritten(now);
      }
      // Each write took about half the cap; memory never held much more than the cap.
      expect(writes).toBeGreaterThanOrEqual(9);
      expect(writes).toBeLessThanOrEqual(11);
      expect(peak).toBeLessThanOrEqual(cap);
      expect(index.memoryEntries).toBeLessThan(cap);
      for (let seq = 1; seq <= 5 * cap; seq++) expect(index.lookup('acct', `key-${seq}`, now + 1)).toBe(seq);
      expect(index.lookup('acct', 'never-seen', now + 1)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
