// A first metrics snapshot: operations by type and outcome, replays, and the quantiles of call
// latency and of group-commit time from perf_hooks histograms (microseconds, no allocation per record).
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { assert } from '../domain/errors.js';
import { opKinds } from '../domain/op-kind.js';
import { TimeSpans } from './time-spans.js';

export interface LatencySnapshot {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface LockSnapshot {
  readonly acquisitions: number;
  /** Acquisitions that had to wait (spin exhausted, then Atomics.wait). */
  readonly contended: number;
  readonly timeouts: number;
  readonly waitTotalMs: number;
  readonly waitMaxMs: number;
  /** Contended waits by duration: upper bounds in ms, the last bucket open ("inf"). */
  readonly waitHistogram: Readonly<Record<string, number>>;
}

export interface RecoverySnapshot {
  /** Worker threads that died or threw with a batch in flight (or between batches). */
  readonly workerDeaths: number;
  /** Operations past their commit point that were completed from their before-images. */
  readonly rolledForward: number;
  /** Operations that had not run, or were rolled back, and executed again. */
  readonly reexecuted: number;
  readonly locksReleased: number;
  /** Sequence numbers taken by a dying thread and filled with void records. */
  readonly voidedSequences: number;
}

export interface MetricsSnapshot {
  /** operations[kind][outcome]: outcome is 'ok', 'replayed', a refusal code or an error code. */
  readonly operations: Record<string, Record<string, number>>;
  readonly latencyMs: LatencySnapshot;
  readonly durableSequence: number;
  readonly queuedOperations: number;
  readonly batchesInFlight: number;
  readonly recordsAwaitingCommit: number;
  readonly idempotencyKeysInMemory: number;
  /**
   * Keys on disk that the filter of keys on disk holds: those that may still be live (a stage of
   * the filter leaves once all its keys expired). It holds ~67M by default (idempotencyFilterKeys); past that, new keys
   * are more and more often checked on disk (README, "Idempotency keys past the filter").
   */
  readonly idempotencyKeysInFilter: number;
  readonly checkpoints: number;
  /**
   * Key writes between checkpoints: the changed idempotency keys written to disk alone (every time
   * about half the key memory has changed), then evicted from memory. Checkpoints write keys too.
   */
  readonly keyWrites: number;
  /**
   * Durable log groups and records since open (records / groups is the group-commit size), and the
   * time from a group's hand-off to the store until the engine's thread learns it is durable: the
   * write, the sync, and the wait for that thread to take the news. Every call in flight waits for
   * the group ahead of it, so this tail shows in the operations' tail (README, Benchmarks).
   */
  readonly commit: { readonly groups: number; readonly records: number; readonly durationMs: LatencySnapshot };
  /** Size of the shared memory of the accounts (fixed at open by maxAccounts and the rate window). */
  readonly sharedMemoryBytes: number;
  /**
   * Shared memory reserved for the idempotency keys (fixed at open by idempotencyMemoryKeys): the
   * shards' key tables and the filter of keys on disk, whose pages are mapped only as they are used.
   */
  readonly keySharedMemoryBytes: number;
  readonly locks: LockSnapshot;
  readonly recoveries: RecoverySnapshot;
  /** Wait-for cycles found by the deadlock detector (options.detectDeadlocks). */
  readonly deadlockCycles: number;
}

/** A log commit this slow or slower is kept by a watch of the spans: over twice a commit's median
 * at full load here, and what most answers in the latency tail overlapped (README, Benchmarks). */
export const slowCommitMs = 3;

/**
 * What a watch of a run (a benchmark's measured run) kept: its commits' times apart from those
 * since open (which include a benchmark's set-up, of large groups), and the spans of its slow log
 * commits and of its state writes (key writes and checkpoints).
 */
export interface RunWatch {
  readonly commits: LatencySnapshot;
  readonly slowCommits: TimeSpans;
  readonly stateWrites: TimeSpans;
}

/** A watch of a run while it runs. */
interface Watching {
  readonly commits: Durations;
  readonly slowCommits: TimeSpans;
  readonly stateWrites: TimeSpans;
}

/** Latency bucket bounds for the Prometheus histogram, in seconds. */
export const latencyBoundsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** Durations into a perf_hooks histogram (quantiles) and the fixed buckets of the Prometheus histogram. */
class Durations {
  readonly #histogram: RecordableHistogram = createHistogram();
  readonly #buckets = new Array<number>(latencyBoundsSeconds.length + 1).fill(0);
  #sumSeconds = 0;

  record(seconds: number): void {
    this.#histogram.record(Math.max(1, Math.round(seconds * 1e6)));
    let bucket = 0;
    while (bucket < latencyBoundsSeconds.length && seconds > (latencyBoundsSeconds[bucket] ?? 0)) bucket++;
    this.#buckets[bucket] = (this.#buckets[bucket] ?? 0) + 1;
    this.#sumSeconds += seconds;
  }

  buckets(): { boundsSeconds: readonly number[]; counts: readonly number[]; sumSeconds: number } {
    return { boundsSeconds: latencyBoundsSeconds, counts: [...this.#buckets], sumSeconds: this.#sumSeconds };
  }

  snapshot(): LatencySnapshot {
    const h = this.#histogram;
    const ms = (us: number): number => (h.count === 0 ? 0 : us / 1000);
    return { count: h.count, p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max) };
  }
}

export class EngineMetrics {
  readonly #counts = new Map<string, Map<string, number>>();
  /**
   * Answers 'ok' and 'replayed' by kind code (two per kind): the hot path's counts, one array
   * element each. Two Map lookups and a set with string keys per call were ~1% of the main thread.
   */
  readonly #done = new Float64Array(2 * opKinds.length);
  readonly #latency = new Durations();
  readonly #commits = new Durations();
  /** What a watch of a run keeps since watchRun() was called, while it watches. */
  #watch: Watching | undefined = undefined;
  /** The time a slice of answers began (answering()), or NaN outside one. */
  #answerClock = Number.NaN;
  checkpoints = 0;
  keyWrites = 0;

  /** An operation of kind `code` (op-kind.ts) was answered ok, or replayed. */
  countDone(code: number, replayed: boolean): void {
    const at = 2 * code + (replayed ? 1 : 0);
    assert(at >= 0, 'an answer counts under a kind that exists');
    assert(at < this.#done.length, 'an answer counts under a kind that exists');
    this.#done[at] = (this.#done[at] ?? 0) + 1;
  }

  count(kind: string, outcome: string): void {
    let byOutcome = this.#counts.get(kind);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.#counts.set(kind, byOutcome);
    }
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }

  /**
   * The answers from now until answering(undefined) run in one synchronous slice (the commit
   * pipeline's, up to a couple hundred resolutions in well under a millisecond): their latencies
   * end at its start, one clock read for all instead of one each (~50 ns of the main thread a call).
   */
  answering(now: number | undefined): void {
    this.#answerClock = now ?? Number.NaN;
  }

  recordLatency(startedMs: number): void {
    const now = Number.isNaN(this.#answerClock) ? performance.now() : this.#answerClock;
    this.#latency.record(Math.max(0, now - startedMs) / 1000);
  }

  /** A log group went from the pipeline to durable in `ms`, ending now. */
  recordCommit(ms: number): void {
    this.#commits.record(ms / 1000);
    const watch = this.#watch;
    if (watch === undefined) return;
    watch.commits.record(ms / 1000);
    if (ms >= slowCommitMs) watch.slowCommits.add(performance.now(), ms);
  }

  /** A key write or a checkpoint ran from `startMs` to `endMs` (performance.now() readings). */
  recordStateWrite(startMs: number, endMs: number): void {
    this.#watch?.stateWrites.add(endMs, endMs - startMs);
  }

  /**
   * Starts watching a run: the commits (their times, and the spans of those of `slowCommitMs` or
   * more) and the state writes that end from now on. The function returned stops and gives them.
   */
  watchRun(): () => RunWatch {
    assert(this.#watch === undefined, 'one watch of a run at a time');
    const watch: Watching = { commits: new Durations(), slowCommits: new TimeSpans(), stateWrites: new TimeSpans() };
    this.#watch = watch;
    return () => {
      assert(this.#watch === watch, 'a watch of a run stops once');
      this.#watch = undefined;
      return { commits: watch.commits.snapshot(), slowCommits: watch.slowCommits, stateWrites: watch.stateWrites };
    };
  }

  latencyBuckets(): { boundsSeconds: readonly number[]; counts: readonly number[]; sumSeconds: number } {
    return this.#latency.buckets();
  }

  commitBuckets(): { boundsSeconds: readonly number[]; counts: readonly number[]; sumSeconds: number } {
    return this.#commits.buckets();
  }

  operations(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [kind, byOutcome] of this.#counts) out[kind] = Object.fromEntries(byOutcome);
    opKinds.forEach((kind, code) => {
      for (const [outcome, count] of [['ok', this.#done[2 * code] ?? 0], ['replayed', this.#done[2 * code + 1] ?? 0]] as const) {
        if (count === 0) continue;
        const byOutcome = (out[kind] ??= {});
        byOutcome[outcome] = (byOutcome[outcome] ?? 0) + count;
      }
    });
    return out;
  }

  latency(): LatencySnapshot {
    return this.#latency.snapshot();
  }

  commitDurations(): LatencySnapshot {
    return this.#commits.snapshot();
  }
}
