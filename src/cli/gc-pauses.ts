// The main thread's garbage-collection pauses over a benchmark run, from perf_hooks' 'gc' entries. A
// pause stops the engine's thread: every call in flight waits, and so does the notice that the log
// group under way is durable, and most of the commits slow enough to show in the latency tail had a
// pause inside them (README, Benchmarks). The report sets the pauses beside that tail. The workers'
// collections are their own threads' and not counted here.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { assert } from '../domain/errors.js';
import type { TimeSpans } from '../engine/time-spans.js';

/** A pause this long or longer goes into the spans the report sets against its slowest answers. */
export const longPauseMs = 2;

export interface GcPauses {
  /** Young-generation collections (scavenges). */
  readonly scavenges: number;
  /** Full mark-compact collections. */
  readonly fullCollections: number;
  /** The other pauses: steps of incremental marking, weak callbacks. */
  readonly otherPauses: number;
  readonly totalMs: number;
  readonly longestMs: number;
}

/** A pause's kind, which a 'gc' entry carries in `detail` (Node 16 and later; not in @types/node 20). */
function kindOf(entry: PerformanceEntry): number | undefined {
  const detail = (entry as PerformanceEntry & { readonly detail?: { readonly kind?: unknown } }).detail;
  return typeof detail?.kind === 'number' ? detail.kind : undefined;
}

/**
 * Starts counting the pauses that begin from now on; the function returned stops and gives the
 * pauses that began before `endedAt` (a `performance.now()` reading, the end of the run). Those of
 * `longPauseMs` or more also go into `long`, if given.
 */
export function watchGcPauses(long?: TimeSpans): (endedAt: number) => Promise<GcPauses> {
  const startedAt = performance.now();
  const tally = { scavenges: 0, fullCollections: 0, otherPauses: 0, totalMs: 0, longestMs: 0 };
  let endedAt = Number.POSITIVE_INFINITY;
  let stopped = false;
  const count = (entries: readonly PerformanceEntry[]): void => {
    for (const entry of entries) {
      if (entry.startTime < startedAt || entry.startTime > endedAt) continue;
      const kind = kindOf(entry);
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) tally.scavenges++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) tally.fullCollections++;
      else tally.otherPauses++;
      tally.totalMs += entry.duration;
      tally.longestMs = Math.max(tally.longestMs, entry.duration);
      if (entry.duration >= longPauseMs) long?.add(entry.startTime + entry.duration, entry.duration);
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return async (end) => {
    assert(end >= startedAt, 'a run ends after it starts');
    assert(!stopped, 'the pauses are watched until stopped, once');
    stopped = true;
    endedAt = end;
    // Node queues a pause's entry for the next turn: one turn later the last ones can be taken.
    await nextTurn();
    count(observer.takeRecords());
    observer.disconnect();
    return { ...tally };
  };
}
