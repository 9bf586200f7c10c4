// Goal: `shardmint bench` produces a complete report and verifies its own result (no speed
// threshold: this machine is shared); method: a 3 s run through the CLI with --json, with a mixed
// workload that includes duplicates, transfers, burns, payments and refunds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cli.js';
import { tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

describe('shardmint bench', () => {
  it('reports every figure and verifies the run', { timeout: 120_000 }, () => {
    const dir = tempDirectory('shardmint-bench-test-');
    remove = dir.remove;
    const json = join(dir.path, 'report.json');
    const args = ['bench', '--seconds', '3', '--accounts', '5000', '--mix', 'mint:60,transfer:20,burn:5,pay:10,refund:5', '--duplicates', '0.1', '--skew', '0.8', '--concurrency', '512', '--json', json];
    // As npm start runs it: V8's helper pool sized to the machine, which the report must name.
    const run = runCli(args, { nodeFlags: ['--v8-pool-size=0'], timeoutMs: 110_000 });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    for (const label of ['throughput', 'latency', 'cpu', 'gc pauses', 'allocation', 'memory', 'group commit', 'commit time', 'state writes', 'locks', 'idempotency', 'refusals', 'store ceiling', 'efficiency']) {
      expect(run.stdout).toMatch(new RegExp(`^${label}\\s`, 'm'));
    }
    expect(run.stdout).toMatch(/^verified\s+yes$/m);
    expect(run.stdout).toMatch(/^idempotency\s.*; [\d,]+ keys in the filter of keys on disk/m);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(
      ['commitMs', 'cpuMicrosPerMint', 'cpuMicrosPerOperation', 'efficiency', 'latencyMs', 'mainThreadCpuMicrosPerOperation', 'mintsPerSecond', 'operationsPerSecond', 'mainThreadWaitShare', 'peakRssBytes', 'sharedBytesPerAccount', 'storeCeilingCommitMs', 'storeCeilingOperationsPerSecond', 'threadsWaitingForCore', 'verified', 'nodeFlags', 'mainThreadGcPauses', 'mainThreadBytesPerOperation', 'offeredOperationsPerSecond', 'sendLateMaxMs', 'unsentRequests', 'warmupSeconds', 'tail', 'windows'].sort(),
    );
    // The closed loop: no offered rate, no warm-up.
    expect(report['offeredOperationsPerSecond']).toBeNull();
    expect(report['sendLateMaxMs']).toBeNull();
    expect(report['unsentRequests']).toBeNull();
    expect(report['warmupSeconds']).toBe(0);
    expect(run.stdout).toMatch(/, concurrency 512, /);
    expect(report['nodeFlags']).toContain('--v8-pool-size=0');
    expect(run.stdout).toMatch(/; Node v\d+\.\d+\.\d+ .*--v8-pool-size=0/m);
    expect(run.stdout).not.toMatch(/helper pool at its default size/);
    expect(Object.keys(report['latencyMs'] as object).sort()).toEqual(['max', 'p50', 'p95', 'p99']);
    expect(report['verified']).toBe(true);
    // Commit times, the engine's and the ceiling run's, are real durations in order: some time
    // passes between hand-off and durable.
    for (const key of ['commitMs', 'storeCeilingCommitMs']) {
      const commit = report[key] as { p50: number; p99: number; max: number };
      expect(Object.keys(commit).sort(), key).toEqual(['max', 'p50', 'p99']);
      expect(commit.p50, key).toBeGreaterThan(0);
      expect(commit.p50, key).toBeLessThanOrEqual(commit.p99);
      expect(commit.p99, key).toBeLessThanOrEqual(commit.max);
    }
    for (const key of ['operationsPerSecond', 'mintsPerSecond', 'cpuMicrosPerOperation', 'peakRssBytes', 'sharedBytesPerAccount', 'storeCeilingOperationsPerSecond', 'efficiency']) {
      expect(report[key], key).toBeGreaterThan(0);
    }
    // The main thread collects its young generation many times a second under this load: pauses
    // were seen, and their figures hang together.
    const gc = report['mainThreadGcPauses'] as Record<string, number>;
    expect(Object.keys(gc).sort()).toEqual(['fullCollections', 'longestMs', 'otherPauses', 'scavenges', 'shareOfRun', 'totalMs']);
    expect(gc['scavenges']).toBeGreaterThan(0);
    expect(gc['longestMs']).toBeGreaterThan(0);
    expect(gc['longestMs']).toBeLessThanOrEqual(gc['totalMs'] as number);
    expect(gc['shareOfRun']).toBeGreaterThan(0);
    expect(gc['shareOfRun']).toBeLessThan(1);
    // Every call allocates at least its promise and its answer on the main thread; the count is
    // per operation, not the run's total.
    expect(report['mainThreadBytesPerOperation']).toBeGreaterThan(100);
    expect(report['mainThreadBytesPerOperation']).toBeLessThan(100_000);
    expect(run.stdout).toMatch(/^allocation\s+[\d,]+ bytes per operation on the main thread \(callers, benchmark driver and engine; [\d,]+ collections\)$/m);
    // The commit times are the measured run's, which the report line says.
    expect(run.stdout).toMatch(/^commit time\s+p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms per group, hand-off to durable \(during the run\); store ceiling run /m);
    expect(run.stdout).toMatch(/^state writes\s+[\d,]+ key writes and [\d,]+ checkpoints during the run \(to state\.mdb, off the commit path\)$/m);
    // The slowest answers are kept (nearly all of the 1% at or above the p99) and set against the spans.
    const tail = report['tail'] as { answers: number; byChance: Record<string, number> } & Record<string, number>;
    expect(Object.keys(tail).sort()).toEqual(['answers', 'byChance', 'duringStateWrite', 'overlappingGcPause', 'overlappingNone', 'overlappingSlowCommit']);
    for (const key of ['duringStateWrite', 'overlappingGcPause', 'overlappingSlowCommit', 'overlappingNone', ...Object.keys(tail.byChance).map((kind) => `byChance.${kind}`)]) {
      const share = key.startsWith('byChance.') ? tail.byChance[key.slice('byChance.'.length)] : tail[key];
      expect(share, key).toBeGreaterThanOrEqual(0);
      expect(share, key).toBeLessThanOrEqual(1);
    }
    expect(Object.keys(tail.byChance).sort()).toEqual(['gcPause', 'slowCommit', 'stateWrite']);
    const line = /^latency tail\s+the ([\d,]+) answers at or above the p99 \(of ~([\d,]+)\): .* overlapped a state write \(by chance \d+%\), .*; \d+% none of these$/m.exec(run.stdout);
    expect(line).not.toBeNull();
    const [kept, expected] = [line?.[1], line?.[2]].map((text) => Number((text ?? '').replaceAll(',', '')));
    expect(kept).toBe(tail.answers);
    expect(kept).toBeGreaterThanOrEqual(0.5 * (expected ?? 0));
    expect(kept).toBeGreaterThan(0);
    // A 3 s run has 29 or 30 whole windows of 100 ms; their rates are answers a second, in order.
    const windows = report['windows'] as Record<string, number>;
    expect(Object.keys(windows).sort()).toEqual(['byChanceStateWrite', 'dips', 'dipsDuringStateWrite', 'medianPerSecond', 'p1PerSecond', 'slowestPerSecond', 'windowMs', 'windows']);
    expect(windows['windowMs']).toBe(100);
    expect(windows['windows']).toBeGreaterThanOrEqual(29);
    expect(windows['windows']).toBeLessThanOrEqual(31);
    expect(windows['slowestPerSecond']).toBeLessThanOrEqual(windows['p1PerSecond'] as number);
    expect(windows['p1PerSecond']).toBeLessThanOrEqual(windows['medianPerSecond'] as number);
    expect(windows['medianPerSecond']).toBeGreaterThan(0);
    expect(windows['dips']).toBeLessThan(windows['windows'] as number);
    // The windows count the run's answers as answers a second: their median is of the run's order.
    expect(windows['medianPerSecond']).toBeGreaterThan(0.25 * (report['operationsPerSecond'] as number));
    expect(windows['medianPerSecond']).toBeLessThan(4 * (report['operationsPerSecond'] as number));
    const dips = /^throughput dips ([\d,]+) windows of 100 ms: median ([\d,]+)\/s, p1 [\d,]+\/s, slowest [\d,]+\/s; ([\d,]+) under half the median(, \d+% of them during a state write \(by chance \d+%\))?$/m.exec(run.stdout);
    expect(dips).not.toBeNull();
    expect(Number((dips?.[1] ?? '').replaceAll(',', ''))).toBe(windows['windows']);
    expect(Number((dips?.[3] ?? '').replaceAll(',', ''))).toBe(windows['dips']);
    expect(run.stdout).toMatch(/^gc pauses\s+[\d,]+ on the main thread \([\d,]+ scavenges, [\d,]+ full collections, [\d,]+ other\): [\d,]+ ms in all \(\d+\.\d% of the run\), longest \d+\.\d ms$/m);
    // Fewer accepted mints than operations (the mix has other kinds and replays): more CPU per mint.
    expect(report['cpuMicrosPerMint']).toBeGreaterThan(report['cpuMicrosPerOperation'] as number);
    expect(run.stdout).toMatch(/µs per accepted mint/);
    // Linux tells a thread's own CPU time; the main thread's share is part of all threads' CPU.
    const mainCpu = report['mainThreadCpuMicrosPerOperation'];
    if (process.platform === 'linux') {
      expect(mainCpu).toBeGreaterThan(0);
      expect(mainCpu).toBeLessThanOrEqual(report['cpuMicrosPerOperation'] as number);
      // Waiting for a core: a share of the run for the main thread, an average count for all threads.
      const mainWait = report['mainThreadWaitShare'] as number;
      expect(mainWait).toBeGreaterThanOrEqual(0);
      expect(mainWait).toBeLessThanOrEqual(1);
      expect(report['threadsWaitingForCore']).toBeGreaterThanOrEqual(0);
      expect(run.stdout).toMatch(/^cpu contention\s+\S+ of the process's threads waiting for a core/m);
    } else {
      expect(mainCpu).toBeNull();
      expect(report['mainThreadWaitShare']).toBeNull();
      expect(report['threadsWaitingForCore']).toBeNull();
    }
  });

  it('runs an open loop at a rate after a warm-up, and measures only the run', { timeout: 120_000 }, () => {
    const dir = tempDirectory('shardmint-bench-test-');
    remove = dir.remove;
    const json = join(dir.path, 'report.json');
    const args = ['bench', '--seconds', '2', '--warmup', '1', '--rate', '4000', '--accounts', '2000', '--mix', 'mint:90,transfer:10', '--concurrency', '256', '--json', json];
    const run = runCli(args, { nodeFlags: ['--v8-pool-size=0'], timeoutMs: 110_000 });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^shardmint bench: [\d.]+ s after a warm-up of 1 s \(not measured\), .*, open loop at 4,000 requests\/s \(at most 256 in flight\), /m);
    // The run sends the rate times its seconds, all counted; the warm-up's 4,000 are not.
    expect(run.stdout).toMatch(/^throughput\s+[\d,]+ operations\/s, [\d,]+ mints\/s \(8,000 operations\); offered 4,000\/s, at most \d+ in flight, sent up to [\d.]+ ms after due$/m);
    expect(run.stdout).toMatch(/^latency\s+p50 .* \(from each request's due time\)$/m);
    expect(run.stdout).toMatch(/^verify\s+mint records in the log = accepted mints: yes/m);
    expect(run.stdout).toMatch(/^verified\s+yes$/m);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(report['offeredOperationsPerSecond']).toBe(4000);
    expect(report['warmupSeconds']).toBe(1);
    // 4,000 a second is far below what the engine does: every request was sent.
    expect(report['unsentRequests']).toBe(0);
    expect(run.stdout).not.toMatch(/never sent/);
    // The same figure as the report's line, which rounds it to a tenth.
    const late = report['sendLateMaxMs'] as number;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(run.stdout).toContain(`sent up to ${late.toFixed(1)} ms after due`);
    expect(report['verified']).toBe(true);
    // 8,000 requests on a schedule of 2 s: the run cannot be much shorter, nor faster than offered.
    expect(report['operationsPerSecond']).toBeLessThanOrEqual(4000 * 1.01);
  });

  it('gives up an open loop far beyond the engine a second past its schedule, and says how many were never sent', { timeout: 60_000 }, () => {
    const args = ['bench', '--operations', '100000000', '--rate', '1000000000', '--concurrency', '8', '--accounts', '100'];
    const run = runCli(args, { nodeFlags: ['--v8-pool-size=0'], timeoutMs: 50_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^throughput\s+.*; [\d,]+ requests never sent \(the run fell behind by more than its own length\)$/m);
    expect(run.stdout).toMatch(/^verified\s+yes$/m);
  });

  it("says when V8's helper pool was left at its default size", { timeout: 60_000 }, () => {
    const run = runCli(['bench', '--operations', '2000', '--accounts', '100', '--concurrency', '64'], { timeoutMs: 50_000, env: { NODE_OPTIONS: '' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/V8 helper pool at its default size \(npm start passes --v8-pool-size=0\)/);
    expect(run.stdout).toMatch(/^verified\s+yes$/m);
  });

  it('refuses a bad mix with a clear message', () => {
    const run = runCli(['bench', '--mix', 'mint:80,teleport:20'], { timeoutMs: 30_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/teleport/);
  });
});
