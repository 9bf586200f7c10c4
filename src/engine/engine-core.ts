// The private core behind MintEngine: owns the shared memory, the Piscina pool, the store, the commit
// pipeline and everything derived from the log. Arguments arrive validated; this file decides
// outcomes that need the main thread (idempotency, refund limits, reconciliation) and hands money
// movement to the workers.
import { mkdirSync } from 'node:fs';
import { Piscina } from 'piscina';
import { accountStateCode, type AccountState } from '../domain/account-state.js';
import {
  CapacityError,
  EngineClosedError,
  EngineFailedError,
  LockTimeoutError,
  ShardmintError,
  assert,
} from '../domain/errors.js';
import { reservesScope } from '../domain/fingerprint.js';
import { keyHash, keyHashLow } from '../domain/key-hash.js';
import { amountMax, idempotencyFilterStageKeys } from '../domain/limits.js';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { opKindCode, type OpKind } from '../domain/op-kind.js';
import { refusalOfWire, refuse, wireCheckKey, wireKeysFull, wireLockTimeout, wireOk, wireReplay, type Refusal } from '../domain/outcomes.js';
import { Counters } from '../shm/counters.js';
import { createViews, globalSlot, ShmLayout, type ShmViews } from '../shm/layout.js';
import { DeadlockDetector } from '../shm/deadlock-detector.js';
import { RateWindows } from '../shm/rate-window.js';
import { ThreadTable, type LockMetrics } from '../shm/thread-table.js';
import { LmdbStore } from '../store/lmdb-store.js';
import type { LedgerStore } from '../store/store.js';
import { AccountRegistry } from './account-registry.js';
import { keyMode, type Batch } from './batch.js';
import { CommitPipeline } from './commit-pipeline.js';
import { DirectoryLock } from './directory-lock.js';
import { DurableLedger } from './durable-ledger.js';
import { IdempotencyIndex, mainKeys } from './idempotency-index.js';
import { EngineMetrics, type MetricsSnapshot, type RecoverySnapshot } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { Projector, type Derived } from './projector.js';
import { fingerprintOf, fingerprintOfSpec, keyScopeOf, resultOf, type IdOf } from './record-views.js';
import { checkChains, rebuildRateWindows, replayLog, seedSharedMemory } from './recovery.js';
import { IntMap } from './int-map.js';
import { KeyedOp, type Answer, type KeyedHost } from './keyed-op.js';
import { refusalOfSpec } from './refusals.js';
import type { CallSpec } from './work-specs.js';
import { OutcomeOp, PendingOp, type Settler, type WorkOutcome, type WorkSpec } from './pending-op.js';
import { ShardRouter } from './shard-router.js';
import { WorkerSupervisor } from './worker-supervisor.js';
import { WriteBehindMap } from './write-behind-map.js';
import { WritePacer } from './write-pacer.js';
import type { WorkerInit } from './worker/worker-data.js';

export type { Answer } from './keyed-op.js';

export type { WorkOutcome, WorkSpec } from './pending-op.js';

const inFlightTurnsMax = 1_000;
const memoryIndexEntriesMax = 200_000;
const checkpointIntervalMs = 15_000;
const closeDrainMs = 30_000;

type Phase = 'open' | 'closing' | 'closed' | 'failed';

/** A key executing now; its fingerprint is built from `spec` only if another call needs it. */
interface InFlightKey {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string | undefined;
  readonly spec: WorkSpec | undefined;
  readonly answer: Promise<Answer>;
}

/** Opens the store of a data directory; the seam where the native-free store will plug in. */
export type StoreFactory = (options: ResolvedOptions) => LedgerStore;

export const lmdbStoreFactory: StoreFactory = (options) =>
  new LmdbStore({ directory: options.path, durability: options.durability });

export class EngineCore implements Settler, KeyedHost {
  readonly options: ResolvedOptions;
  readonly derived: Derived;
  readonly metrics = new EngineMetrics();
  readonly idOf: IdOf;
  readonly #store: LedgerStore;
  readonly #lock: DirectoryLock;
  readonly #layout: ShmLayout;
  readonly #views: ShmViews;
  readonly #counters: Counters;
  readonly #projector: Projector;
  readonly #pipeline: CommitPipeline;
  readonly #pool: Piscina;
  readonly #router: ShardRouter;
  /** Keys executing now, by inFlightSlot(key hash): a small integer keeps the map on its fast path
   * (a 53-bit key is a heap number); keys sharing a slot take turns, as keys sharing a hash do. */
  readonly #inFlightKeys = new IntMap<InFlightKey>();
  readonly #chainIndex: Map<string, number>;
  readonly #timer: NodeJS.Timeout;
  readonly #table: ThreadTable;
  readonly #rate: RateWindows | null;
  readonly #detector: DeadlockDetector;
  readonly #detectorTimer: NodeJS.Timeout | undefined;
  readonly #supervisor: WorkerSupervisor;
  #phase: Phase = 'open';
  #failure: EngineFailedError | undefined;
  #recordsSinceCheckpoint = 0;
  /** The record findRecord read last (durable records never change). */
  #lastFound: LogRecord | undefined;
  #checkpointing: Promise<void> | undefined;
  /** Spreads the main-thread steps of key writes and checkpoints over time (write-pacer.ts). */
  readonly #pacer = new WritePacer(() => this.derived.idempotency.atCap);

  /** Opens and recovers; on any failure releases what it took (directory lock, store). */
  static async open(options: ResolvedOptions, createStore: StoreFactory): Promise<EngineCore> {
    mkdirSync(options.path, { recursive: true });
    const lock = DirectoryLock.acquire(options.path);
    let store: LedgerStore | undefined;
    try {
      store = createStore(options);
      return new EngineCore(options, lock, store);
    } catch (error) {
      await store?.close().catch(() => undefined);
      lock.release();
      throw error;
    }
  }

  private constructor(options: ResolvedOptions, lock: DirectoryLock, store: LedgerStore) {
    this.options = options;
    this.#lock = lock;
    this.#chainIndex = new Map(options.chains.map((chain, index) => [chain, index]));
    this.#store = store;
    const registry = new AccountRegistry(options.maxAccounts);
    this.idOf = (slot) => registry.idOf(slot);
    this.derived = {
      ledger: new DurableLedger(options.maxAccounts, options.chains),
      registry,
      idempotency: new IdempotencyIndex(
        this.#store,
        options.idempotencyTtlMs,
        options.idempotencyMemoryKeys,
        (seq, scope, key) => this.#recordHasKey(seq, scope, key),
        options.workers,
        { stages: Math.ceil(options.idempotencyFilterKeys / idempotencyFilterStageKeys) },
      ),
      refunded: new WriteBehindMap((seq) => this.#store.getRefunded(seq), memoryIndexEntriesMax),
      reconciled: new WriteBehindMap((seq) => this.#store.getReconciled(seq), memoryIndexEntriesMax),
    };
    this.#projector = new Projector(this.derived);
    const rate = options.mintRateLimit ?? { maxPerWindow: 0, windowMs: 0 };
    this.#layout = new ShmLayout({ maxAccounts: options.maxAccounts, maxPerWindow: rate.maxPerWindow });
    const buffer = new SharedArrayBuffer(this.#layout.totalBytes);
    this.#views = createViews(buffer);
    this.#counters = new Counters(this.#views.i64, this.#layout);
    this.#table = new ThreadTable(this.#views, this.#layout);
    this.#detector = new DeadlockDetector(this.#table, this.#layout, this.#views);
    const limit = options.mintRateLimit;
    this.#rate = limit === null ? null : new RateWindows(this.#views, this.#layout, limit.maxPerWindow, limit.windowMs);
    this.#recover();
    this.#pipeline = new CommitPipeline(this.#store, this.derived.ledger.watermark + 1, {
      applyDurable: (record) => this.#projector.apply(record),
      afterGroup: (records) => this.#afterGroup(records),
      durableAfter: (ms) => this.metrics.recordCommit(ms),
      answering: (now) => this.metrics.answering(now),
      fail: (error) => this.fail(error),
    });
    // From here on the workers take the shards' keys; the router lends a shard's table back between batches.
    const keys = this.derived.idempotency.share((shard, run) => this.#router.whenIdle(shard, run));
    this.#pool = this.#createPool(buffer, rate, keys);
    this.#supervisor = new WorkerSupervisor({
      pool: this.#pool,
      table: this.#table,
      layout: this.#layout,
      views: this.#views,
      rate: this.#rate,
      counters: this.#counters,
      pipeline: this.#pipeline,
      ledger: this.derived.ledger,
      chains: options.chains,
      keys: this.derived.idempotency,
    });
    // One shard per worker thread (and one resident task each).
    this.#router = new ShardRouter(this.#pool, options.workers, options.shardQueueDepthMax, {
      repair: (batch) => this.#supervisor.repair(batch),
      quiescent: () => this.#supervisor.afterWorkerDeath(),
      lost: () => this.#supervisor.workerLost(),
      fail: (error) => this.fail(error),
    });
    this.#supervisor.attach(this.#router);
    this.#timer = setInterval(() => void this.#checkpoint(), checkpointIntervalMs).unref();
    this.#detectorTimer = options.detectDeadlocks ? setInterval(() => this.#detector.scan(), 5).unref() : undefined;
  }

  #recover(): void {
    replayLog(this.#store, this.derived, this.#projector);
    checkChains(this.derived, this.options.chains);
    seedSharedMemory(this.derived, this.#layout, this.#views, this.options.chains);
    this.#counters.store(globalSlot.durableSequence, BigInt(this.derived.ledger.watermark));
    this.#counters.store(globalSlot.faultKillsLeft, BigInt(this.options.faults?.kills ?? 0));
    const limit = this.options.mintRateLimit;
    if (limit !== null && this.#rate !== null) rebuildRateWindows(this.#store, this.#rate, limit.windowMs, Date.now());
  }

  #createPool(
    buffer: SharedArrayBuffer,
    rate: { maxPerWindow: number; windowMs: number },
    keys: { readonly tables: SharedArrayBuffer[]; readonly filter: SharedArrayBuffer },
  ): Piscina {
    const init: WorkerInit = {
      keyTables: keys.tables,
      keyFilter: keys.filter,
      idempotencyTtlMs: this.options.idempotencyTtlMs,
      buffer,
      maxAccounts: this.options.maxAccounts,
      maxPerWindow: rate.maxPerWindow,
      windowMs: rate.windowMs,
      reservesEnforced: this.options.reserves === 'enforce',
      lockTimeoutMs: this.options.lockTimeoutMs,
      faults: this.options.faults,
    };
    const pool = new Piscina({
      filename: new URL('./worker/worker.js', import.meta.url).href,
      minThreads: this.options.workers,
      maxThreads: this.options.workers,
      idleTimeout: Infinity,
      // Piscina's own run and wait histograms: two clock reads and records per batch, never read here.
      recordTiming: false,
      workerData: init,
      execArgv: workerExecArgv(),
    });
    return pool;
  }

  /** Throws unless the engine accepts work. */
  assertUsable(): void {
    if (this.#phase === 'failed') throw this.#failure as EngineFailedError;
    if (this.#phase !== 'open') throw new EngineClosedError();
  }

  // ---- idempotency ----------------------------------------------------------------------------

  /**
   * Runs `execute` at most once per live key (guarantee 1): a live key replays its recorded result or
   * conflicts; a key in flight joins that execution. Only successes take the key (a worker, when it
   * applies the operation; the projector, for deposits, once durable), so a refusal leaves it free.
   * `shard` is the table of the key: a shard's is read between its batches (mainKeys: deposits').
   */
  async keyed(scope: string, key: string, fingerprint: string, execute: () => Promise<Answer>, shard = mainKeys): Promise<Answer> {
    const hash = keyHash(scope, key);
    for (let turns = 0; ; turns++) {
      const inFlight = this.#inFlightKeys.get(inFlightSlot(hash));
      if (inFlight === undefined) break;
      if (inFlight.scope === scope && inFlight.key === key) {
        if (this.#fingerprintOf(inFlight) !== fingerprint) return conflict(key);
        const answer = await inFlight.answer;
        return answer['ok'] === true ? { ...answer, replayed: true } : answer;
      }
      // Another key with the same hash is in flight: wait for it, so each hash has one entry.
      assert(turns < inFlightTurnsMax, 'keys sharing a hash take turns a bounded number of times');
      await inFlight.answer.catch(() => undefined);
    }
    // In flight from here, the lookup included: a shard's table is read between its batches, and
    // a call with the same key meanwhile must join this one, not look up and execute as well.
    const answer = this.#lookupThenExecute(scope, key, fingerprint, hash, shard, execute);
    const entry = { scope, key, fingerprint, spec: undefined, answer };
    const slot = inFlightSlot(hash);
    this.#inFlightKeys.set(slot, entry);
    try {
      return await answer;
    } finally {
      this.#inFlightKeys.deleteIf(slot, entry);
    }
  }

  async #lookupThenExecute(scope: string, key: string, fingerprint: string, hash: number, shard: number, execute: () => Promise<Answer>): Promise<Answer> {
    const { idempotency } = this.derived;
    const now = Date.now();
    const live = shard === mainKeys ? idempotency.lookup(scope, key, now, hash) : await idempotency.lookupWhenIdle(scope, key, now, hash, shard);
    return live === 0 ? execute() : this.#replayOf(live, key, fingerprint);
  }

  /** The answer to a call whose key is live as `seq`: the recorded result, or a conflict. */
  #replayOf(seq: number, key: string, fingerprint: string): Answer {
    const record = this.findRecord(seq);
    assert(record !== undefined, 'a live idempotency key names a durable record');
    if (fingerprintOf(record, this.idOf) !== fingerprint) return conflict(key);
    return resultOf(record, this.idOf, true);
  }

  /**
   * A keyed worker operation of the hot path (mint, burn, transfer, pay), counted in the metrics. A
   * key not in flight (the common case) becomes one KeyedOp, which is also the key's in-flight entry
   * and answers, counts and frees itself; the worker looks the key up. A key in flight goes through
   * keyed(). The fingerprint is built only if the key turns out to be in use.
   */
  keyedWork(spec: CallSpec, started: number): Promise<Answer> {
    // The key is scoped to the operation's primary account.
    const scope = spec.scope;
    const key = spec.key;
    assert(scope !== '', 'a keyed operation names its primary account');
    assert(key !== '', 'a keyed operation carries its key');
    const hash = keyHash(scope, key);
    if (this.#inFlightKeys.has(inFlightSlot(hash))) {
      // The call waits for its key past this turn, and the engine's spec is refilled by the next call.
      const held = spec.copy();
      const answer = this.keyed(
        scope,
        key,
        fingerprintOfSpec(held, this.idOf),
        async () => {
          const outcome = await this.work(held);
          return 'refused' in outcome ? refusalOfSpec(outcome, held, this.idOf) : resultOf(outcome, this.idOf, false);
        },
        this.#router.shardOf(held.slot),
      );
      return this.observe(held.kind, started, answer);
    }
    // The worker probes the shard's key table before executing (see #settleKey).
    const op = new KeyedOp(spec, opKindCode(spec.kind), this.#chainOf(spec), this, scope, hash, started);
    this.#inFlightKeys.set(inFlightSlot(hash), op);
    this.#submit(op);
    return op.answer;
  }

  /**
   * A worker found the key of a probing operation in its shard's table (`candidate`, a seq), or
   * could not settle it (0: on disk, perhaps, or a hash two keys share). A candidate whose record
   * carries the key is a replay; anything else is looked up here, with the shard's table lent by
   * the router between batches, and the operation goes back to execute without probing again
   * (it stays in flight, so no call with its key can execute meanwhile).
   */
  #settleKey(op: PendingOp, candidate: number): void {
    assert(op instanceof KeyedOp, 'only a probing operation is settled by its key');
    // A key is taken when its operation applies and stays in flight here until it is durable, so
    // a later call with it meets a durable record; anything else would execute it twice.
    if (candidate > this.derived.ledger.watermark) {
      const error = new Error(`shardmint internal assertion failed: a key in a shard's table names seq ${candidate}, not yet durable`);
      op.reject(error);
      return this.fail(error);
    }
    if (candidate > 0 && this.#recordHasKey(candidate, op.scope, op.key)) {
      return op.settledByKey(this.#replayOf(candidate, op.key, fingerprintOfSpec(op.spec, this.idOf)));
    }
    const shard = this.#router.shardOf(op.slot);
    this.derived.idempotency.lookupWhenIdle(op.scope, op.key, Date.now(), op.keyHash, shard).then(
      (live) => {
        if (live !== 0) return op.settledByKey(this.#replayOf(live, op.key, fingerprintOfSpec(op.spec, this.idOf)));
        op.keyMode = keyMode.insert;
        this.#submit(op);
      },
      (error: unknown) => op.reject(error),
    );
  }

  /** KeyedHost: a keyed operation ended. */
  release(op: KeyedOp): void {
    this.#inFlightKeys.deleteIf(inFlightSlot(op.keyHash), op);
  }

  /** Counts the outcome and the latency of an answer, without another async layer. */
  observe(kind: OpKind, started: number, answer: Promise<Answer>): Promise<Answer> {
    const metrics = this.metrics;
    return answer.then(
      (result) => {
        metrics.count(kind, result.ok === true ? ('replayed' in result && result.replayed === true ? 'replayed' : 'ok') : String(result.code));
        metrics.recordLatency(started);
        return result;
      },
      (error: unknown) => {
        metrics.count(kind, error instanceof ShardmintError ? error.code : 'error');
        metrics.recordLatency(started);
        throw error;
      },
    );
  }

  #fingerprintOf(inFlight: InFlightKey): string {
    if (inFlight.fingerprint !== undefined) return inFlight.fingerprint;
    assert(inFlight.spec !== undefined, 'a key in flight has a fingerprint or the parameters to build it');
    return fingerprintOfSpec(inFlight.spec, this.idOf);
  }

  /** Whether durable record `seq` carries `key` in `scope` (key hashes are confirmed by this). */
  #recordHasKey(seq: number, scope: string, key: string): boolean {
    const record = this.findRecord(seq);
    return record !== undefined && record.key === key && keyScopeOf(record, this.idOf) === scope;
  }

  // ---- execution --------------------------------------------------------------------------------

  /** Sends one operation to its shard's worker; resolves with its durable record, or its refusal. */
  work(spec: WorkSpec): Promise<WorkOutcome> {
    const op = new OutcomeOp(spec, opKindCode(spec.kind), this.#chainOf(spec), this);
    if (spec.key !== undefined && spec.key !== '') this.#keyWork(op, spec.key, spec.scope ?? this.idOf(spec.slot));
    const outcome = op.outcome();
    this.#submit(op);
    return outcome;
  }

  /**
   * A keyed operation whose key the main thread has settled (keyed() looked it up): the worker
   * takes the key when it applies it. A reconciliation carries its mint's key, which it frees.
   */
  #keyWork(op: PendingOp, key: string, scope: string): void {
    op.keyHash = keyHash(scope, key);
    if (op.kind === 'reconcile') {
      op.keyMode = keyMode.free;
      op.keyRef = op.ref;
    } else op.keyMode = keyMode.insert;
  }

  /** Queues an operation; a full shard queue (ERR_CAPACITY) ends it at once. */
  #submit(op: PendingOp): void {
    try {
      this.#router.submit(op);
    } catch (error) {
      op.reject(error);
    }
  }

  #chainOf(spec: WorkSpec): number {
    return spec.chain === undefined ? -1 : (this.#chainIndex.get(spec.chain) ?? -1);
  }

  /** Settler: a worker executed `op` in `row` of `batch`. */
  settle(op: PendingOp, batch: Batch, row: number): void {
    const code = batch.code[row] ?? -1;
    if (code === wireLockTimeout) return op.reject(new LockTimeoutError(this.options.lockTimeoutMs));
    if (code === wireReplay) return this.#settleKey(op, batch.seq[row] ?? 0);
    if (code === wireCheckKey) return this.#settleKey(op, 0);
    if (code === wireKeysFull) return op.reject(new CapacityError('idempotency keys fill the memory until the next key write; retry later'));
    if (code !== wireOk) return op.declined({ refused: refusalOfWire(code), retryAfterMs: batch.retryAfterMs[row] ?? 0 });
    op.applied(batch.seq[row] ?? 0, batch.at[row] ?? 0, batch.aux[row] ?? -1);
    this.#pipeline.submit(op);
  }

  /** Account creation runs on the main thread: a fresh slot is touched by no worker yet. */
  async createAccount(id: string): Promise<Answer> {
    if (this.derived.registry.slotOf(id) !== undefined) {
      return refuse('ACCOUNT_EXISTS', `account ${JSON.stringify(id)} already exists`);
    }
    const slot = this.derived.registry.add(id);
    const seq = this.#counters.nextSequence();
    const record = await this.#durable(makeRecord({ seq, kind: 'create', slot, id, at: Date.now() }));
    return { ok: true, account: id, createdAt: record.at };
  }

  /** Deposits run on the main thread, the only writer of reserves; seq first (see counters.ts). */
  deposit(amount: bigint, key: string, fingerprint: string): Promise<Answer> {
    return this.keyed(reservesScope, key, fingerprint, async () => {
      if (this.#counters.read(globalSlot.reserves) > amountMax - amount) {
        return refuse('RESERVES_EXCEEDED', 'reserves would pass the int64 limit of 2^63-1 minor units');
      }
      const seq = this.#counters.nextSequence();
      this.#counters.raiseReserves(amount);
      const record = await this.#durable(makeRecord({ seq, kind: 'deposit', amount, key, at: Date.now() }));
      return resultOf(record, this.idOf, false);
    });
  }

  #durable(record: LogRecord): Promise<LogRecord> {
    return new Promise((resolve, reject) => this.#pipeline.submit({ record, resolve: () => resolve(record), reject }));
  }

  /** A durable record by sequence number, or undefined when there is none (yet). */
  findRecord(seq: number): LogRecord | undefined {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.derived.ledger.watermark) return undefined;
    // A replay reads its record to confirm the key, then for the fingerprint, then for the answer.
    if (this.#lastFound?.seq === seq) return this.#lastFound;
    const record = this.#store.findRecord(seq);
    this.#lastFound = record;
    return record;
  }

  stateCodeOf(state: AccountState): number {
    return accountStateCode(state);
  }

  // ---- checkpoints, failure, close --------------------------------------------------------------

  #afterGroup(records: number): void {
    this.#counters.store(globalSlot.durableSequence, BigInt(this.derived.ledger.watermark));
    this.#recordsSinceCheckpoint += records;
    if (this.#recordsSinceCheckpoint >= this.options.checkpointEveryRecords) void this.#checkpoint();
    else if (this.derived.idempotency.needsWrite) void this.#writeKeys();
  }

  /**
   * Writes the changed idempotency keys alone and then evicts from memory: between checkpoints, so
   * that the accounts (all of whose chunks a busy run touches) are not written each time as well.
   */
  #writeKeys(): void {
    void this.#writeState(() => {
      const now = Date.now();
      const { idempotency } = this.derived;
      return idempotency
        .takeChanges(this.#pacer.pause)
        .then((changes) => this.#store.writeIdempotency(changes, now, this.#pacer.pause))
        .then(() => {
          this.metrics.keyWrites++;
          return idempotency.afterWritten(now, this.#pacer.pause);
        });
    });
  }

  /** Writes what changed since the last checkpoint, at the current durable watermark. */
  #checkpoint(): Promise<void> {
    return this.#writeState(async () => {
      this.#recordsSinceCheckpoint = 0;
      const now = Date.now();
      const { ledger, idempotency, refunded, reconciled } = this.derived;
      const header = ledger.header(now);
      const dirty = ledger.takeDirtyAccounts();
      const refunds = refunded.takeDirty();
      const reconciliations = reconciled.takeDirty();
      // Taken after the header: every key of a record the header counts was taken already (its
      // worker took it when it applied the record), so it is in this write or an earlier one.
      const keys = await idempotency.takeChanges(this.#pacer.pause);
      const accounts = await dirty.rows(this.idOf, this.#pacer.pause);
      const delta = { header, accounts, idempotency: keys, refunded: refunds, reconciled: reconciliations };
      return this.#store.writeCheckpoint(delta, this.#pacer.pause).then(async () => {
        this.metrics.checkpoints++;
        refunded.evict(() => false, memoryIndexEntriesMax);
        reconciled.evict(() => false, memoryIndexEntriesMax);
        await idempotency.afterWritten(now, this.#pacer.pause);
      });
    });
  }

  /**
   * Starts `write` (a key write or a checkpoint) unless one is under way: they take the same
   * changes, so one runs at a time; a failure fails the engine; its steps are paced. Returns the
   * write under way.
   */
  #writeState(write: () => Promise<void>): Promise<void> {
    if (this.#checkpointing !== undefined || this.#phase === 'failed') return this.#checkpointing ?? Promise.resolve();
    this.#pacer.begin();
    const startedMs = performance.now();
    this.#checkpointing = write()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.metrics.recordStateWrite(startedMs, performance.now());
        this.#checkpointing = undefined;
      });
    return this.#checkpointing;
  }

  /** Fail-stop: refuse all work until reopened; reopening recovers from the log. */
  fail(error: unknown): void {
    if (this.#phase === 'failed' || this.#phase === 'closed') return;
    this.#phase = 'failed';
    this.#failure = error instanceof EngineFailedError ? error : new EngineFailedError(error);
    this.#router.failAll(this.#failure);
    this.#pipeline.failAll(this.#failure);
  }

  get failed(): boolean {
    return this.#phase === 'failed';
  }

  async close(): Promise<void> {
    if (this.#phase === 'closed' || this.#phase === 'closing') return;
    const wasFailed = this.#phase === 'failed';
    this.#phase = wasFailed ? 'failed' : 'closing';
    clearInterval(this.#timer);
    clearInterval(this.#detectorTimer);
    try {
      if (!wasFailed) await this.#drain();
      this.#pacer.hurry();
      // A write under way may have begun before the last records: the final checkpoint follows it.
      await this.#checkpointing;
      if (this.#phase !== 'failed') await this.#checkpoint();
      await this.#checkpointing;
    } finally {
      await this.#supervisor.untilWorkersLoaded();
      this.#router.stop(this.#failure ?? new EngineClosedError());
      await this.#pool.destroy();
      await this.#store.close();
      this.#lock.release();
      this.#phase = 'closed';
    }
  }

  async #drain(): Promise<void> {
    const deadline = Date.now() + closeDrainMs;
    while (this.#router.queuedOperations > 0 || this.#router.batchesInFlight > 0) {
      if (Date.now() > deadline) throw new ShardmintError('ERR_ENGINE_FAILED', 'close: operations did not drain in time');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await this.#pipeline.drained();
  }

  lockMetrics(): LockMetrics {
    return this.#table.lockMetrics();
  }

  get deadlockCycles(): number {
    return this.#detector.cycles;
  }

  /** Account locks held right now (a scan of every created account's lock word). */
  heldLocks(): number {
    let held = 0;
    for (let slot = 0; slot < this.derived.registry.count; slot++) {
      if (Atomics.load(this.#views.i32, this.#layout.lockIndex32(slot)) !== 0) held++;
    }
    return held;
  }

  threadRowsInUse(): number {
    return this.#supervisor.threadRowsInUse();
  }

  get recoveries(): RecoverySnapshot {
    return this.#supervisor.recoveries;
  }

  get liveWorkers(): number {
    return this.#pool.threads.length;
  }

  /** Stress and tests: terminates one worker thread (see WorkerSupervisor.killWorker). */
  killWorker(): Promise<number | undefined> {
    return this.#supervisor.killWorker();
  }

  /** Sequence numbers taken but not yet durable. */
  get watermarkLag(): number {
    return Number(this.#counters.read(globalSlot.sequence)) - this.derived.ledger.watermark;
  }

  get commitStats(): MetricsSnapshot['commit'] {
    return { ...this.#pipeline.stats, durationMs: this.metrics.commitDurations() };
  }

  get sharedMemoryBytes(): number {
    return this.#layout.totalBytes;
  }

  snapshotGauges(): { queued: number; batches: number; pending: number; keys: number } {
    return {
      queued: this.#router.queuedOperations,
      batches: this.#router.batchesInFlight,
      pending: this.#pipeline.pendingRecords,
      keys: this.derived.idempotency.memoryEntries,
    };
  }
}

/**
 * Worker flags. Piscina loads the worker file with require() first; where Node supports require(esm),
 * that path aborts the process if the thread is terminated mid-load, so it is turned off and Piscina
 * falls back to import(). The parent's own flags are not passed on: explicit worker flags are
 * validated, and V8 flags such as --max-old-space-size are refused there (they apply process-wide).
 */
function workerExecArgv(): string[] {
  const supported = process.allowedNodeEnvironmentFlags.has('--experimental-require-module');
  return supported ? ['--no-experimental-require-module'] : [];
}

/** A small-integer (Smi) stand-in for a key hash in the in-flight map (exported for tests that need two keys sharing one). */
export function inFlightSlot(hash: number): number {
  return keyHashLow(hash) & 0x3fff_ffff;
}

function conflict(key: string): Refusal {
  return refuse('IDEMPOTENCY_CONFLICT', `idempotency key ${JSON.stringify(key)} was used with different parameters`);
}
