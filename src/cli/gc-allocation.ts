// The bytes the main thread allocates over a benchmark run, from V8's heap statistics at each of its
// collections (v8.GCProfiler, this isolate only: the workers' heaps are their own). Nothing is freed
// between two collections, so the heap's growth from one collection's end to the next one's start is
// what was allocated meanwhile. Bytes per call set the rate of scavenges, and every scavenge pauses
// the thread that answers every call in flight (README, Benchmarks: "Fewer bytes a call").
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { assert } from '../domain/errors.js';

export interface Allocation {
  /** Bytes allocated on the main thread's heap between start and stop. */
  readonly bytes: number;
  /** The collections (of any kind) that ran meanwhile. */
  readonly collections: number;
}

/** Starts counting; the function returned stops and gives what was allocated since (callable once). */
export function watchAllocation(): () => Allocation {
  const profiler = new GCProfiler();
  profiler.start();
  const startUsed = getHeapStatistics().used_heap_size;
  let stopped = false;
  return () => {
    assert(!stopped, 'an allocation watch stops once');
    stopped = true;
    const endUsed = getHeapStatistics().used_heap_size;
    const { statistics } = profiler.stop();
    let bytes = 0;
    let used = startUsed;
    for (const collection of statistics) {
      // A collection's start is read after the previous one's end: a drop between them would be a
      // free outside any collection, which V8 does not do, so it counts as nothing.
      bytes += Math.max(0, collection.beforeGC.heapStatistics.usedHeapSize - used);
      used = collection.afterGC.heapStatistics.usedHeapSize;
    }
    bytes += Math.max(0, endUsed - used);
    assert(Number.isSafeInteger(bytes), 'allocated bytes are a whole number');
    assert(bytes >= 0, 'allocated bytes are not negative');
    return { bytes, collections: statistics.length };
  };
}
