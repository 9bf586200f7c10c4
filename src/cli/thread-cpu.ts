// What the kernel's scheduler says about this process's threads, for the bench's "cpu" line. The
// engine's main thread is its bottleneck, and its CPU per operation moves far less with a noisy
// neighbour than throughput does. Time spent runnable but waiting for a core is the CPU contention
// that stretches commits (see the README's "Where the p99 comes from"), so the bench shows it too.
// Linux only (/proc/<thread>/schedstat: nanoseconds on a CPU, then nanoseconds waiting on a run
// queue); elsewhere undefined, and the report says so.
import { readdirSync, readFileSync } from 'node:fs';

const threadPath = '/proc/thread-self/schedstat';
const tasksPath = '/proc/self/task';
/** Threads read at most: a Node process has a dozen or two (main, workers, libuv's, V8's). */
const tasksMax = 4096;

export interface SchedTimes {
  /** Nanoseconds on a CPU. */
  readonly runNanos: number;
  /** Nanoseconds runnable but waiting for a CPU. */
  readonly waitNanos: number;
}

/** This thread's scheduler times, or undefined where the kernel does not tell. */
export function threadSchedTimes(): SchedTimes | undefined {
  return readSchedTimes(threadPath);
}

/**
 * The scheduler times of every thread of this process now, summed. A thread that ended between two
 * readings takes its times with it, so the bench reads this while its threads all live.
 */
export function processSchedTimes(): SchedTimes | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(tasksPath);
  } catch {
    return undefined;
  }
  let runNanos = 0;
  let waitNanos = 0;
  for (const task of tasks.slice(0, tasksMax)) {
    // A thread may end between the listing and the read: it is then not counted.
    const times = readSchedTimes(`${tasksPath}/${task}/schedstat`);
    if (times === undefined) continue;
    runNanos += times.runNanos;
    waitNanos += times.waitNanos;
  }
  return { runNanos, waitNanos };
}

function readSchedTimes(path: string): SchedTimes | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [run, wait] = text.split(' ').map(Number);
  if (run === undefined || wait === undefined) return undefined;
  if (!Number.isSafeInteger(run) || !Number.isSafeInteger(wait) || run < 0 || wait < 0) return undefined;
  return { runNanos: run, waitNanos: wait };
}
