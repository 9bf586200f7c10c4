// `shardmint stress`: deadlock-freedom and crash-safety stress. Circular cross-shard transfers,
// mints, burns and payments on a few hot accounts, worker threads terminated at random moments, the
// deadlock detector scanning shared memory throughout, then an audit of the durable result.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SingleBar } from 'cli-progress';
import { MintEngine } from '../engine/mint-engine.js';
import type { MintEngineOptions } from '../engine/options.js';
import { auditRun, type AuditResult } from './stress-audit.js';
import { newTally, runLane, type Acknowledged, type WorkloadShape, type WorkloadTally } from './stress-workload.js';
import { closingOnFailure } from './closing-on-failure.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export interface StressOptions {
  readonly seconds: number;
  readonly workers: number;
  readonly accounts: number;
  readonly hot: number;
  readonly killWorkers: number;
  readonly seed: number;
  readonly path?: string;
  readonly json?: string;
  readonly lanes: number;
  readonly progress: boolean;
}

export interface StressReport {
  readonly operations: number;
  readonly operationsPerSecond: number;
  readonly lockTimeouts: number;
  readonly deadlockCycles: number;
  readonly workerKills: number;
  readonly lostAcknowledged: number;
  readonly duplicated: number;
  readonly invariantsHeld: boolean;
}

const initialBalance = 1_000_000_000n;
const laneOperationsMax = 10_000_000;

export async function runStress(options: StressOptions, log: (line: string) => void): Promise<{ report: StressReport; passed: boolean }> {
  const path = options.path ?? makeTempDir(tmpdir(), 'shardmint-stress-');
  const engineOptions: MintEngineOptions = { path, workers: options.workers, maxAccounts: Math.max(options.accounts, 16), mintRateLimit: null, detectDeadlocks: true };
  try {
    const engine = await MintEngine.open(engineOptions);
    const { shape, tally, killed, seconds, metrics, held } = await closingOnFailure(engine, (open) => loadAndDrive(open, options));
    await engine.close();
    const audit = await auditRun(engineOptions, shape.accounts, tally.acknowledged);
    const report: StressReport = {
      operations: tally.operations,
      operationsPerSecond: Math.round(tally.operations / seconds),
      lockTimeouts: metrics.locks.timeouts + (tally.errors.get('ERR_LOCK_TIMEOUT') ?? 0),
      deadlockCycles: metrics.deadlockCycles,
      workerKills: killed,
      lostAcknowledged: audit.lostAcknowledged,
      duplicated: audit.duplicated,
      invariantsHeld: audit.invariantsHeld && held === 0 && tally.replayMismatches === 0,
    };
    printSummary(log, options, seconds, tally, metrics, audit, report, held);
    if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    const passed = report.invariantsHeld && report.lockTimeouts === 0 && report.deadlockCycles === 0 && tally.errors.size === 0;
    return { report, passed };
  } finally {
    if (options.path === undefined) removeTempDir(path);
  }
}

/** What a set-up engine's run gave; the engine stays open. */
interface Driven {
  readonly shape: Shape;
  readonly tally: WorkloadTally;
  readonly killed: number;
  readonly seconds: number;
  readonly metrics: ReturnType<MintEngine['metrics']>;
  /** Locks still held once the run ended (none, if every operation released its own). */
  readonly held: number;
}

async function loadAndDrive(engine: MintEngine, options: StressOptions): Promise<Driven> {
  const shape = await setUp(engine, options);
  const tally = newTally();
  tally.acknowledged.push(...shape.funding);
  const started = performance.now();
  const killed = await drive(engine, shape, options, tally);
  const seconds = (performance.now() - started) / 1000;
  return { shape, tally, killed, seconds, metrics: engine.metrics(), held: engine.diagnostics().heldLocks };
}

interface Shape extends WorkloadShape {
  readonly funding: Acknowledged[];
}

async function setUp(engine: MintEngine, options: StressOptions): Promise<Shape> {
  const accounts = Array.from({ length: options.accounts }, (_, i) => `acct-${i}`);
  for (const id of accounts) await engine.createAccount(id);
  await engine.depositReserves({ amount: 2n ** 62n, idempotencyKey: 'stress-reserves' });
  // Hot accounts are spread over the shards (slot % workers), so the ring crosses shards.
  const hot = accounts.slice(0, Math.min(options.hot, accounts.length));
  const funding: Acknowledged[] = [];
  for (const account of hot) {
    const request = { kind: 'mint' as const, args: { account, amount: initialBalance, chain: 'ethereum', idempotencyKey: `fund-${account}` } };
    const result = await engine.mint(request.args);
    if (!result.ok) throw new Error(`stress set-up: funding ${account} was refused (${result.code})`);
    funding.push({ request, result: result as unknown as Record<string, unknown> });
  }
  return { accounts, hot, chains: ['ethereum', 'solana', 'base'], lanes: options.lanes, seed: options.seed, funding };
}

/** Runs the lanes until the deadline, killing workers at random moments; returns the kills made. */
async function drive(engine: MintEngine, shape: WorkloadShape, options: StressOptions, tally: WorkloadTally): Promise<number> {
  const durationMs = options.seconds * 1000;
  const deadline = performance.now() + durationMs;
  let killed = 0;
  const kills = Array.from({ length: options.killWorkers }, () => 0.1 + Math.random() * 0.8).sort();
  const timers = kills.map((at) =>
    setTimeout(() => void engine.killWorker().then((id) => (killed += id === undefined ? 0 : 1), () => undefined), at * durationMs),
  );
  const bar = options.progress ? new SingleBar({ format: 'stress |{bar}| {value}/{total} s | {ops} ops | kills {kills}', noTTYOutput: true, notTTYSchedule: 5000 }) : undefined;
  bar?.start(options.seconds, 0, { ops: 0, kills: 0 });
  const ticker = setInterval(() => bar?.update(Math.min(options.seconds, Math.round((durationMs - (deadline - performance.now())) / 1000)), { ops: tally.operations, kills: killed }), 250);
  try {
    await Promise.all(Array.from({ length: options.lanes }, (_, lane) => runLane(engine, shape, lane, deadline, laneOperationsMax, tally)));
  } finally {
    clearInterval(ticker);
    for (const timer of timers) clearTimeout(timer);
    bar?.update(options.seconds, { ops: tally.operations, kills: killed });
    bar?.stop();
  }
  return killed;
}

function printSummary(
  log: (line: string) => void,
  options: StressOptions,
  seconds: number,
  tally: WorkloadTally,
  metrics: ReturnType<MintEngine['metrics']>,
  audit: AuditResult,
  report: StressReport,
  held: number,
): void {
  const n = (value: number): string => value.toLocaleString('en-US');
  const list = (map: Map<string, number>): string => (map.size === 0 ? 'none' : [...map].map(([k, v]) => `${k} ${n(v)}`).join(', '));
  const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');
  const r = metrics.recoveries;
  log(`shardmint stress: ${seconds.toFixed(1)} s, ${options.workers} workers, ${n(options.accounts)} accounts (${options.hot} hot), ${options.lanes} lanes, seed ${options.seed}`);
  log(`operations         ${n(report.operations)} (${n(report.operationsPerSecond)}/s); applied ${n(tally.applied)}; refused: ${list(tally.refused)}; errors: ${list(tally.errors)}`);
  log(`idempotent replays ${n(tally.replays)} (${n(tally.replayMismatches)} mismatched)`);
  log(`locks              ${n(metrics.locks.acquisitions)} acquisitions, ${n(metrics.locks.contended)} contended, longest wait ${metrics.locks.waitMaxMs.toFixed(2)} ms, timeouts ${n(report.lockTimeouts)}, held at end ${held}`);
  log(`deadlock cycles    ${report.deadlockCycles}`);
  log(`workers            killed ${report.workerKills}; deaths repaired ${r.workerDeaths} (rolled forward ${r.rolledForward}, re-executed ${n(r.reexecuted)}, locks released ${r.locksReleased}, void sequences ${r.voidedSequences})`);
  log(`invariants         money conserved: ${yes(audit.moneyConserved)}; no negative balance: ${yes(audit.noNegativeBalance)}; balances match acknowledged results: ${yes(audit.balancesMatchAcknowledged)}`);
  log(`                   acknowledged durable exactly once: ${yes(audit.lostAcknowledged === 0 && audit.duplicated === 0)} (lost ${audit.lostAcknowledged}, duplicated ${audit.duplicated})`);
  log(`result             ${report.invariantsHeld && report.lockTimeouts === 0 && report.deadlockCycles === 0 ? 'PASS' : 'FAIL'}`);
}
