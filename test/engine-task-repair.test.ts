// Goal (guarantee 5, tasks of several batches): when a worker dies in the second batch of a task,
// the first batch's rows stand even though the thread's row has moved on to the second batch, and
// only the second batch's unfinished rows are handed back to execute again; method: a real Executor
// on real shared memory in this thread, a fault that throws while it holds a lock in the second
// batch, then the main thread's repair of both batches and the balances it leaves.
import { describe, expect, it } from 'vitest';
import { Batch } from '../dist/engine/batch.js';
import { KeyFilter } from '../dist/engine/key-filter.js';
import { KeyTable } from '../dist/engine/key-table.js';
import { repairBatch } from '../dist/engine/worker-recovery.js';
import { Executor } from '../dist/engine/worker/executor.js';
import { opKindCode } from '../dist/domain/op-kind.js';
import { Counters } from '../dist/shm/counters.js';
import { createViews, globalSlot, ShmLayout } from '../dist/shm/layout.js';
import { ThreadTable } from '../dist/shm/thread-table.js';

const maxAccounts = 64;
const rowsPerBatch = 10;
const amount = 5n;

function mintBatch(firstSlot: number, token: number): Batch {
  const batch = Batch.allocate(rowsPerBatch);
  for (let i = 0; i < rowsPerBatch; i++) {
    batch.kind[i] = opKindCode('mint');
    batch.slot[i] = firstSlot + i;
    batch.slot2[i] = -1;
    batch.chain[i] = 0;
    batch.amount[i] = amount;
    batch.arg[i] = -1;
    batch.code[i] = -1;
  }
  batch.count = rowsPerBatch;
  batch.threadRow = -1;
  batch.finished = false;
  batch.token = token;
  return batch;
}

describe('repair of a task of two batches', () => {
  it('keeps the finished first batch and hands back only the rest of the second', () => {
    const layout = new ShmLayout({ maxAccounts, maxPerWindow: 0 });
    const buffer = new SharedArrayBuffer(layout.totalBytes);
    const views = createViews(buffer);
    new Counters(views.i64, layout).store(globalSlot.faultKillsLeft, 1n);
    // The 15th operation arms the fault: it throws after taking its lock (row 4 of the second batch).
    const faults = { point: 'after-lock' as const, everyOperations: 15, kills: 1, mode: 'throw' as const };
    const keys = { keyTables: [KeyTable.shared(10).buffer], keyFilter: new KeyFilter(true).buffer, idempotencyTtlMs: 60_000 };
    const init = { buffer, maxAccounts, maxPerWindow: 0, windowMs: 0, reservesEnforced: false, lockTimeoutMs: 1_000, faults, ...keys };
    const executor = new Executor(init, 4242);
    const first = mintBatch(0, 1);
    const second = mintBatch(rowsPerBatch, 2);
    expect(() => executor.executeAll([first, second])).toThrow(/fault injection/);
    expect(first.finished).toBe(true);
    expect(second.finished).toBe(false);
    expect(first.threadRow).toBe(second.threadRow);

    const ctx = { layout, views, table: new ThreadTable(views, layout), rate: null };
    const firstReport = repairBatch(ctx, first);
    const secondReport = repairBatch(ctx, second);
    expect(firstReport.finishedRows).toBe(rowsPerBatch);
    expect(firstReport.locksReleased).toBe(0);
    expect(secondReport.finishedRows).toBe(4);
    expect(secondReport.locksReleased).toBe(1);
    const balance = (slot: number): bigint => views.i64[layout.balanceIndex64(slot)] ?? -1n;
    for (let slot = 0; slot < 2 * rowsPerBatch; slot++) {
      expect(balance(slot), `slot ${slot}`).toBe(slot < rowsPerBatch + 4 ? amount : 0n);
    }
  });
});
