// Goal: the idempotency index's filter of keys on disk sheds the keys whose TTL has passed, after a
// key write and at open, while every key that may still be live is still answered; method: a real
// LMDB store, a short TTL and a filter of small stages, rounds of keys remembered at advancing
// times while the test plays the engine's part (a key write whenever the index asks for one, then
// eviction), every key looked up at the end and the filter's count of keys watched throughout.
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

const ttlMs = 1_000;
const cap = 1_000;
const roundMs = 250;
const perRound = 400;
const rounds = 80;

describe('idempotency keys leaving the filter', () => {
  it('sheds expired keys after key writes and at open, and answers every live key', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'shardmint-filter-expiry-'));
    directories.push(directory);
    let store = new LmdbStore({ directory, durability: 'none' });
    const keys = new Map<number, string>();
    const matches = (seq: number, scope: string, key: string): boolean => scope === 'acct' && keys.get(seq) === key;
    // Stages of 256 keys, so that stages fill and retire within the test.
    let index = new IdempotencyIndex(store, ttlMs, cap, matches, 0, { stageKeysLog2: 8 });
    // In the future, so that the seed at reopening (by the real clock) keeps the last keys.
    const start = Date.now() + 60_000;
    let seq = 0;
    let peak = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        const at = start + round * roundMs;
        for (let i = 0; i < perRound; i++) {
          seq++;
          keys.set(seq, `key-${seq}`);
          index.remember('acct', `key-${seq}`, seq, at);
          if (!index.needsWrite) continue;
          await store.writeIdempotency(await index.takeChanges(), at);
          await index.afterWritten(at);
          peak = Math.max(peak, index.keysInFilter);
        }
      }
      const end = start + (rounds - 1) * roundMs;
      // 32,000 keys went to disk; the filter held only those of a TTL and its margin (a stage leaves a
      // margin after its newest key expired; 3,200 keys) and a few stages more (256 keys each).
      expect(seq).toBe(rounds * perRound);
      expect(peak).toBeLessThanOrEqual(4_400);
      for (let s = 1; s <= seq; s++) {
        const live = start + Math.floor((s - 1) / perRound) * roundMs + ttlMs > end + 1;
        expect(index.lookup('acct', `key-${s}`, end + 1), `key-${s}`).toBe(live ? s : 0);
      }
      await store.close();
      // At open the filter is seeded from the disk, by the real clock: every key written expires
      // after it (start is a minute ahead), so it holds them all; with the clock past them all, none.
      store = new LmdbStore({ directory, durability: 'none' });
      index = new IdempotencyIndex(store, ttlMs, cap, matches, 0, { stageKeysLog2: 8 });
      const onDisk = index.keysInFilter;
      expect(onDisk).toBeGreaterThan(0);
      expect(onDisk).toBeLessThanOrEqual(seq);
      for (let s = seq - perRound + 1; s <= seq; s++) expect(index.lookup('acct', `key-${s}`, end + 1)).toBe(s);
      await store.close();
      store = new LmdbStore({ directory, durability: 'none' });
      const realNow = Date.now;
      Date.now = () => end + 2 * ttlMs;
      try {
        index = new IdempotencyIndex(store, ttlMs, cap, matches, 0, { stageKeysLog2: 8 });
      } finally {
        Date.now = realNow;
      }
      expect(index.keysInFilter).toBe(0);
    } finally {
      await store.close();
    }
  });
});
