// Repair of a batch whose worker died (or threw) mid-way, from that thread's thread-table row
// (guarantee 5). The dead operation is decided by its published status:
//  - before its commit point (locking, checking): nothing was written to any account; it did not
//    happen and executes again. A sequence number it may have taken is left as a gap, filled later.
//  - after its commit point (committed): it is rolled forward from its before-images, because from
//    that instant its effects on global counters may have been seen by other threads.
//  - done: it finished; its outputs stand.
// Its locks are released only after the accounts are repaired, so nobody sees a partial state.
// Global counters are not touched here: they are recomputed once every thread is quiet.
import { opKindCode } from '../domain/op-kind.js';
import { assert } from '../domain/errors.js';
import { wireOk } from '../domain/outcomes.js';
import type { ShmLayout, ShmViews } from '../shm/layout.js';
import { releaseIfOwnedBy } from '../shm/locks.js';
import type { RateWindows } from '../shm/rate-window.js';
import { threadStatus, type ThreadRecord, type ThreadTable } from '../shm/thread-table.js';
import { keyMode, type Batch } from './batch.js';
import type { KeyTable } from './key-table.js';

/** The shards' idempotency-key tables: a rolled-forward operation takes (or frees) its key too. */
export interface RepairKeys {
  shardTable(shard: number): KeyTable;
  readonly ttlMs: number;
}

export interface RepairContext {
  readonly layout: ShmLayout;
  readonly views: ShmViews;
  readonly table: ThreadTable;
  readonly rate: RateWindows | null;
  /** Needed once a batch carries keys; the repair has the batch's shard (its batch is the dead one). */
  readonly keys?: RepairKeys;
}

export interface RepairReport {
  /** Rows, from the first, whose outputs are valid; the rest execute again. */
  readonly finishedRows: number;
  readonly rolledForward: boolean;
  readonly locksReleased: number;
}

export function repairBatch(ctx: RepairContext, batch: Batch): RepairReport {
  const threadRow = batch.threadRow;
  if (threadRow < 0) return { finishedRows: 0, rolledForward: false, locksReleased: 0 };
  const record = ctx.table.read(threadRow);
  // The row holds another batch: this one finished before the worker went on to a later batch of the
  // same task, or the worker named the row but died before starting this batch on it.
  if (record.batchToken !== batch.token) return { finishedRows: batch.finished ? batch.count : 0, rolledForward: false, locksReleased: 0 };
  let finishedRows: number;
  let rolledForward = false;
  switch (record.status) {
    case threadStatus.idle:
      finishedRows = batch.count;
      break;
    case threadStatus.inBatch:
    case threadStatus.done:
      finishedRows = record.progressRow + 1;
      break;
    case threadStatus.locking:
    case threadStatus.checking:
      finishedRows = record.progressRow;
      break;
    case threadStatus.committed:
      rollForward(ctx, batch, record);
      rolledForward = true;
      finishedRows = record.progressRow + 1;
      break;
    default:
      throw new Error(`shardmint internal assertion failed: thread status ${record.status}`);
  }
  const locksReleased = releaseLocks(ctx, record);
  ctx.table.free(threadRow);
  return { finishedRows, rolledForward, locksReleased };
}

const kind = {
  mint: opKindCode('mint'),
  burn: opKindCode('burn'),
  reconcile: opKindCode('reconcile'),
  transfer: opKindCode('transfer'),
  pay: opKindCode('pay'),
  refund: opKindCode('refund'),
  setState: opKindCode('setState'),
} as const;

/** Writes the after-images of a committed operation and its outputs, from before-images and inputs. */
function rollForward(ctx: RepairContext, batch: Batch, record: ThreadRecord): void {
  const row = record.progressRow;
  const a = batch.slot[row] ?? -1;
  const b = batch.slot2[row] ?? -1;
  const amount = batch.amount[row] ?? 0n;
  const { layout, views } = ctx;
  const setBalance = (slot: number, value: bigint): void => {
    assert(value >= 0n, 'a rolled-forward balance is not negative');
    views.i64[layout.balanceIndex64(slot)] = value;
  };
  switch (batch.kind[row]) {
    case kind.mint:
      setBalance(a, record.balanceA + amount);
      if (ctx.rate !== null) {
        // The before-image predates the check's expiry of old entries: expire again, then record.
        ctx.rate.restore(a, record.ringHead, record.ringCount, record.lastAccept);
        const fits = ctx.rate.check(a, record.at).allowed;
        assert(fits, 'a committed mint fits its rate window');
        ctx.rate.record(a, record.at);
      }
      break;
    case kind.burn:
    case kind.reconcile:
    case kind.pay:
      setBalance(a, record.balanceA - amount);
      break;
    case kind.refund:
      setBalance(a, record.balanceA + amount);
      break;
    case kind.transfer:
      setBalance(a, record.balanceA - amount);
      setBalance(b, record.balanceB + amount);
      break;
    case kind.setState:
      Atomics.store(views.i32, layout.stateIndex32(a), batch.arg[row] ?? 0);
      break;
    default:
      throw new Error(`shardmint internal assertion failed: cannot roll forward kind ${batch.kind[row]}`);
  }
  batch.code[row] = wireOk;
  batch.seq[row] = record.seq;
  batch.at[row] = record.at;
  batch.retryAfterMs[row] = 0;
  batch.aux[row] = batch.kind[row] === kind.setState ? record.stateA : -1;
  rollKeyForward(ctx, batch, row, record);
}

/** As the worker does at the commit point; it may have done it already before dying (add and free
 * are then no-ops). */
function rollKeyForward(ctx: RepairContext, batch: Batch, row: number, record: ThreadRecord): void {
  const mode = batch.keyMode[row] ?? keyMode.none;
  if (mode === keyMode.none) return;
  assert(ctx.keys !== undefined, 'a keyed row is repaired with the key tables');
  const keys = ctx.keys.shardTable(batch.shard);
  const hash = batch.keyHash[row] ?? 0;
  const expiresAt = record.at + ctx.keys.ttlMs;
  if (mode === keyMode.free) keys.free(hash, batch.keyRef[row] ?? 0, expiresAt);
  else keys.add(hash, record.seq, expiresAt);
}

function releaseLocks(ctx: RepairContext, record: ThreadRecord): number {
  let released = 0;
  for (const slot of [record.slotA, record.slotB]) {
    if (slot < 0 || slot >= ctx.layout.maxAccounts) continue;
    if (releaseIfOwnedBy(ctx.views.i32, ctx.layout.lockIndex32(slot), record.threadId)) released++;
  }
  return released;
}
