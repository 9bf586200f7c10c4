// Prometheus exposition with prom-client: one registry per engine; counters and gauges read the
// engine's own counters in collect(), at scrape time, so operations pay nothing for them. prom-client
// histograms can only be fed observation by observation, so the three histograms (operation latency,
// group-commit time, lock waits) are counted into fixed buckets by the engine and written in the same text format.
import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSnapshot } from './metrics.js';

export interface HistogramCounts {
  /** Upper bounds in seconds, ascending; one more count than bounds (the +Inf bucket). */
  readonly boundsSeconds: readonly number[];
  readonly counts: readonly number[];
  readonly sumSeconds: number;
}

export interface PrometheusSource {
  snapshot(): MetricsSnapshot;
  latency(): HistogramCounts;
  /** Time from a log group's hand-off to the store until it is durable. */
  commits(): HistogramCounts;
  lockWaits(): HistogramCounts;
  /** Sequence numbers taken but not yet durable. */
  watermarkLag(): number;
}

export class PrometheusExporter {
  readonly #registry = new Registry();
  readonly #source: PrometheusSource;

  constructor(source: PrometheusSource) {
    this.#source = source;
    const registers = [this.#registry];
    const reported = new Map<string, number>();
    const catchUp = (counter: Counter<string>, key: string, labels: Record<string, string>, value: number): void => {
      const delta = value - (reported.get(key) ?? 0);
      if (delta > 0) counter.inc(labels, delta);
      reported.set(key, value);
    };
    const counter = (name: string, help: string, labelNames: string[], read: (c: Counter<string>) => void): void =>
      void new Counter({ name, help, labelNames, registers, collect() { read(this); } });
    const gauge = (name: string, help: string, read: () => number): void =>
      void new Gauge({ name, help, registers, collect() { this.set(read()); } });

    counter('shardmint_operations_total', 'Operations by kind and outcome (ok, replayed, a refusal or an error code).', ['kind', 'outcome'], (c) => {
      for (const [kind, outcomes] of Object.entries(source.snapshot().operations)) {
        for (const [outcome, n] of Object.entries(outcomes)) catchUp(c, `op|${kind}|${outcome}`, { kind, outcome }, n);
      }
    });
    counter('shardmint_idempotent_replays_total', 'Operations answered from an earlier execution with the same key.', [], (c) =>
      catchUp(c, 'replays', {}, sumOutcome(source.snapshot(), 'replayed')),
    );
    counter('shardmint_rate_limit_refusals_total', 'Mints refused by the per-account rate window.', [], (c) =>
      catchUp(c, 'rate', {}, sumOutcome(source.snapshot(), 'RATE_LIMITED')),
    );
    counter('shardmint_lock_acquisitions_total', 'Account lock acquisitions.', [], (c) => catchUp(c, 'acq', {}, source.snapshot().locks.acquisitions));
    counter('shardmint_lock_contended_total', 'Account lock acquisitions that had to wait.', [], (c) => catchUp(c, 'cont', {}, source.snapshot().locks.contended));
    counter('shardmint_lock_timeouts_total', 'Lock waits that passed lockTimeoutMs.', [], (c) => catchUp(c, 'lto', {}, source.snapshot().locks.timeouts));
    counter('shardmint_worker_deaths_total', 'Worker threads that died and were repaired.', [], (c) => catchUp(c, 'deaths', {}, source.snapshot().recoveries.workerDeaths));
    counter('shardmint_checkpoints_total', 'Checkpoints written (accounts, counters and changed keys).', [], (c) => catchUp(c, 'ckpt', {}, source.snapshot().checkpoints));
    counter('shardmint_key_writes_total', 'Key writes between checkpoints (changed idempotency keys written to disk, then evicted).', [], (c) =>
      catchUp(c, 'keys', {}, source.snapshot().keyWrites),
    );
    gauge('shardmint_durable_sequence', 'Highest sequence number durable in the log.', () => source.snapshot().durableSequence);
    gauge('shardmint_durable_watermark_lag', 'Sequence numbers taken but not yet durable.', () => source.watermarkLag());
    gauge('shardmint_idempotency_keys_in_filter', 'Keys on disk held by the filter of keys that may still be live (~67M by default: idempotencyFilterKeys).', () =>
      source.snapshot().idempotencyKeysInFilter,
    );
    gauge('shardmint_queued_operations', 'Operations waiting in shard queues.', () => source.snapshot().queuedOperations);
  }

  async text(): Promise<string> {
    const counters = await this.#registry.metrics();
    return (
      counters +
      histogramText('shardmint_operation_duration_seconds', 'Time from call to answer of each operation.', this.#source.latency()) +
      histogramText('shardmint_group_commit_duration_seconds', 'Time from the hand-off of a log group to the store until it is durable.', this.#source.commits()) +
      histogramText('shardmint_lock_wait_seconds', 'Duration of contended account-lock waits.', this.#source.lockWaits())
    );
  }
}

function sumOutcome(snapshot: MetricsSnapshot, outcome: string): number {
  let total = 0;
  for (const outcomes of Object.values(snapshot.operations)) total += outcomes[outcome] ?? 0;
  return total;
}

/** A histogram in the Prometheus text format (cumulative buckets, +Inf, sum and count). */
export function histogramText(name: string, help: string, h: HistogramCounts): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  let cumulative = 0;
  h.boundsSeconds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    lines.push(`${name}_bucket{le="${bound}"} ${cumulative}`);
  });
  cumulative += h.counts[h.boundsSeconds.length] ?? 0;
  lines.push(`${name}_bucket{le="+Inf"} ${cumulative}`, `${name}_sum ${h.sumSeconds}`, `${name}_count ${cumulative}`);
  return `${lines.join('\n')}\n`;
}
