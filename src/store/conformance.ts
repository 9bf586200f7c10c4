// The store conformance suite: the behaviours every LedgerStore must have, written once and run
// against each implementation (LMDB now, the native-free store later). Framework-free: each check
// throws on failure, so any test runner can call them.
import { deepStrictEqual, rejects, strictEqual } from 'node:assert/strict';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { accountChunkSlots, type AccountRows, type AccountSnapshot, type CheckpointDelta, type KeyChanges, type LedgerStore } from './store.js';

/** Opens a store on a directory; called again on the same directory to test persistence. */
export type OpenStore = (directory: string) => LedgerStore;

export interface ConformanceCheck {
  readonly name: string;
  run(open: OpenStore, directory: string): Promise<void>;
}

function records(from: number, count: number): LogRecord[] {
  return Array.from({ length: count }, (_, i) =>
    makeRecord({
      seq: from + i,
      kind: i % 3 === 0 ? 'mint' : 'transfer',
      slot: i % 5,
      slot2: i % 3 === 0 ? -1 : (i + 1) % 5,
      amount: 2n ** 62n + BigInt(i),
      chain: i % 3 === 0 ? 'ethereum' : '',
      key: `key-${from + i}`,
      at: 1_700_000_000_000 + i,
    }),
  );
}

/** Key hashes use all 53 bits, so the store must keep them exact. */
const hashA = 2 ** 53 - 7;
const hashB = 17;

type KeyRow = readonly [hash: number, seq: number, expiresAt: number | null];

function columns(rows: readonly KeyRow[]): KeyChanges {
  return {
    count: rows.length,
    hash: Float64Array.from(rows, ([hash]) => hash),
    seq: Float64Array.from(rows, ([, seq]) => seq),
    expiresAt: Float64Array.from(rows, ([, , expiresAt]) => expiresAt ?? Number.NaN),
  };
}

/** A pull source of key changes as the engine gives it: here a slice per row, and an empty one. */
function keyChanges(rows: readonly KeyRow[]): () => KeyChanges | undefined {
  const slices = [...rows.map((row) => columns([row])), columns([])];
  return () => slices.shift();
}

/** Account rows as columns, as a checkpoint hands them to a store (also used by the codec's test). */
export function accountRows(list: readonly AccountSnapshot[]): AccountRows {
  return {
    count: list.length,
    slot: Int32Array.from(list, (a) => a.slot),
    balance: BigInt64Array.from(list, (a) => a.balance),
    stateCode: Uint8Array.from(list, (a) => a.stateCode),
    id: list.map((a) => a.id),
  };
}

/** Three accounts over two chunks of accountChunkSlots slots. */
const accounts: readonly AccountSnapshot[] = [
  { slot: 0, id: 'alice', balance: 7n, stateCode: 0 },
  { slot: 1, id: 'bob', balance: 0n, stateCode: 2 },
  { slot: accountChunkSlots + 44, id: 'carol-ü', balance: 2n ** 62n, stateCode: 1 },
];

function delta(seq: number): CheckpointDelta {
  return {
    header: { seq, supply: 10n, reserves: 20n, clearing: 3n, chainSupply: { ethereum: 10n }, accountCount: 2, writtenAt: 5 },
    accounts: accountRows(accounts),
    // Two entries share hashA, as two keys may: both must be kept and found.
    idempotency: keyChanges([
      [hashA, 1, 100],
      [hashB, 2, 50],
      [hashA, 3, 200],
    ]),
    refunded: [[4, 9n]],
    reconciled: [[1, 5]],
  };
}

export const conformanceChecks: readonly ConformanceCheck[] = [
  {
    name: 'an empty store has no log, no checkpoint and no index entries',
    async run(open, directory) {
      const store = open(directory);
      strictEqual(store.lastSequence(), 0);
      strictEqual(store.findRecord(1), undefined);
      strictEqual(store.loadCheckpoint(), undefined);
      deepStrictEqual([...store.readAfter(0)], []);
      deepStrictEqual([...store.readAccounts()], []);
      deepStrictEqual(store.getIdempotency(hashA), []);
      await store.close();
    },
  },
  {
    name: 'appends contiguous groups and reads them back by seq, forwards and backwards, after reopening',
    async run(open, directory) {
      const store = open(directory);
      const all = [...records(1, 3), ...records(4, 1), ...records(5, 6)];
      await store.appendGroup(all.slice(0, 3));
      await store.appendGroup(all.slice(3, 4));
      await store.appendGroup(all.slice(4));
      await store.close();
      const reopened = open(directory);
      strictEqual(reopened.lastSequence(), 10);
      for (const record of all) deepStrictEqual(reopened.findRecord(record.seq), record);
      strictEqual(reopened.findRecord(11), undefined);
      deepStrictEqual([...reopened.readAfter(0)].flat(), all);
      deepStrictEqual([...reopened.readAfter(4)].flat(), all.slice(4));
      deepStrictEqual([...reopened.readAfter(2)].flat(), all.slice(2));
      deepStrictEqual([...reopened.readBackward()].map((g) => g[0]?.seq), [5, 4, 1]);
      await reopened.close();
    },
  },
  {
    // Longer than any store keeps of its newest records in memory (the LMDB store: 1,024 entries of
    // at most 128 records), so that both ways of finding a record are asked, and agree.
    name: 'finds every record of a long log by seq while open and after reopening',
    async run(open, directory) {
      const store = open(directory);
      const groups = Array.from({ length: 600 }, (_, g) => records(1 + g * 129, 129));
      for (const group of groups) await store.appendGroup(group);
      const all = groups.flat();
      const check = (reading: LedgerStore): void => {
        for (const record of all) deepStrictEqual(reading.findRecord(record.seq), record);
        strictEqual(reading.findRecord(all.length + 1), undefined);
      };
      check(store);
      await store.close();
      const reopened = open(directory);
      check(reopened);
      await reopened.close();
    },
  },
  {
    name: 'writes index entries between checkpoints, readable at once and after reopening, without a header',
    async run(open, directory) {
      const store = open(directory);
      await store.appendGroup(records(1, 3));
      await store.writeIdempotency(keyChanges([[hashA, 1, 100], [hashB, 2, 50], [hashA, 3, 200]]), 0);
      deepStrictEqual(store.getIdempotency(hashA), [{ seq: 1, expiresAt: 100 }, { seq: 3, expiresAt: 200 }]);
      deepStrictEqual(store.getIdempotency(hashB), [{ seq: 2, expiresAt: 50 }]);
      await store.writeIdempotency(keyChanges([[hashA, 1, null]]), 0);
      deepStrictEqual(store.getIdempotency(hashA), [{ seq: 3, expiresAt: 200 }]);
      strictEqual(store.loadCheckpoint(), undefined);
      await store.close();
      const reopened = open(directory);
      strictEqual(reopened.loadCheckpoint(), undefined);
      deepStrictEqual(reopened.getIdempotency(hashA), [{ seq: 3, expiresAt: 200 }]);
      deepStrictEqual(reopened.getIdempotency(hashB), [{ seq: 2, expiresAt: 50 }]);
      await reopened.close();
    },
  },
  {
    name: 'refuses a group that does not continue the log',
    async run(open, directory) {
      const store = open(directory);
      await store.appendGroup(records(1, 2));
      await rejects(store.appendGroup(records(4, 1)), /log continues at 3/);
      await rejects(store.appendGroup([...records(3, 1), ...records(5, 1)]), /contiguous/);
      strictEqual(store.lastSequence(), 2);
      await store.close();
    },
  },
  {
    name: 'writes checkpoints (accounts atomically with the header) and index entries, and deletes entries given NaN',
    async run(open, directory) {
      const store = open(directory);
      await store.writeCheckpoint(delta(3));
      await store.writeCheckpoint({ ...delta(4), accounts: accountRows([]), refunded: [], reconciled: [], idempotency: keyChanges([[hashA, 1, null]]) });
      await store.close();
      const reopened = open(directory);
      deepStrictEqual(reopened.loadCheckpoint(), delta(4).header);
      deepStrictEqual([...reopened.readAccounts()], accounts);
      deepStrictEqual(reopened.getIdempotency(hashA), [{ seq: 3, expiresAt: 200 }]);
      deepStrictEqual(reopened.getIdempotency(hashB), [{ seq: 2, expiresAt: 50 }]);
      deepStrictEqual(reopened.getIdempotency(hashB + 1), []);
      const seeded = new Map<number, number>();
      reopened.idempotencyKeys((hash, expiresAt) => seeded.set(hash, Math.max(expiresAt, seeded.get(hash) ?? expiresAt)));
      deepStrictEqual([...seeded].sort(([a], [b]) => a - b), [[hashB, 50], [hashA, 200]]);
      strictEqual(reopened.getRefunded(4), 9n);
      strictEqual(reopened.getReconciled(1), 5);
      strictEqual(reopened.getRefunded(5), undefined);
      await reopened.close();
    },
  },
  {
    name: 'rewrites only the account chunks a checkpoint carries, and keeps the others',
    async run(open, directory) {
      const store = open(directory);
      await store.writeCheckpoint(delta(3));
      const changed = [{ slot: 0, id: 'alice', balance: 8n, stateCode: 1 }, { slot: 1, id: 'bob', balance: 1n, stateCode: 2 }];
      await store.writeCheckpoint({ ...delta(5), accounts: accountRows(changed) });
      await store.close();
      const reopened = open(directory);
      deepStrictEqual([...reopened.readAccounts()], [...changed, accounts[2]]);
      await reopened.close();
    },
  },
  {
    name: 'reads the newest expiry of a rewritten entry, and an entry deleted and then written again',
    async run(open, directory) {
      const store = open(directory);
      await store.writeCheckpoint(delta(1));
      await store.writeCheckpoint({ ...delta(2), idempotency: keyChanges([[hashB, 2, 500], [hashA, 3, null]]) });
      deepStrictEqual(store.getIdempotency(hashB), [{ seq: 2, expiresAt: 500 }]);
      deepStrictEqual(store.getIdempotency(hashA), [{ seq: 1, expiresAt: 100 }]);
      await store.writeCheckpoint({ ...delta(3), idempotency: keyChanges([[hashA, 3, 300]]) });
      await store.close();
      const reopened = open(directory);
      deepStrictEqual(reopened.getIdempotency(hashA), [{ seq: 1, expiresAt: 100 }, { seq: 3, expiresAt: 300 }]);
      deepStrictEqual(reopened.getIdempotency(hashB), [{ seq: 2, expiresAt: 500 }]);
      await reopened.close();
    },
  },
  {
    name: 'awaits the pause it is given between the steps of a write, and writes the same',
    async run(open, directory) {
      const store = open(directory);
      await store.appendGroup(records(1, 4));
      let pauses = 0;
      const pause = (): Promise<void> => {
        pauses++;
        return new Promise((resolve) => setImmediate(resolve));
      };
      await store.writeIdempotency(keyChanges([[hashA, 1, 100]]), 0, pause);
      const afterKeys = pauses;
      strictEqual(afterKeys > 0, true, 'a key write pauses between its steps');
      await store.writeCheckpoint(delta(4), pause);
      strictEqual(pauses > afterKeys, true, 'a checkpoint pauses between its steps');
      deepStrictEqual(store.getIdempotency(hashA), [{ seq: 1, expiresAt: 100 }, { seq: 3, expiresAt: 200 }]);
      strictEqual(store.loadCheckpoint()?.seq, 4);
      await store.close();
    },
  },
];
