// `shardmint bench`: the load benchmark. Drives the engine with a seeded mix at a fixed number of
// requests in flight (or, with --rate, at a fixed rate of requests: bench-paced.ts), measures
// throughput, latency (a real histogram), CPU per operation (all threads), peak RSS and shared
// memory per account, then verifies the result against the durable log and measures the raw store
// ceiling of the same durable work.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { SingleBar } from 'cli-progress';
import { MintEngine, watchRun } from '../engine/mint-engine.js';
import { slowCommitMs, type MetricsSnapshot, type RunWatch } from '../engine/metrics.js';
import type { MintEngineOptions } from '../engine/options.js';
import { TimeSpans } from '../engine/time-spans.js';
import type { Durability } from '../store/store.js';
import { verifyBench } from './bench-verify.js';
import { RequestSource, type BenchShape, type Drawn, type Mix } from './bench-workload.js';
import { runLanes, type LaneHost } from './bench-lanes.js';
import { runPaced, type PacedResult } from './bench-paced.js';
import { watchAllocation, type Allocation } from './gc-allocation.js';
import { longPauseMs, watchGcPauses, type GcPauses } from './gc-pauses.js';
import { countCode, type OutcomeTally } from './requests.js';
import { nodeFlags } from './node-flags.js';
import { measureStoreCeiling, type CommitTimes } from './store-ceiling.js';
import { closingOnFailure } from './closing-on-failure.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { attributeTail, SlowAnswers, slowAnswersMax, type TailAttribution } from './tail-attribution.js';
import { AnswerWindows, windowRates, type WindowRates } from './answer-windows.js';
import { processSchedTimes, threadSchedTimes, type SchedTimes } from './thread-cpu.js';

export interface BenchOptions {
  readonly seconds?: number;
  readonly operations?: number;
  readonly workers: number;
  readonly accounts: number;
  readonly mix: Mix;
  readonly duplicates: number;
  readonly crossShard: number;
  readonly skew: number;
  readonly concurrency: number;
  /** Open loop: requests a second, each timed from when it was due; undefined for the closed loop. */
  readonly rate?: number;
  /** Seconds of the same load before the measured run (cold code, first collections), not measured. */
  readonly warmup?: number;
  readonly durability: Durability;
  readonly store: 'lmdb' | 'native-free';
  readonly path?: string;
  readonly json?: string;
  readonly seed: number;
  readonly progress: boolean;
}

export interface BenchReport {
  readonly operationsPerSecond: number;
  readonly mintsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly cpuMicrosPerOperation: number;
  readonly peakRssBytes: number;
  readonly sharedBytesPerAccount: number;
  readonly storeCeilingOperationsPerSecond: number;
  readonly efficiency: number;
  readonly verified: boolean;
  /** The open loop's rate (--rate), or null for the closed loop of --concurrency lanes. */
  readonly offeredOperationsPerSecond: number | null;
  /** The open loop: the latest any request was sent after it was due (an engine that kept up: a
   * millisecond or two of timers and turns); null for the closed loop. */
  readonly sendLateMaxMs: number | null;
  /** The open loop: requests given up unsent, the run having fallen behind by more than its own
   * length (0 when it kept up); null for the closed loop. */
  readonly unsentRequests: number | null;
  /** Seconds of load run before the measured run and left out of every figure (--warmup). */
  readonly warmupSeconds: number;
  /** CPU of the engine's main thread (where callers, routing and commits run) per operation; null off Linux. */
  readonly mainThreadCpuMicrosPerOperation: number | null;
  /** All threads' CPU per accepted mint (replays and other kinds not counted); null when the run minted nothing. */
  readonly cpuMicrosPerMint: number | null;
  /**
   * Time from a log group's hand-off to the store until the engine's thread learns it is durable,
   * for the groups of the measured run (not the set-up's large ones, nor the warm-up's): every call
   * in flight waits for the group ahead of it.
   */
  readonly commitMs: CommitTimes;
  /** The same for the groups of the store ceiling run: the store's own commit time, no engine beside it. */
  readonly storeCeilingCommitMs: CommitTimes;
  /**
   * CPU contention: the share of the run the main thread was ready to run but waited for a core,
   * and how many of the process's threads waited for one on average. Null off Linux.
   */
  readonly mainThreadWaitShare: number | null;
  readonly threadsWaitingForCore: number | null;
  /** Node's flags for the run (command line, then NODE_OPTIONS): V8's helper pool size moves the figures. */
  readonly nodeFlags: readonly string[];
  /** The main thread's garbage-collection pauses during the run, and their total as a share of it. */
  readonly mainThreadGcPauses: GcPauses & { readonly shareOfRun: number };
  /** Bytes the main thread allocated per operation: its callers', the driver's and the engine's (gc-allocation.ts). */
  readonly mainThreadBytesPerOperation: number;
  /**
   * Where the slowest answers were (tail-attribution.ts): of those at or above the p99 that the run
   * kept, the share that overlapped a state write, a main-thread collection pause of 2 ms or more, a
   * log commit of 3 ms or more, and none of these.
   */
  readonly tail: TailAttribution;
  /**
   * The run's throughput by 100 ms window (answer-windows.ts): the median, 1st percentile and
   * slowest window, how many dipped under half the median, and of those the share in a state write.
   */
  readonly windows: WindowRates;
}

export interface RunTally extends OutcomeTally {
  /** Accepted mints that were not replays. */
  mints: number;
}

const fundingPerAccount = 1_000_000_000n;
const setupChunk = 4096;

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<{ report: BenchReport; tally: RunTally }> {
  if (options.store !== 'lmdb') throw new Error("--store native-free is not available yet: the native-free store has its own issue");
  const path = options.path ?? makeTempDir(tmpdir(), 'shardmint-bench-');
  const engineOptions: MintEngineOptions = { path, workers: options.workers, maxAccounts: Math.max(16, options.accounts), mintRateLimit: null, durability: options.durability };
  try {
    const engine = await MintEngine.open(engineOptions);
    const { shape, before, run, watched, metrics } = await closingOnFailure(engine, (open) => loadAndMeasure(open, options));
    const stateWrites = { keyWrites: metrics.keyWrites - before.keyWrites, checkpoints: metrics.checkpoints - before.checkpoints };
    await engine.close();
    const records = metrics.commit.records - before.commit.records;
    const groups = Math.max(1, metrics.commit.groups - before.commit.groups);
    const verification = await verifyBench(engineOptions, shape.accounts, before.durableSequence, run.tally);
    const ceiling = await measureStoreCeiling(path, options.durability, Math.max(1, records), records / groups);
    const operationsPerSecond = run.tally.operations / run.seconds;
    const report: BenchReport = {
      operationsPerSecond: Math.round(operationsPerSecond),
      mintsPerSecond: Math.round(run.tally.mints / run.seconds),
      latencyMs: run.latencyMs,
      cpuMicrosPerOperation: round(run.cpuMicros / Math.max(1, run.tally.operations), 2),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      sharedBytesPerAccount: Math.round(metrics.sharedMemoryBytes / Math.max(16, options.accounts)),
      storeCeilingOperationsPerSecond: ceiling.operationsPerSecond,
      efficiency: round(operationsPerSecond / ceiling.operationsPerSecond, 3),
      verified: verification.verified,
      offeredOperationsPerSecond: options.rate ?? null,
      sendLateMaxMs: run.paced === undefined ? null : round(run.paced.mostLateMs, 3),
      unsentRequests: run.paced?.unsent ?? null,
      warmupSeconds: options.warmup ?? 0,
      mainThreadCpuMicrosPerOperation: run.mainCpuMicros === undefined ? null : round(run.mainCpuMicros / Math.max(1, run.tally.operations), 2),
      cpuMicrosPerMint: run.tally.mints === 0 ? null : round(run.cpuMicros / run.tally.mints, 2),
      commitMs: { p50: round(watched.commits.p50, 3), p99: round(watched.commits.p99, 3), max: round(watched.commits.max, 3) },
      storeCeilingCommitMs: ceiling.commitMs,
      mainThreadWaitShare: run.mainWaitMicros === undefined ? null : round(run.mainWaitMicros / (run.seconds * 1e6), 3),
      threadsWaitingForCore: run.threadsWaitMicros === undefined ? null : round(run.threadsWaitMicros / (run.seconds * 1e6), 2),
      nodeFlags: nodeFlags(),
      mainThreadGcPauses: { ...run.gc, totalMs: round(run.gc.totalMs, 3), longestMs: round(run.gc.longestMs, 3), shareOfRun: round(run.gc.totalMs / (run.seconds * 1000), 4) },
      mainThreadBytesPerOperation: Math.round(run.allocation.bytes / Math.max(1, run.tally.operations)),
      tail: attributeTail(run.slowAnswers, run.latencyMs.p99, { stateWrites: watched.stateWrites, gcPauses: run.longPauses, slowCommits: watched.slowCommits }, run.span),
      windows: windowRates(run.windows, run.span.endMs, watched.stateWrites),
    };
    printReport(log, options, run, report, metrics, { records, groups, ceilingSeconds: ceiling.seconds, ...stateWrites }, verification.lines);
    if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    return { report, tally: run.tally };
  } finally {
    if (options.path === undefined) removeTempDir(path);
  }
}

/** What a set-up engine's measured run gave, with the engine's metrics before and after it. */
interface Measured {
  readonly shape: BenchShape;
  /** Before the measured run: the set-up's and the warm-up's records end at its durable sequence. */
  readonly before: MetricsSnapshot;
  readonly run: RunResult;
  /** The commit times of the measured run's groups alone, and its slow commits' and state writes' spans. */
  readonly watched: RunWatch;
  readonly metrics: MetricsSnapshot;
}

/** Sets the engine up, runs the warm-up if asked, then the measured run; the engine stays open. */
async function loadAndMeasure(engine: MintEngine, options: BenchOptions): Promise<Measured> {
  const shape = await setUp(engine, options);
  const source = new RequestSource(shape, options.seed);
  // The warm-up's requests are the run's first ones (later duplicates may reuse their keys); like
  // the setup, it is left out of the figures and of the log records the verification counts.
  if ((options.warmup ?? 0) > 0) await measure(engine, source, loadPlan(options, { seconds: options.warmup, operations: undefined, progress: false }));
  const before = engine.metrics();
  const stopWatch = watchRun(engine);
  let watched: RunWatch;
  let run: RunResult;
  try {
    run = await measure(engine, source, loadPlan(options, { seconds: options.seconds, operations: options.operations, progress: options.progress }));
  } finally {
    watched = stopWatch();
  }
  return { shape, before, run, watched, metrics: engine.metrics() };
}

async function setUp(engine: MintEngine, options: BenchOptions): Promise<BenchShape> {
  const accounts = Array.from({ length: options.accounts }, (_, i) => `acct-${i}`);
  for (let start = 0; start < accounts.length; start += setupChunk) {
    await Promise.all(accounts.slice(start, start + setupChunk).map((id) => engine.createAccount(id)));
  }
  await engine.depositReserves({ amount: 2n ** 62n, idempotencyKey: 'bench-reserves' });
  if (options.mix.some(([kind, weight]) => kind !== 'mint' && weight > 0)) {
    for (let start = 0; start < accounts.length; start += setupChunk) {
      const chunk = accounts.slice(start, start + setupChunk);
      await Promise.all(chunk.map((account) => engine.mint({ account, amount: fundingPerAccount, chain: 'base', idempotencyKey: `fund-${account}` })));
    }
  }
  return { accounts, shards: options.workers, mix: options.mix, duplicates: options.duplicates, crossShard: options.crossShard, skew: options.skew, chain: 'ethereum' };
}

interface RunResult {
  readonly tally: RunTally;
  readonly seconds: number;
  /** When the run started and ended (performance.now() readings). */
  readonly span: { readonly startMs: number; readonly endMs: number };
  readonly cpuMicros: number;
  readonly mainCpuMicros: number | undefined;
  /** Time the main thread, and all threads together, were ready to run but waited for a core. */
  readonly mainWaitMicros: number | undefined;
  readonly threadsWaitMicros: number | undefined;
  readonly latencyMs: BenchReport['latencyMs'];
  readonly gc: GcPauses;
  /** The main thread's collection pauses of longPauseMs or more. */
  readonly longPauses: TimeSpans;
  /** The run's slowest answers (tail-attribution.ts). */
  readonly slowAnswers: SlowAnswers;
  /** Its answers counted by 100 ms window (answer-windows.ts). */
  readonly windows: AnswerWindows;
  readonly allocation: Allocation;
  /** The open loop's own figures; undefined for the closed loop. */
  readonly paced: PacedResult | undefined;
}

/** How one measured run (or the warm-up) loads the engine. */
interface LoadPlan {
  readonly seconds: number | undefined;
  readonly operations: number | undefined;
  readonly rate: number | undefined;
  readonly concurrency: number;
  readonly progress: boolean;
}

/** The load of the options' rate and concurrency, for `span`'s time or operations. */
function loadPlan(options: BenchOptions, span: Pick<LoadPlan, 'seconds' | 'operations' | 'progress'>): LoadPlan {
  return { seconds: span.seconds, operations: span.operations, rate: options.rate, concurrency: options.concurrency, progress: span.progress };
}

/**
 * Runs `concurrency` lanes of requests until the time or the operation budget is spent; or, with a
 * rate, sends the budget (the rate times the time, if no budget is given) at that rate.
 */
async function measure(engine: MintEngine, source: RequestSource, options: LoadPlan): Promise<RunResult> {
  const tally: RunTally = { operations: 0, mints: 0, replays: 0, replayMismatches: 0, refused: new Map(), errors: new Map() };
  const latency = createHistogram();
  const budget = options.operations ?? Number.MAX_SAFE_INTEGER;
  const durationMs = (options.seconds ?? 3600) * 1000;
  const pace = options.rate === undefined ? undefined : { rate: options.rate, count: options.operations ?? Math.round((options.rate * durationMs) / 1000), maxInFlight: options.concurrency };
  // By time for the closed loop's seconds; by answers for a count, which the open loop always has
  // (it may run past its seconds, sending late).
  const byTime = pace === undefined && options.operations === undefined;
  const bar = options.progress ? progressBar(byTime, byTime ? (options.seconds ?? 0) : (pace?.count ?? budget)) : undefined;
  const cpuBefore = process.cpuUsage();
  const mainBefore = threadSchedTimes();
  const threadsBefore = processSchedTimes();
  const longPauses = new TimeSpans();
  const stopGcWatch = watchGcPauses(longPauses);
  const slowAnswers = new SlowAnswers();
  const stopAllocationWatch = watchAllocation();
  const started = performance.now();
  const windows = new AnswerWindows(started);
  // A timer ends the closed loop, not a clock read per call: the driver shares the engine's thread.
  // The open loop ends once it has sent its count, late if the engine could not keep up.
  let timeUp = false;
  const deadline = options.rate === undefined ? setTimeout(() => (timeUp = true), durationMs) : undefined;
  const ticker = setInterval(() => {
    bar?.update(byTime ? Math.round((performance.now() - started) / 1000) : tally.operations, { ops: tally.operations });
    keepSlowest(slowAnswers, latency);
  }, 250);
  let issued = 0;
  const host: LaneHost<Drawn> = {
    next: () => {
      if (issued >= budget || timeUp) return undefined;
      issued++;
      return source.next();
    },
    get lastWasDuplicate() {
      return source.lastWasDuplicate;
    },
    answered: (result, original, duplicate, latencyMs, atMs) => {
      latency.record(Math.max(1, Math.round(latencyMs * 1e6)));
      slowAnswers.offer(latencyMs, atMs);
      windows.count(atMs);
      tallyAnswer(result, original, duplicate, tally, source);
    },
    rejected: (error) => {
      tally.operations++;
      countCode(tally.errors, (error as { code?: string }).code ?? 'error');
    },
  };
  let paced: PacedResult | undefined;
  try {
    if (pace === undefined) await runLanes(engine, host, options.concurrency);
    else paced = await runPaced(engine, host, pace);
  } catch (error) {
    // The observer and the profiler are the process's: a failed run leaves none behind.
    stopAllocationWatch();
    await stopGcWatch(performance.now());
    throw error;
  } finally {
    clearTimeout(deadline);
    clearInterval(ticker);
    bar?.stop();
  }
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const mainAfter = threadSchedTimes();
  const threadsAfter = processSchedTimes();
  const allocation = stopAllocationWatch();
  const gc = await stopGcWatch(ended);
  const mainCpuMicros = micros(mainBefore, mainAfter, 'runNanos');
  const mainWaitMicros = micros(mainBefore, mainAfter, 'waitNanos');
  const threadsWaitMicros = micros(threadsBefore, threadsAfter, 'waitNanos');
  const ms = (ns: number): number => round(ns / 1e6, 3);
  const latencyMs = { p50: ms(latency.percentile(50)), p95: ms(latency.percentile(95)), p99: ms(latency.percentile(99)), max: ms(latency.max) };
  return { tally, seconds, span: { startMs: started, endMs: ended }, cpuMicros: cpu.user + cpu.system, mainCpuMicros, mainWaitMicros, threadsWaitMicros, latencyMs, gc, longPauses, slowAnswers, windows, allocation, paced };
}

/**
 * Answers the run keeps whatever their latency before it sets a threshold: a run's first half second
 * runs cold code, and a threshold set from those answers alone would stay above its final p99.
 */
const slowThresholdAnswersMin = 100_000;

/**
 * Sets the threshold of the answers kept to the latencies' p90 so far (their p99 once half the room
 * is used, in a long run), so that those at or above the run's final p99 are kept.
 */
function keepSlowest(answers: SlowAnswers, latency: RecordableHistogram): void {
  if (latency.count < slowThresholdAnswersMin) return;
  answers.thresholdMs = latency.percentile(answers.spans.count > slowAnswersMax / 2 ? 99 : 90) / 1e6;
}

/** Microseconds of `field` between two readings, or undefined where either is missing. */
function micros(before: SchedTimes | undefined, after: SchedTimes | undefined, field: keyof SchedTimes): number | undefined {
  return before === undefined || after === undefined ? undefined : Math.max(0, after[field] - before[field]) / 1000;
}

/** Counts one answer; a duplicate must carry the id its original got. */
function tallyAnswer(result: Record<string, unknown>, drawn: Drawn, duplicate: boolean, tally: RunTally, source: RequestSource): void {
  const request = drawn.request;
  tally.operations++;
  if (result['ok'] === true && !duplicate) drawn.id = idOf(result);
  if (!duplicate) source.answered(drawn);
  if (result['ok'] !== true) return countCode(tally.refused, String(result['code']));
  if (result['replayed'] === true) tally.replays++;
  const originalId = duplicate ? drawn.originalId : undefined;
  if (originalId !== undefined && idOf(result) !== originalId) tally.replayMismatches++;
  if (request.kind === 'mint' && result['replayed'] !== true) tally.mints++;
  if (request.kind === 'pay' && result['replayed'] !== true) source.notePayment(request.args.account, String(result['transactionId']), request.args.amount);
}

function idOf(result: Record<string, unknown>): string {
  return String(result['mintId'] ?? result['burnId'] ?? result['transferId'] ?? result['transactionId']);
}

/**
 * V8 runs garbage collection and compilation on a pool of helper threads, 4 by default whatever
 * the machine: on 2 cores they compete with the workers and LMDB's writer for a core, so the
 * report says how the pool was sized (npm start sizes it to the machine: README, Benchmarks).
 */
function describeNode(flags: readonly string[]): string {
  const pool = flags.some((flag) => flag.startsWith('--v8-pool-size')) ? '' : ', V8 helper pool at its default size (npm start passes --v8-pool-size=0)';
  return `Node ${process.version}${flags.length === 0 ? '' : ` ${flags.join(' ')}`}${pool}`;
}

/** The open loop's requests given up unsent, if any, in words for the throughput line. */
function unsent(paced: PacedResult | undefined, n: (value: number) => string): string {
  if (paced === undefined || paced.unsent === 0) return '';
  return `; ${n(paced.unsent)} requests never sent (the run fell behind by more than its own length)`;
}

/** The main thread's collection pauses, in one line: how many of which kind, their total and the longest. */
function describeGc(gc: BenchReport['mainThreadGcPauses'], n: (value: number) => string): string {
  const count = gc.scavenges + gc.fullCollections + gc.otherPauses;
  const kinds = `${n(gc.scavenges)} scavenges, ${n(gc.fullCollections)} full collections, ${n(gc.otherPauses)} other`;
  const total = `${n(gc.totalMs)} ms in all (${(100 * gc.shareOfRun).toFixed(1)}% of the run), longest ${gc.longestMs.toFixed(1)} ms`;
  return `${n(count)} on the main thread (${kinds}): ${total}`;
}

/** A share (0 to 1) as a whole percent, as the report's lines give it. */
function pct(share: number): string {
  return `${Math.round(100 * share)}%`;
}

/** Where the slowest answers were, in one line. */
function describeTail(tail: TailAttribution, operations: number, n: (value: number) => string): string {
  const of = `the ${n(tail.answers)} answers at or above the p99 (of ~${n(operations / 100)})`;
  const chance = tail.byChance;
  const kinds = [
    `${pct(tail.duringStateWrite)} overlapped a state write (by chance ${pct(chance.stateWrite)})`,
    `${pct(tail.overlappingGcPause)} a collection pause of ${longPauseMs} ms or more (${pct(chance.gcPause)})`,
    `${pct(tail.overlappingSlowCommit)} a log commit of ${slowCommitMs} ms or more (${pct(chance.slowCommit)})`,
  ];
  return `${of}: ${kinds.join(', ')}; ${pct(tail.overlappingNone)} none of these`;
}

/** The run's throughput by window, in one line: its spread, and its dips against the state writes. */
function describeWindows(w: WindowRates, n: (value: number) => string): string {
  const rates = `${n(w.windows)} windows of ${w.windowMs} ms: median ${n(w.medianPerSecond)}/s, p1 ${n(w.p1PerSecond)}/s, slowest ${n(w.slowestPerSecond)}/s`;
  const during = w.dips === 0 ? '' : `, ${pct(w.dipsDuringStateWrite)} of them during a state write (by chance ${pct(w.byChanceStateWrite)})`;
  return `${rates}; ${n(w.dips)} under half the median${during}`;
}

function progressBar(byTime: boolean, total: number): SingleBar {
  const bar = new SingleBar({ format: `bench |{bar}| {value}/{total} ${byTime ? 's' : 'ops'} | {ops} ops`, noTTYOutput: true, notTTYSchedule: 5000 });
  bar.start(total, 0, { ops: 0 });
  return bar;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function printReport(
  log: (line: string) => void,
  options: BenchOptions,
  run: RunResult,
  report: BenchReport,
  metrics: ReturnType<MintEngine['metrics']>,
  totals: { records: number; groups: number; ceilingSeconds: number; keyWrites: number; checkpoints: number },
  verification: readonly string[],
): void {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  const list = (map: Map<string, number>): string => (map.size === 0 ? 'none' : [...map].map(([k, v]) => `${k} ${n(v)}`).join(', '));
  const mix = options.mix.map(([kind, weight]) => `${kind}:${weight}`).join(',');
  const load = options.rate === undefined ? `concurrency ${options.concurrency}` : `open loop at ${n(options.rate)} requests/s (at most ${n(options.concurrency)} in flight)`;
  const warmup = (options.warmup ?? 0) > 0 ? ` after a warm-up of ${options.warmup} s (not measured)` : '';
  log(`shardmint bench: ${run.seconds.toFixed(1)} s${warmup}, ${options.workers} workers, ${n(options.accounts)} accounts, mix ${mix}, ${load}, durability ${options.durability}, seed ${options.seed}`);
  log(`  duplicates ${options.duplicates}, cross-shard ${options.crossShard}, skew ${options.skew}, store ${options.store}; ${describeNode(report.nodeFlags)}`);
  const offered = run.paced === undefined ? '' : `; offered ${n(options.rate ?? 0)}/s, at most ${n(run.paced.mostInFlight)} in flight, sent up to ${(report.sendLateMaxMs ?? 0).toFixed(1)} ms after due${unsent(run.paced, n)}`;
  log(`throughput      ${n(report.operationsPerSecond)} operations/s, ${n(report.mintsPerSecond)} mints/s (${n(run.tally.operations)} operations)${offered}`);
  const from = run.paced === undefined ? '' : ' (from each request\'s due time)';
  log(`latency         p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms${from}`);
  const main = report.mainThreadCpuMicrosPerOperation;
  const perMint = report.cpuMicrosPerMint === null ? '' : `, ${report.cpuMicrosPerMint} µs per accepted mint`;
  const busy = `${((100 * (run.mainCpuMicros ?? 0)) / (run.seconds * 1e6)).toFixed(0)}% busy`;
  const waiting = report.mainThreadWaitShare === null ? '' : `, ${(100 * report.mainThreadWaitShare).toFixed(1)}% waiting for a core`;
  log(`cpu             ${report.cpuMicrosPerOperation} µs per operation (all threads)${perMint}; main thread ${main === null ? 'not measured here' : `${main} µs per operation (${busy}${waiting})`}`);
  if (report.threadsWaitingForCore !== null) log(`cpu contention  ${report.threadsWaitingForCore} of the process's threads waiting for a core on average (ready to run, none free)`);
  log(`gc pauses       ${describeGc(report.mainThreadGcPauses, n)}`);
  log(`allocation      ${n(report.mainThreadBytesPerOperation)} bytes per operation on the main thread (callers, benchmark driver and engine; ${n(run.allocation.collections)} collections)`);
  const keyMiB = n(metrics.keySharedMemoryBytes / 1048576);
  log(`memory          peak RSS ${n(report.peakRssBytes / 1048576)} MiB, shared memory ${report.sharedBytesPerAccount} bytes per account, ${keyMiB} MiB reserved for idempotency keys`);
  log(`group commit    ${n(totals.records)} records in ${n(totals.groups)} groups (${(totals.records / totals.groups).toFixed(1)} per group)`);
  const times = (c: CommitTimes): string => `p50 ${c.p50} ms, p99 ${c.p99} ms, max ${c.max} ms`;
  log(`commit time     ${times(report.commitMs)} per group, hand-off to durable (during the run); store ceiling run ${times(report.storeCeilingCommitMs)}`);
  log(`state writes    ${n(totals.keyWrites)} key writes and ${n(totals.checkpoints)} checkpoints during the run (to state.mdb, off the commit path)`);
  log(`latency tail    ${describeTail(report.tail, run.tally.operations, n)}`);
  log(`throughput dips ${describeWindows(report.windows, n)}`);
  log(`locks           ${n(metrics.locks.acquisitions)} acquisitions, ${n(metrics.locks.contended)} contended, longest wait ${metrics.locks.waitMaxMs.toFixed(2)} ms, timeouts ${metrics.locks.timeouts}`);
  // Past ~45M keys live at once the filter fills, and new keys are checked on disk more and more often.
  const filtered = `${n(metrics.idempotencyKeysInFilter)} keys in the filter of keys on disk (it holds ~67M at the engine's default)`;
  log(`idempotency     ${n(run.tally.replays)} replays (${run.tally.replayMismatches} with a different id); ${filtered}`);
  log(`refusals        ${list(run.tally.refused)}; errors: ${list(run.tally.errors)}`);
  log(`store ceiling   ${n(report.storeCeilingOperationsPerSecond)} records/s (same records, groups and durability, no engine; ${totals.ceilingSeconds.toFixed(2)} s)`);
  log(`efficiency      ${report.efficiency} (engine operations/s ÷ store ceiling)`);
  for (const line of verification) log(`verify          ${line}`);
  log(`verified        ${report.verified ? 'yes' : 'NO'}`);
}
