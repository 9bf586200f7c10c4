// Supervision of the worker threads (guarantee 5): notices dead workers, repairs the batch a dead
// worker was running (worker-recovery.ts), holds new batches until every thread is quiet, then
// recomputes the global counters and fills orphaned sequence numbers; frees the thread-table rows of
// threads that are gone; terminates workers on demand for stress runs.
import type { Piscina } from 'piscina';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import type { Counters } from '../shm/counters.js';
import { globalSlot, type ShmLayout, type ShmViews } from '../shm/layout.js';
import type { RateWindows } from '../shm/rate-window.js';
import { threadStatus, type ThreadTable } from '../shm/thread-table.js';
import type { Batch } from './batch.js';
import type { CommitPipeline } from './commit-pipeline.js';
import type { DurableLedger } from './durable-ledger.js';
import type { RecoverySnapshot } from './metrics.js';
import type { ShardRouter } from './shard-router.js';
import { repairBatch, type RepairKeys } from './worker-recovery.js';

export interface SupervisedParts {
  readonly pool: Piscina;
  readonly table: ThreadTable;
  readonly layout: ShmLayout;
  readonly views: ShmViews;
  readonly rate: RateWindows | null;
  readonly counters: Counters;
  readonly pipeline: CommitPipeline;
  readonly ledger: DurableLedger;
  readonly chains: readonly string[];
  readonly keys: RepairKeys;
}

const workerLoadWaitMs = 10_000;
const killBusyWaitMs = 200;

export class WorkerSupervisor {
  readonly #p: SupervisedParts;
  #router: ShardRouter | undefined;
  readonly #recoveries = { workerDeaths: 0, rolledForward: 0, reexecuted: 0, locksReleased: 0, voidedSequences: 0 };

  constructor(parts: SupervisedParts) {
    this.#p = parts;
    // A worker that dies between batches loses nothing: count it, Piscina replaces it. (One that
    // runs a resident task reports through the router instead: workerLost.)
    parts.pool.on('error', () => this.workerLost());
    // Piscina reports a destroyed worker after it has exited, when its thread id reads -1; so the
    // thread table is swept for rows whose thread is gone instead.
    parts.pool.on('workerDestroy', () => setImmediate(() => this.#sweepThreadRows()));
  }

  /** The router is built after the supervisor (it takes the supervisor's hooks). */
  attach(router: ShardRouter): void {
    this.#router = router;
  }

  /** A worker died between batches: nothing to repair, Piscina replaces it. */
  workerLost(): void {
    this.#recoveries.workerDeaths++;
  }

  get recoveries(): RecoverySnapshot {
    return { ...this.#recoveries };
  }

  /**
   * Router hook: a task's worker died or threw. Repairs each of its batches, in the order the worker
   * ran them, returns how many rows of each finished, and holds new batches until quiet.
   */
  repair(batches: readonly Batch[]): number[] {
    const { layout, views, table, rate, keys } = this.#p;
    const r = this.#recoveries;
    r.workerDeaths++;
    const finished = batches.map((batch) => {
      const report = repairBatch({ layout, views, table, rate, keys }, batch);
      if (report.rolledForward) r.rolledForward++;
      r.reexecuted += batch.count - report.finishedRows;
      r.locksReleased += report.locksReleased;
      return report.finishedRows;
    });
    this.#router?.pause();
    return finished;
  }

  /**
   * Router hook, once no batch is in flight after a worker death: global counters are recomputed
   * from the durable state plus every record not yet applied (which undoes the counter reservations
   * of a rolled-back operation and completes those of a rolled-forward one), and a sequence number
   * taken by a thread that died before publishing it becomes a void record.
   */
  afterWorkerDeath(): void {
    const { ledger, pipeline, counters, chains } = this.#p;
    const totals = { supply: ledger.supply, reserves: ledger.reserves, clearing: ledger.clearing, chains: ledger.chainSupplies() };
    pipeline.forEachUnapplied((record) => addCounterEffects(totals, record));
    counters.store(globalSlot.supply, totals.supply);
    counters.store(globalSlot.reserves, totals.reserves);
    counters.store(globalSlot.clearing, totals.clearing);
    chains.forEach((chain, i) => counters.storeChainSupply(i, totals.chains.get(chain) ?? 0n));
    const last = Number(counters.read(globalSlot.sequence));
    for (const seq of pipeline.missingUpTo(last)) {
      this.#recoveries.voidedSequences++;
      pipeline.submit({ record: makeRecord({ seq, kind: 'void', at: Date.now() }), resolve: () => undefined, reject: () => undefined });
    }
    this.#router?.resume();
  }

  /**
   * Node 20 aborts the whole process if a worker is terminated while it is still instantiating an
   * ES module through require(); so never terminate a worker that has not finished loading.
   */
  async untilWorkersLoaded(): Promise<void> {
    const deadline = Date.now() + workerLoadWaitMs;
    const loaded = (): boolean => this.#p.pool.threads.every((t) => t.threadId < 0 || this.#loaded(t.threadId));
    while (!loaded() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /**
   * Stress and tests: terminates one worker thread at whatever instruction it is executing,
   * preferring one that is inside a batch (waits up to killBusyWaitMs for one to be).
   */
  async killWorker(): Promise<number | undefined> {
    const deadline = performance.now() + killBusyWaitMs;
    let threads = this.#loadedThreads();
    for (let busy = this.#busy(threads); busy.length === 0 && performance.now() < deadline; busy = this.#busy(threads)) {
      await new Promise((resolve) => setImmediate(resolve));
      threads = this.#loadedThreads();
    }
    const busy = this.#busy(threads);
    const candidates = busy.length > 0 ? busy : threads;
    const victim = candidates[Math.floor(Math.random() * candidates.length)];
    if (victim === undefined) return undefined;
    const threadId = victim.threadId;
    await victim.terminate();
    return threadId;
  }

  threadRowsInUse(): number {
    let rows = 0;
    for (let row = 0; row < this.#p.table.rows; row++) if (this.#p.table.isClaimed(row)) rows++;
    return rows;
  }

  /**
   * Frees the rows of threads that no longer exist and were idle. A row whose thread died in a batch
   * is left alone: the repair of that batch frees it after reading it.
   */
  #sweepThreadRows(): void {
    const { pool, table } = this.#p;
    const live = new Set(pool.threads.map((thread) => thread.threadId));
    for (let row = 0; row < table.rows; row++) {
      if (!table.isClaimed(row)) continue;
      const record = table.read(row);
      if (!live.has(record.threadId) && record.status === threadStatus.idle) table.free(row);
    }
  }

  /** A worker has loaded once its module has run and claimed a thread-table row. */
  #loaded(threadId: number): boolean {
    return this.#p.table.rowOfThread(threadId) >= 0;
  }

  #loadedThreads(): Piscina['threads'] {
    return this.#p.pool.threads.filter((thread) => this.#loaded(thread.threadId));
  }

  #busy<T extends { threadId: number }>(threads: T[]): T[] {
    const table = this.#p.table;
    return threads.filter((thread) => {
      const row = table.rowOfThread(thread.threadId);
      return row >= 0 && table.read(row).status !== threadStatus.idle;
    });
  }
}

interface CounterTotals {
  supply: bigint;
  reserves: bigint;
  clearing: bigint;
  readonly chains: Map<string, bigint>;
}

/** A record's effect on the global counters (the account effects are the projector's). */
function addCounterEffects(totals: CounterTotals, r: LogRecord): void {
  const chainDelta = (delta: bigint): void => {
    totals.supply += delta;
    totals.chains.set(r.chain, (totals.chains.get(r.chain) ?? 0n) + delta);
  };
  if (r.kind === 'mint') chainDelta(r.amount);
  else if (r.kind === 'burn' || r.kind === 'reconcile') chainDelta(-r.amount);
  else if (r.kind === 'deposit') totals.reserves += r.amount;
  else if (r.kind === 'pay') totals.clearing += r.amount;
  else if (r.kind === 'refund') totals.clearing -= r.amount;
}
