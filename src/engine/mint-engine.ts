// The public engine (pinned API of DESIGN.md). Every method validates its arguments first, so bad
// input rejects with ERR_INVALID_ARGUMENT and changes nothing; the private core does the rest.
import { accountStateFromCode, isAccountState, accountStates, type AccountState } from '../domain/account-state.js';
import { AccountNotFoundError, InvalidArgumentError, ShardmintError } from '../domain/errors.js';
import { depositFingerprint, refundFingerprint } from '../domain/fingerprint.js';
import { operationId, sequenceOfId } from '../domain/ids.js';
import { systemAccountPrefix } from '../domain/limits.js';
import type { OpKind } from '../domain/op-kind.js';
import {
  refuse,
  type BurnResult,
  type DepositResult,
  type MintResult,
  type Outcome,
  type PayResult,
  type ReconcileResult,
  type RefundResult,
  type Refusal,
  type StateChangeResult,
  type TransferResult,
} from '../domain/outcomes.js';
import {
  requireAccountId,
  requireAmount,
  requireChain,
  requireIdempotencyKey,
  requireOperationId,
  requireRecord,
} from '../domain/validate.js';
import { EngineCore, lmdbStoreFactory, type Answer, type StoreFactory, type WorkOutcome, type WorkSpec } from './engine-core.js';
import type { EngineMetrics, LatencySnapshot, LockSnapshot, MetricsSnapshot, RunWatch } from './metrics.js';
import { PrometheusExporter } from './prometheus.js';
import { prometheusContentType } from 'prom-client';
import { waitBucketsUs, type LockMetrics } from '../shm/thread-table.js';
import { resolveOptions, type MintEngineOptions } from './options.js';
import { reconcileResultOf, resultOf, stateChangeResultOf } from './record-views.js';
import { refusalOf, refusalOfSpec } from './refusals.js';
import { CallSpec } from './work-specs.js';

function lockWaitCounts(m: LockMetrics): { boundsSeconds: number[]; counts: number[]; sumSeconds: number } {
  return { boundsSeconds: waitBucketsUs.map((us) => us / 1e6), counts: m.waitBuckets, sumSeconds: m.waitTotalUs / 1e6 };
}

function lockSnapshot(m: LockMetrics): LockSnapshot {
  const waitHistogram: Record<string, number> = {};
  waitBucketsUs.forEach((us, i) => (waitHistogram[String(us / 1000)] = m.waitBuckets[i] ?? 0));
  waitHistogram['inf'] = m.waitBuckets[waitBucketsUs.length] ?? 0;
  return {
    acquisitions: m.acquisitions,
    contended: m.contended,
    timeouts: m.timeouts,
    waitTotalMs: m.waitTotalUs / 1000,
    waitMaxMs: m.waitMaxUs / 1000,
    waitHistogram,
  };
}

/** The engine-owned account that receives payments and pays refunds (money stays in the ledger). */
export const paymentsClearingAccount = '$payments';

export interface MintArgs {
  readonly account: string;
  readonly amount: bigint;
  readonly chain: string;
  readonly idempotencyKey: string;
}
export type BurnArgs = MintArgs;
export interface TransferArgs {
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly idempotencyKey: string;
}
export interface PayArgs {
  readonly account: string;
  readonly amount: bigint;
  readonly idempotencyKey: string;
}
export interface RefundArgs extends PayArgs {
  readonly originalTransactionId: string;
}
export interface DepositArgs {
  readonly amount: bigint;
  readonly idempotencyKey: string;
}
export interface CreateAccountResult {
  readonly ok: true;
  readonly account: string;
  readonly createdAt: number;
}
export interface AccountView {
  readonly id: string;
  readonly balance: bigint;
  readonly state: AccountState;
}
export interface MintRecordView {
  readonly mintId: string;
  readonly account: string;
  readonly amount: bigint;
  readonly chain: string;
  readonly createdAt: number;
  readonly idempotencyKey: string;
  readonly reconciled: boolean;
  readonly reconciliationId?: string;
}
export interface SupplyView {
  readonly total: bigint;
  readonly reserves: bigint;
  readonly byChain: Record<string, bigint>;
  /** Balance of the payments clearing account: paid minus refunded. Part of `total`. */
  readonly paymentsClearing: bigint;
}

/** The engine's metrics object, for this package's own tools (not exported from the package). */
let metricsOf: (engine: MintEngine) => EngineMetrics;

/**
 * Watches the engine's run from now on: its log-group commits' times, and when its slow commits and
 * its state writes ran; the function returned stops and gives them. The benchmark uses it so that
 * its commit figures cover its measured run alone, and sets the spans against its slowest answers.
 */
export function watchRun(engine: MintEngine): () => RunWatch {
  return metricsOf(engine).watchRun();
}

export class MintEngine {
  static {
    metricsOf = (engine) => engine.#core.metrics;
  }

  readonly #core: EngineCore;
  /** The parameters of the hot-path call being made, refilled by every call (work-specs.ts). */
  readonly #call = new CallSpec();
  /** Payment seq -> refund amount in flight, so concurrent refunds cannot overshoot a payment. */
  readonly #refundsInFlight = new Map<number, bigint>();
  /** Mint seq -> the reconciliation running for it. */
  readonly #reconciling = new Map<number, Promise<Answer>>();
  #prometheus: PrometheusExporter | undefined;

  private constructor(core: EngineCore) {
    this.#core = core;
  }

  /** Opens (and if needed recovers) the engine on a data directory. */
  static async open(options: MintEngineOptions): Promise<MintEngine> {
    const resolved = resolveOptions(options);
    if (resolved.store !== 'lmdb') {
      throw new InvalidArgumentError("options.store 'native-free' is not available yet; use 'lmdb'");
    }
    return new MintEngine(await EngineCore.open(resolved, lmdbStoreFactory));
  }

  /** @internal Tests only (not exported by the package): opens over a given store. */
  static async openWithStore(options: MintEngineOptions, createStore: StoreFactory): Promise<MintEngine> {
    return new MintEngine(await EngineCore.open(resolveOptions(options), createStore));
  }

  createAccount(id: string): Promise<CreateAccountResult | Refusal> {
    return this.#track('create', async () => {
      const account = requireAccountId(id, 'id');
      if (account.startsWith(systemAccountPrefix)) {
        throw new InvalidArgumentError(`id must not start with '${systemAccountPrefix}' (reserved for engine accounts)`);
      }
      return this.#core.createAccount(account);
    }) as Promise<CreateAccountResult | Refusal>;
  }

  depositReserves(args: DepositArgs): Promise<Outcome<DepositResult>> {
    return this.#track('deposit', async () => {
      const a = requireRecord(args, 'depositReserves arguments');
      const amount = requireAmount(a['amount'], 'amount');
      const key = requireIdempotencyKey(a['idempotencyKey']);
      return this.#core.deposit(amount, key, depositFingerprint(amount));
    }) as Promise<Outcome<DepositResult>>;
  }

  mint(args: MintArgs): Promise<Outcome<MintResult>> {
    return this.#keyed('mint', this.#supplySpec, args) as Promise<Outcome<MintResult>>;
  }

  burn(args: BurnArgs): Promise<Outcome<BurnResult>> {
    return this.#keyed('burn', this.#supplySpec, args) as Promise<Outcome<BurnResult>>;
  }

  transfer(args: TransferArgs): Promise<Outcome<TransferResult>> {
    return this.#keyed('transfer', this.#transferSpec, args) as Promise<Outcome<TransferResult>>;
  }

  pay(args: PayArgs): Promise<Outcome<PayResult>> {
    return this.#keyed('pay', this.#paySpec, args) as Promise<Outcome<PayResult>>;
  }

  // The hot path's argument checks, as functions made once (a closure per call is garbage to trace).
  // Each names its operation in the engine's one CallSpec, whose primary slot is the key's scope, or
  // refuses. The spec is filled last, once every argument has been read (work-specs.ts says why).

  readonly #supplySpec = (kind: OpKind, args: unknown): CallSpec | Refusal => {
    const a = requireRecord(args, kind === 'mint' ? 'mint arguments' : 'burn arguments');
    const account = requireAccountId(a['account'], 'account');
    const amount = requireAmount(a['amount'], 'amount');
    const chain = requireChain(a['chain'], this.#core.options.chains);
    const key = requireIdempotencyKey(a['idempotencyKey']);
    const slot = this.#slotOrRefusal(account);
    if (typeof slot !== 'number') return slot;
    return this.#call.supply(kind, slot, chain, amount, key, account);
  };

  readonly #transferSpec = (_kind: OpKind, args: unknown): CallSpec | Refusal => {
    const a = requireRecord(args, 'transfer arguments');
    const from = requireAccountId(a['from'], 'from');
    const to = requireAccountId(a['to'], 'to');
    const amount = requireAmount(a['amount'], 'amount');
    const key = requireIdempotencyKey(a['idempotencyKey']);
    if (from === to) throw new InvalidArgumentError('transfer: from and to must be different accounts');
    const slot = this.#slotOrRefusal(from);
    if (typeof slot !== 'number') return slot;
    const slot2 = this.#slotOrRefusal(to);
    if (typeof slot2 !== 'number') return slot2;
    return this.#call.transfer(slot, slot2, amount, key, from);
  };

  readonly #paySpec = (_kind: OpKind, args: unknown): CallSpec | Refusal => {
    const a = requireRecord(args, 'pay arguments');
    const account = requireAccountId(a['account'], 'account');
    const amount = requireAmount(a['amount'], 'amount');
    const key = requireIdempotencyKey(a['idempotencyKey']);
    const slot = this.#slotOrRefusal(account);
    if (typeof slot !== 'number') return slot;
    return this.#call.pay(slot, amount, key, account);
  };

  refund(args: RefundArgs): Promise<Outcome<RefundResult>> {
    return this.#track('refund', async () => {
      const a = requireRecord(args, 'refund arguments');
      const account = requireAccountId(a['account'], 'account');
      const amount = requireAmount(a['amount'], 'amount');
      const key = requireIdempotencyKey(a['idempotencyKey']);
      const original = requireOperationId(a['originalTransactionId'], 'originalTransactionId');
      const slot = this.#slotOrRefusal(account);
      if (typeof slot !== 'number') return slot;
      const fingerprint = refundFingerprint(account, amount, original);
      return this.#core.keyed(account, key, fingerprint, () => this.#refund(slot, account, amount, key, original), this.#core.derived.idempotency.shardOfSlot(slot));
    }) as Promise<Outcome<RefundResult>>;
  }

  async #refund(slot: number, account: string, amount: bigint, key: string, original: string): Promise<Answer> {
    const paySeq = sequenceOfId('pay', original) ?? -1;
    const payment = this.#core.findRecord(paySeq);
    if (payment === undefined || payment.kind !== 'pay' || payment.slot !== slot) {
      return refuse('NOT_FOUND', `payment ${original} of account ${account} does not exist`);
    }
    const remaining = payment.amount - (this.#core.derived.refunded.get(paySeq) ?? 0n) - this.#reservedRefunds(paySeq);
    if (amount > remaining) {
      return refuse('REFUND_EXCEEDS_PAYMENT', `refund of ${amount} exceeds the ${remaining} left to refund on ${original}`);
    }
    // Held until the refund is answered, so concurrent refunds of one payment cannot overshoot it.
    this.#refundsInFlight.set(paySeq, this.#reservedRefunds(paySeq) + amount);
    try {
      const spec: WorkSpec = { kind: 'refund', slot, amount, key, ref: paySeq };
      return this.#answer(await this.#core.work(spec), spec);
    } finally {
      const left = this.#reservedRefunds(paySeq) - amount;
      if (left === 0n) this.#refundsInFlight.delete(paySeq);
      else this.#refundsInFlight.set(paySeq, left);
    }
  }

  #reservedRefunds(paySeq: number): bigint {
    return this.#refundsInFlight.get(paySeq) ?? 0n;
  }

  /** Rolls a mint back once and frees its idempotency key, so the same key can mint again. */
  reconcileFailedMint(mintId: string): Promise<Outcome<ReconcileResult>> {
    return this.#track('reconcile', async () => {
      const id = requireOperationId(mintId, 'mintId');
      const mintSeq = sequenceOfId('mint', id) ?? -1;
      // One reconciliation per mint at a time: a second waits for the first, then sees its result.
      for (let waits = 0; waits < 1_000; waits++) {
        const running = this.#reconciling.get(mintSeq);
        if (running === undefined) break;
        await running.catch(() => undefined);
      }
      const running = this.#reconcile(mintSeq, id);
      this.#reconciling.set(mintSeq, running);
      try {
        return await running;
      } finally {
        if (this.#reconciling.get(mintSeq) === running) this.#reconciling.delete(mintSeq);
      }
    }) as Promise<Outcome<ReconcileResult>>;
  }

  async #reconcile(mintSeq: number, mintId: string): Promise<Answer> {
    const mint = this.#core.findRecord(mintSeq);
    if (mint === undefined || mint.kind !== 'mint') return refuse('NOT_FOUND', `mint ${mintId} does not exist`);
    const done = this.#core.derived.reconciled.get(mintSeq);
    if (done !== undefined) {
      return refuse('ALREADY_RECONCILED', `mint ${mintId} was reconciled by ${operationId('reconcile', done)}`);
    }
    const account = this.#core.idOf(mint.slot);
    const outcome = await this.#core.work({
      kind: 'reconcile',
      slot: mint.slot,
      chain: mint.chain,
      amount: mint.amount,
      key: mint.key,
      ref: mintSeq,
    });
    if ('refused' in outcome) return refusalOf(outcome, account);
    return reconcileResultOf(outcome, this.#core.idOf);
  }

  setAccountState(id: string, state: AccountState): Promise<Outcome<StateChangeResult>> {
    return this.#track('setState', async () => {
      const account = requireAccountId(id, 'id');
      if (!isAccountState(state)) throw new InvalidArgumentError(`state must be one of ${accountStates.join(', ')}`);
      const slot = this.#slotOrRefusal(account);
      if (typeof slot !== 'number') return slot;
      const outcome = await this.#core.work({ kind: 'setState', slot, arg: this.#core.stateCodeOf(state) });
      if ('refused' in outcome) {
        const current = accountStateFromCode(this.#core.derived.ledger.stateCode(slot));
        return refuse('INVALID_TRANSITION', `account ${account} cannot move from ${current} to ${state}`);
      }
      return stateChangeResultOf(outcome, this.#core.idOf);
    }) as Promise<Outcome<StateChangeResult>>;
  }

  /** The durable balance; rejects with ERR_ACCOUNT_NOT_FOUND for an unknown account. */
  async balance(id: string): Promise<bigint> {
    const view = await this.getAccount(id);
    if (view === undefined) throw new AccountNotFoundError(id);
    return view.balance;
  }

  async getAccount(id: string): Promise<AccountView | undefined> {
    this.#core.assertUsable();
    const account = requireAccountId(id, 'id');
    const { ledger, registry } = this.#core.derived;
    if (account === paymentsClearingAccount) return { id: account, balance: ledger.clearing, state: 'active' };
    const slot = registry.slotOf(account);
    if (slot === undefined || !ledger.exists(slot)) return undefined;
    return { id: account, balance: ledger.balance(slot), state: accountStateFromCode(ledger.stateCode(slot)) };
  }

  async getMint(mintId: string): Promise<MintRecordView | undefined> {
    this.#core.assertUsable();
    const id = requireOperationId(mintId, 'mintId');
    const seq = sequenceOfId('mint', id) ?? -1;
    const record = this.#core.findRecord(seq);
    if (record === undefined || record.kind !== 'mint') return undefined;
    const reconciledBy = this.#core.derived.reconciled.get(seq);
    const view = {
      mintId: id,
      account: this.#core.idOf(record.slot),
      amount: record.amount,
      chain: record.chain,
      createdAt: record.at,
      idempotencyKey: record.key,
      reconciled: reconciledBy !== undefined,
    };
    return reconciledBy === undefined ? view : { ...view, reconciliationId: operationId('reconcile', reconciledBy) };
  }

  async supply(): Promise<SupplyView> {
    this.#core.assertUsable();
    const { ledger } = this.#core.derived;
    return {
      total: ledger.supply,
      reserves: ledger.reserves,
      byChain: Object.fromEntries(ledger.chainSupplies()),
      paymentsClearing: ledger.clearing,
    };
  }

  metrics(): MetricsSnapshot {
    const gauges = this.#core.snapshotGauges();
    return {
      operations: this.#core.metrics.operations(),
      latencyMs: this.#core.metrics.latency(),
      durableSequence: this.#core.derived.ledger.watermark,
      queuedOperations: gauges.queued,
      batchesInFlight: gauges.batches,
      recordsAwaitingCommit: gauges.pending,
      idempotencyKeysInMemory: gauges.keys,
      idempotencyKeysInFilter: this.#core.derived.idempotency.keysInFilter,
      checkpoints: this.#core.metrics.checkpoints,
      keyWrites: this.#core.metrics.keyWrites,
      commit: this.#core.commitStats,
      sharedMemoryBytes: this.#core.sharedMemoryBytes,
      keySharedMemoryBytes: this.#core.derived.idempotency.sharedBytes,
      locks: lockSnapshot(this.#core.lockMetrics()),
      recoveries: this.#core.recoveries,
      deadlockCycles: this.#core.deadlockCycles,
    };
  }

  /**
   * The metrics in the Prometheus text exposition format (prom-client): operations by kind and
   * outcome, replays, rate-limit refusals, lock acquisitions / contention / timeouts, worker deaths,
   * checkpoints and key writes, durable sequence and watermark lag, queue depth, and histograms of
   * operation latency, group-commit time and lock waits. Serve it from your HTTP endpoint with
   * content type `prometheusContentType`.
   */
  prometheusMetrics(): Promise<string> {
    this.#prometheus ??= new PrometheusExporter({
      snapshot: () => this.metrics(),
      latency: () => this.#core.metrics.latencyBuckets(),
      commits: () => this.#core.metrics.commitBuckets(),
      lockWaits: () => lockWaitCounts(this.#core.lockMetrics()),
      watermarkLag: () => this.#core.watermarkLag,
    });
    return this.#prometheus.text();
  }

  /** The content type of `prometheusMetrics()` output. */
  get prometheusContentType(): string {
    return prometheusContentType;
  }

  /**
   * Fault injection for stress runs and tests: terminates one worker thread at whatever instruction
   * it is executing. The engine repairs its work; resolves with the killed thread's id.
   */
  killWorker(): Promise<number | undefined> {
    this.#core.assertUsable();
    return this.#core.killWorker();
  }

  /**
   * Diagnostics for tests and stress runs: account locks held right now (0 whenever the engine is
   * idle), thread-table rows claimed and live worker threads (rows never outnumber live workers).
   */
  diagnostics(): { readonly heldLocks: number; readonly threadRowsInUse: number; readonly liveWorkers: number } {
    return { heldLocks: this.#core.heldLocks(), threadRowsInUse: this.#core.threadRowsInUse(), liveWorkers: this.#core.liveWorkers };
  }

  /** Finishes queued work, writes a checkpoint and releases the directory. Safe to call twice. */
  close(): Promise<void> {
    return this.#core.close();
  }

  // ---- helpers ------------------------------------------------------------------------------------

  #slotOrRefusal(account: string): number | Refusal {
    const slot = this.#core.derived.registry.slotOf(account);
    return slot ?? refuse('ACCOUNT_NOT_FOUND', `account ${JSON.stringify(account)} does not exist`);
  }

  #answer(outcome: WorkOutcome, spec: WorkSpec): Answer {
    if ('refused' in outcome) return refusalOfSpec(outcome, spec, this.#core.idOf);
    return resultOf(outcome, this.#core.idOf, false);
  }

  /**
   * A keyed worker operation on the hot path (mint, burn, transfer, pay): `prepare` validates the
   * arguments and names the operation, or answers a refusal; EngineCore.keyedWork runs and counts
   * it. Bad arguments reject, as everywhere.
   */
  #keyed(kind: OpKind, prepare: (kind: OpKind, args: unknown) => CallSpec | Refusal, args: unknown): Promise<Answer> {
    const started = performance.now();
    try {
      this.#core.assertUsable();
      const spec = prepare(kind, args);
      if ('ok' in spec) return this.#core.observe(kind, started, Promise.resolve(spec));
      return this.#core.keyedWork(spec, started);
    } catch (error) {
      return this.#core.observe(kind, started, Promise.reject(error));
    }
  }

  async #track(kind: OpKind, run: () => Promise<Answer>): Promise<Answer> {
    const started = performance.now();
    try {
      this.#core.assertUsable();
      const answer = await run();
      const outcome = answer.ok === true ? ('replayed' in answer && answer.replayed === true ? 'replayed' : 'ok') : String(answer.code);
      this.#core.metrics.count(kind, outcome);
      return answer;
    } catch (error) {
      this.#core.metrics.count(kind, error instanceof ShardmintError ? error.code : 'error');
      throw error;
    } finally {
      this.#core.metrics.recordLatency(started);
    }
  }
}
