// Goal: the bench's count of bytes the main thread allocated matches what was allocated, across
// scavenges and full collections, and counts a worker's allocations not at all; method: allocate
// arrays of known sizes (kept live one at a time so that none is optimized away) and bound the count
// from below by their elements' bytes and from above by those plus each array's header.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { watchAllocation } from '../dist/cli/gc-allocation.js';

/** A holey array of `length` holds at least a header and one 8-byte slot per element (64-bit V8). */
const elementsBytes = (length: number): number => 16 + 8 * length;
/** A JS array object and its elements' header together stay under this. */
const headerBytesMax = 64;

/** Allocates `count` arrays of `length` under a watch, and bounds what it counted (plus `slack` bytes of this test's own). */
function expectCounted(count: number, length: number, slack: number): number {
  const stop = watchAllocation();
  const sink: unknown[] = new Array(64);
  for (let i = 0; i < count; i++) sink[i & 63] = new Array(length);
  const { bytes, collections } = stop();
  expect(sink).toHaveLength(64);
  expect(bytes).toBeGreaterThanOrEqual(count * elementsBytes(length));
  expect(bytes).toBeLessThan(count * (elementsBytes(length) + headerBytesMax) + slack);
  return collections;
}

describe('main-thread allocation count', () => {
  it('counts a million small arrays through many scavenges', () => {
    expect(expectCounted(1_000_000, 14, 0)).toBeGreaterThan(10);
  });

  it('counts large arrays, which full collections free', () => {
    expect(expectCounted(200, 125_000, 1024 * 1024)).toBeGreaterThan(0);
  });

  it("does not count a worker thread's allocations", async () => {
    const stop = watchAllocation();
    const worker = new Worker('const sink = new Array(64); for (let i = 0; i < 1_000_000; i++) sink[i & 63] = new Array(14);', { eval: true });
    const exitCode = await new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    const { bytes } = stop();
    expect(exitCode).toBe(0);
    // The worker allocated ~160 MB; starting it costs this thread a little.
    expect(bytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('stops once', () => {
    const stop = watchAllocation();
    stop();
    expect(() => stop()).toThrow(/stops once/);
  });
});
