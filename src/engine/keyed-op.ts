// A keyed operation of the hot path (mint, burn, transfer, pay) whose key was neither in flight nor
// live. It is the router's work item, the pipeline's waiter and the in-flight entry of its key at
// once, and when it ends it answers the caller, counts itself and frees its key: one object and one
// promise per call instead of a chain of promises and closures, which the garbage collector had to
// trace for as long as the call was in flight.
import { ShardmintError } from '../domain/errors.js';
import type { Refusal } from '../domain/outcomes.js';
import { keyMode } from './batch.js';
import type { EngineMetrics } from './metrics.js';
import { PendingOp, type Refused, type Settler, type WorkSpec } from './pending-op.js';
import { resultOf, type IdOf } from './record-views.js';
import { refusalOfSpec } from './refusals.js';

export type Answer = Record<string, unknown> | Refusal;

/** The engine, which also settles the operation's rows (one field on the op for both). */
export interface KeyedHost extends Settler {
  readonly idOf: IdOf;
  readonly metrics: EngineMetrics;
  /** The operation ended: its key is no longer in flight. */
  release(op: KeyedOp): void;
}

export class KeyedOp extends PendingOp {
  readonly scope: string;
  /** Built from `spec` only if another call with the same key needs it (a getter: no field per op). */
  get fingerprint(): undefined {
    return undefined;
  }
  readonly answer: Promise<Answer>;
  /** Fixed at construction: the key stays in flight under it until release() finds it there. */
  declare readonly keyHash: number;
  declare protected readonly settler: KeyedHost;
  readonly #started: number;
  // Set by the promise executor below; a shared no-op until then (no closure per operation).
  #answer: (answer: Answer) => void = noop;
  #fail: (error: unknown) => void = noop;

  // Positional: an options object would be one more allocation per call. `hash` is the key's
  // (keyHash): the worker probes with it, and the engine finds the key in flight by it.
  constructor(spec: WorkSpec, kindCode: number, chainIndex: number, host: KeyedHost, scope: string, hash: number, started: number) {
    super(spec, kindCode, chainIndex, host);
    this.scope = scope;
    this.#started = started;
    this.keyHash = hash;
    this.keyMode = keyMode.probe;
    this.answer = new Promise<Answer>(takeResolvers);
    this.#answer = takenResolve;
    this.#fail = takenReject;
    takenResolve = noop;
    takenReject = noop;
  }

  declined(outcome: Refused): void {
    this.#answered(refusalOfSpec(outcome, this.spec, this.settler.idOf));
  }

  resolve(): void {
    // The key's scope is the primary account's id, as the call named it.
    this.#answered(resultOf(this.record, this.settler.idOf, false, this.scope));
  }

  /** Settled by its key without executing: a replay of the recorded result, or a conflict. */
  settledByKey(answer: Answer): void {
    this.#answered(answer);
  }

  fail(error: unknown): void {
    this.#failed(error);
  }

  reject(error: unknown): void {
    this.#failed(error);
  }

  #answered(answer: Answer): void {
    this.settler.release(this);
    const metrics = this.settler.metrics;
    if (answer.ok === true) metrics.countDone(this.code, 'replayed' in answer && answer['replayed'] === true);
    else metrics.count(this.kind, String(answer.code));
    metrics.recordLatency(this.#started);
    this.#answer(answer);
  }

  #failed(error: unknown): void {
    this.settler.release(this);
    this.settler.metrics.count(this.spec.kind, error instanceof ShardmintError ? error.code : 'error');
    this.settler.metrics.recordLatency(this.#started);
    this.#fail(error);
  }
}

function noop(): void {}

// A promise's executor runs synchronously inside its constructor, so one shared executor can hand
// the resolvers over: an arrow function per operation was a closure and its context for the garbage
// collector on every call (~40 bytes a call, measured with the sampling heap profiler).
let takenResolve: (answer: Answer) => void = noop;
let takenReject: (error: unknown) => void = noop;

function takeResolvers(resolve: (answer: Answer) => void, reject: (error: unknown) => void): void {
  takenResolve = resolve;
  takenReject = reject;
}
