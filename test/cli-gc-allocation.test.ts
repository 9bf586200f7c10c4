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

function allocateArrays(count: number, length: number): number {
  const sink: unknown[] = new Array(64);
  for (let i = 0; i < count; i++) sink[i & 63] = new Array(length);
  return sink.length;
}

describe('main-thread allocation count', () => {
  it('counts a million small arrays through many scavenges', () => {
    const stop = watchAllocation();
    allocateArrays(1_000_000, 14);
    const { bytes, collections } = stop();
    expect(collections).toBeGreaterThan(10);
    expect(bytes).toBeGreaterThanOrEqual(1_000_000 * elementsBytes(14));
    expect(bytes).toBeLessThan(1_000_000 * (elementsBytes(14) + headerBytesMax));
  });

  it('counts large arrays, which full collections free', () => {
    const stop = watchAllocation();
    allocateArrays(200, 125_000);
    const { bytes, collections } = stop();
    expect(collections).toBeGreaterThan(0);
    expect(bytes).toBeGreaterThanOrEqual(200 * elementsBytes(125_000));
    expect(bytes).toBeLessThan(200 * (elementsBytes(125_000) + headerBytesMax) + 1024 * 1024);
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
