// Applies a batch to shared memory. Every operation locks its accounts in ascending slot order
// (guarantee 4), checks state, funds, rate window and reserves under those locks, and only then
// takes its sequence number and writes: a refused operation changes nothing and takes no number.
//
// For guarantee 5 every step is published in this thread's thread-table row (thread-table.ts):
// lock intent, before-images, then seq and time at the commit point, then DONE once the outputs are
// written. Locks are released only after DONE, so the main thread can repair the operation of a
// thread that died at any instruction before anyone else sees its accounts.
import { activeStateCode, isAllowedTransition } from '../../domain/account-state.js';
import { assert } from '../../domain/errors.js';
import { amountMax } from '../../domain/limits.js';
import { opKindCode } from '../../domain/op-kind.js';
import { wireCheckKey, wireCodeOf, wireKeysFull, wireLockTimeout, wireOk, wireReplay } from '../../domain/outcomes.js';
import { Counters } from '../../shm/counters.js';
import { createViews, globalSlot, ShmLayout, type ShmViews } from '../../shm/layout.js';
import { AccountLocks } from '../../shm/locks.js';
import { RateWindows } from '../../shm/rate-window.js';
import { threadStatus, ThreadTable, type ThreadRow } from '../../shm/thread-table.js';
import { keyMode, type Batch } from '../batch.js';
import { KeyFilter } from '../key-filter.js';
import { keyCheck, KeyTable } from '../key-table.js';
import { FaultInjector, type FaultPoint } from './faults.js';
import type { WorkerInit } from './worker-data.js';

const kind = {
  mint: opKindCode('mint'),
  burn: opKindCode('burn'),
  transfer: opKindCode('transfer'),
  pay: opKindCode('pay'),
  refund: opKindCode('refund'),
  reconcile: opKindCode('reconcile'),
  setState: opKindCode('setState'),
} as const;

const wire = {
  notActive: wireCodeOf('ACCOUNT_NOT_ACTIVE'),
  funds: wireCodeOf('INSUFFICIENT_FUNDS'),
  rate: wireCodeOf('RATE_LIMITED'),
  reserves: wireCodeOf('RESERVES_EXCEEDED'),
  transition: wireCodeOf('INVALID_TRANSITION'),
} satisfies Record<string, number>;

export class Executor {
  readonly #layout: ShmLayout;
  readonly #views: ShmViews;
  #locks: AccountLocks;
  readonly #counters: Counters;
  readonly #rate: RateWindows | null;
  readonly #reservesEnforced: boolean;
  readonly #lockTimeoutMs: number;
  readonly #table: ThreadTable;
  readonly #threadId: number;
  readonly #faults: FaultInjector | null;
  #row: ThreadRow;
  /** Per shard, its key table: this thread has it to itself while it runs a batch of that shard. */
  readonly #keys: readonly KeyTable[];
  readonly #onDisk: KeyFilter;
  readonly #ttlMs: number;

  constructor(init: WorkerInit, threadId: number) {
    this.#layout = new ShmLayout({ maxAccounts: init.maxAccounts, maxPerWindow: init.maxPerWindow });
    this.#views = createViews(init.buffer);
    this.#table = new ThreadTable(this.#views, this.#layout);
    this.#threadId = threadId;
    this.#row = this.#table.claim(threadId);
    this.#locks = new AccountLocks(this.#views.i32, threadId, this.#row);
    this.#counters = new Counters(this.#views.i64, this.#layout);
    this.#rate =
      init.maxPerWindow > 0 ? new RateWindows(this.#views, this.#layout, init.maxPerWindow, init.windowMs) : null;
    this.#reservesEnforced = init.reservesEnforced;
    this.#lockTimeoutMs = init.lockTimeoutMs;
    this.#faults = init.faults === null ? null : new FaultInjector(init.faults, this.#views.i64, this.#layout);
    this.#keys = init.keyTables.map((buffer) => KeyTable.attach(buffer));
    this.#onDisk = KeyFilter.attach(init.keyFilter);
    this.#ttlMs = init.idempotencyTtlMs;
  }

  /**
   * Executes the batches of one task in order, each marked finished before the next starts (the
   * repair of a task tells a finished batch from one that never ran by that mark).
   */
  executeAll(batches: readonly Batch[]): void {
    for (const batch of batches) {
      this.execute(batch);
      batch.finished = true;
    }
  }

  execute(batch: Batch): void {
    const row = this.#row;
    // Header first: a thread that dies between the two writes leaves its row idle (the sweep frees
    // it) and a stale token (the repair knows the batch never started).
    batch.threadRow = row.row;
    row.startBatch(batch.token);
    this.#faults?.startBatch();
    const count = batch.count;
    for (let i = 0; i < count; i++) this.#executeOne(batch, i);
    row.progress(0, threadStatus.idle);
  }

  /**
   * After an exception the operation in flight is left, locks and all, in its row for the main
   * thread to repair; this thread takes a fresh row for whatever it runs next.
   */
  abandonRow(): void {
    this.#row = this.#table.claim(this.#threadId);
    this.#locks = new AccountLocks(this.#views.i32, this.#threadId, this.#row);
  }

  #executeOne(batch: Batch, i: number): void {
    const a = batch.slot[i] ?? -1;
    const b = batch.slot2[i] ?? -1;
    assert(a >= 0 && a < this.#layout.maxAccounts, 'an operation names a valid account slot');
    assert(a !== b, 'an operation never locks one account twice');
    const first = b < 0 || a < b ? a : b;
    const second = b < 0 ? -1 : a < b ? b : a;
    batch.retryAfterMs[i] = 0;
    batch.aux[i] = -1;
    batch.seq[i] = 0;
    this.#faults?.nextOperation();
    const mode = batch.keyMode[i] ?? keyMode.none;
    if (mode !== keyMode.none) {
      const settled = this.#checkKey(batch, i, mode);
      if (settled >= 0) return this.#finish(batch, i, settled, -1, -1);
    }
    this.#row.lockIntent(first, second);
    this.#row.progress(i, threadStatus.locking);
    this.#fault('before-lock');
    const deadline = performance.now() + this.#lockTimeoutMs;
    const layout = this.#layout;
    if (!this.#locks.acquire(layout.lockIndex32(first), deadline, first)) return this.#finish(batch, i, wireLockTimeout, -1, -1);
    if (second >= 0 && !this.#locks.acquire(layout.lockIndex32(second), deadline, second)) {
      return this.#finish(batch, i, wireLockTimeout, first, -1);
    }
    this.#fault('after-lock');
    this.#recordBeforeImages(a, b);
    this.#row.progress(i, threadStatus.checking);
    this.#finish(batch, i, this.#apply(batch, i), first, second);
  }

  /**
   * Before anything is locked: a wire code when the key settles the row (a replay of the seq left in
   * the row, or a question for the main thread), -1 when the row executes. The shard's table is
   * this thread's alone while it runs the batch: the router sends one batch per shard at a time
   * and the main thread touches the table only between them.
   */
  #checkKey(batch: Batch, i: number, mode: number): number {
    const keys = this.#keys[batch.shard];
    assert(keys !== undefined, 'a batch names a shard with a key table');
    if (mode === keyMode.probe) {
      const hash = batch.keyHash[i] ?? 0;
      const found = keys.probe(hash, Date.now());
      if (found > 0) {
        batch.seq[i] = found;
        return wireReplay;
      }
      // Evicted keys are on disk, which only the main thread reads.
      if (found === keyCheck || this.#onDisk.mayContain(hash)) return wireCheckKey;
    }
    // The row will take (or free) a key: it needs room, while replays above are answered regardless.
    return keys.full ? wireKeysFull : -1;
  }

  /** At the commit point: the key is taken (or, reconciling, freed) with the operation. */
  #applyKey(batch: Batch, i: number, seq: number, now: number): void {
    const mode = batch.keyMode[i] ?? keyMode.none;
    if (mode === keyMode.none) return;
    const keys = this.#keys[batch.shard] as KeyTable;
    const hash = batch.keyHash[i] ?? 0;
    if (mode === keyMode.free) keys.free(hash, batch.keyRef[i] ?? 0, now + this.#ttlMs);
    else keys.add(hash, seq, now + this.#ttlMs);
  }

  /** Outputs, then DONE, then (and only then) the locks go. */
  #finish(batch: Batch, i: number, code: number, first: number, second: number): void {
    batch.code[i] = code;
    this.#row.progress(i, threadStatus.done);
    this.#fault('after-queued');
    if (second >= 0) this.#locks.release(this.#layout.lockIndex32(second));
    if (first >= 0) this.#locks.release(this.#layout.lockIndex32(first));
  }

  #recordBeforeImages(a: number, b: number): void {
    const { i32, f64 } = this.#views;
    const layout = this.#layout;
    this.#row.beforeImages(
      this.#balance(a),
      b < 0 ? 0n : this.#balance(b),
      Atomics.load(i32, layout.stateIndex32(a)),
      i32[layout.ringHeadIndex32(a)] ?? 0,
      i32[layout.ringCountIndex32(a)] ?? 0,
      f64[layout.lastAcceptIndexF64(a)] ?? 0,
    );
  }

  #fault(point: FaultPoint): void {
    if (this.#faults !== null) this.#faults.at(point);
  }

  #apply(batch: Batch, i: number): number {
    switch (batch.kind[i]) {
      case kind.mint:
        return this.#mint(batch, i);
      case kind.burn:
      case kind.reconcile:
        return this.#burn(batch, i);
      case kind.transfer:
        return this.#transfer(batch, i);
      case kind.pay:
        return this.#pay(batch, i);
      case kind.refund:
        return this.#refund(batch, i);
      case kind.setState:
        return this.#setState(batch, i);
      default:
        throw new Error(`shardmint internal assertion failed: worker got op kind ${batch.kind[i]}`);
    }
  }

  #mint(batch: Batch, i: number): number {
    const slot = batch.slot[i] ?? -1;
    const amount = batch.amount[i] ?? 0n;
    assert(amount > 0n, 'a mint amount is positive');
    assert((batch.chain[i] ?? -1) >= 0, 'a mint names a configured chain');
    if (!this.#isActive(slot)) return wire.notActive;
    const now = Date.now();
    if (this.#rate !== null) {
      const decision = this.#rate.check(slot, now);
      if (!decision.allowed) {
        batch.retryAfterMs[i] = decision.retryAfterMs;
        return wire.rate;
      }
    }
    const ceiling = this.#reservesEnforced ? this.#counters.read(globalSlot.reserves) : amountMax;
    if (!this.#counters.tryRaiseSupply(amount, ceiling)) return wire.reserves;
    this.#commit(batch, i, now);
    this.#counters.raiseChainSupply(batch.chain[i] ?? -1, amount);
    this.#addBalance(slot, amount);
    this.#rate?.record(slot, now);
    return wireOk;
  }

  /** Burn and reconciliation (a mint rolled back) move money out of supply the same way. */
  #burn(batch: Batch, i: number): number {
    const slot = batch.slot[i] ?? -1;
    const amount = batch.amount[i] ?? 0n;
    assert(amount > 0n, 'a burn amount is positive');
    assert((batch.chain[i] ?? -1) >= 0, 'a burn names a configured chain');
    if (!this.#isActive(slot)) return wire.notActive;
    if (this.#balance(slot) < amount) return wire.funds;
    if (!this.#counters.tryLowerChainSupply(batch.chain[i] ?? -1, amount)) return wire.funds;
    this.#commit(batch, i, Date.now());
    this.#counters.lowerSupply(amount);
    this.#addBalance(slot, -amount);
    return wireOk;
  }

  #transfer(batch: Batch, i: number): number {
    const from = batch.slot[i] ?? -1;
    const to = batch.slot2[i] ?? -1;
    const amount = batch.amount[i] ?? 0n;
    assert(to >= 0 && to < this.#layout.maxAccounts, 'a transfer names a valid destination slot');
    if (!this.#isActive(from) || !this.#isActive(to)) return wire.notActive;
    if (this.#balance(from) < amount) return wire.funds;
    this.#commit(batch, i, Date.now());
    this.#addBalance(from, -amount);
    this.#fault('mid-transfer');
    this.#addBalance(to, amount);
    return wireOk;
  }

  #pay(batch: Batch, i: number): number {
    const slot = batch.slot[i] ?? -1;
    const amount = batch.amount[i] ?? 0n;
    if (!this.#isActive(slot)) return wire.notActive;
    if (this.#balance(slot) < amount) return wire.funds;
    this.#commit(batch, i, Date.now());
    this.#addBalance(slot, -amount);
    this.#counters.raiseClearing(amount);
    return wireOk;
  }

  /** The main thread has already checked the refund against its payment's remaining amount. */
  #refund(batch: Batch, i: number): number {
    const slot = batch.slot[i] ?? -1;
    const amount = batch.amount[i] ?? 0n;
    if (!this.#isActive(slot)) return wire.notActive;
    this.#commit(batch, i, Date.now());
    this.#counters.lowerClearing(amount);
    this.#addBalance(slot, amount);
    return wireOk;
  }

  #setState(batch: Batch, i: number): number {
    const slot = batch.slot[i] ?? -1;
    const index = this.#layout.stateIndex32(slot);
    const current = Atomics.load(this.#views.i32, index);
    const next = batch.arg[i] ?? -1;
    batch.aux[i] = current;
    if (!isAllowedTransition(current, next)) return wire.transition;
    this.#commit(batch, i, Date.now());
    Atomics.store(this.#views.i32, index, next);
    return wireOk;
  }

  /** The commit point: from here on the operation is rolled forward, never back, if this thread dies. */
  #commit(batch: Batch, i: number, now: number): void {
    const seq = this.#counters.nextSequence();
    this.#fault('after-sequence');
    batch.seq[i] = seq;
    batch.at[i] = now;
    this.#row.commit(seq, now);
    this.#row.progress(i, threadStatus.committed);
    this.#faults?.noteApplied(seq);
    this.#fault('before-writes');
    // After that fault point, so that a death there leaves the key for the repair to take.
    this.#applyKey(batch, i, seq, now);
  }

  #isActive(slot: number): boolean {
    return Atomics.load(this.#views.i32, this.#layout.stateIndex32(slot)) === activeStateCode;
  }

  #balance(slot: number): bigint {
    return this.#views.i64[this.#layout.balanceIndex64(slot)] ?? 0n;
  }

  #addBalance(slot: number, delta: bigint): void {
    const index = this.#layout.balanceIndex64(slot);
    const next = (this.#views.i64[index] ?? 0n) + delta;
    if (next < 0n) throw new Error('shardmint internal assertion failed: a balance went negative');
    this.#views.i64[index] = next;
  }
}
