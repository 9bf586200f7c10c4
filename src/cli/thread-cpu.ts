// CPU time of the calling thread alone, for the bench's "main thread" line: the engine's main
// thread is its bottleneck, and its CPU per operation moves far less with a noisy neighbour than
// throughput does. Linux only (/proc/thread-self/schedstat: nanoseconds on the CPU); elsewhere
// undefined, and the report says so.
import { readFileSync } from 'node:fs';

const schedstatPath = '/proc/thread-self/schedstat';

/** Nanoseconds this thread has run, or undefined where the kernel does not tell. */
export function threadCpuNanos(): number | undefined {
  let text: string;
  try {
    text = readFileSync(schedstatPath, 'utf8');
  } catch {
    return undefined;
  }
  const nanos = Number(text.split(' ')[0]);
  return Number.isSafeInteger(nanos) && nanos >= 0 ? nanos : undefined;
}
