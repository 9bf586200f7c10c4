// The worker's side of a resident task (engine/worker-channel.ts): one Piscina task that serves the
// batches posted to its mailbox until the main thread closes it, or until none came for `lingerMs`.
// A task through Piscina costs both threads ~70 µs of CPU a round trip here, a post to a resident
// task ~37 µs, and the Piscina task allocated objects that reached the old generation.
import type { MessagePort } from 'node:worker_threads';
import { assert } from '../../domain/errors.js';
import { closedMark, TaskMailbox } from '../../shm/task-mailbox.js';
import type { Batch } from '../batch.js';

/** What the main thread sends to start a resident task. */
export interface ResidentStart {
  readonly mailbox: SharedArrayBuffer;
  /** Every shard's batch buffer, by shard index: tasks name shards, not buffers. */
  readonly batches: readonly SharedArrayBuffer[];
  readonly port: MessagePort;
  readonly lingerMs: number;
}

/** A task's answer: its number once it ran, or its number and the error it threw. */
export type ResidentAnswer = number | { readonly task: number; readonly error: unknown };

/** Bounds the loop: past this many tasks the resident leaves, and the main thread starts another. */
const residentTasksMax = 2 ** 30;
/** Leaving races only with a post right after an answer, which the close usually wins. */
const leaveAttemptsMax = 1_000;

/**
 * Serves tasks until the mailbox is closed; `run` executes one task's batches (and throws as a
 * Piscina task would). Returns the number of tasks served.
 */
export function serveResident(start: ResidentStart, batches: readonly Batch[], run: (batches: Batch[]) => void): number {
  const mailbox = new TaskMailbox(start.mailbox);
  const answer = (task: number): void => start.port.postMessage(runOne(task, mailbox.shards(), batches, run));
  let seen = 0;
  let served = 0;
  while (served < residentTasksMax) {
    const posted = mailbox.wait(seen, start.lingerMs);
    if (posted === closedMark) return served;
    if (posted !== seen) {
      seen = posted;
      served++;
      answer(seen);
    } else if (mailbox.tryCloseAfter(seen)) {
      return served;
    }
  }
  for (let attempt = 0; attempt < leaveAttemptsMax; attempt++) {
    if (mailbox.tryCloseAfter(seen)) return served;
    seen = mailbox.posted();
    if (seen === closedMark) return served;
    served++;
    answer(seen);
  }
  throw new Error(`a resident task could not leave in ${leaveAttemptsMax} attempts`);
}

function runOne(task: number, shards: readonly number[], batches: readonly Batch[], run: (batches: Batch[]) => void): ResidentAnswer {
  const list = shards.map((shard) => {
    const batch = batches[shard];
    assert(batch !== undefined, 'a task names shards that exist');
    return batch;
  });
  try {
    run(list);
    return task;
  } catch (error) {
    return { task, error: cloneable(error) };
  }
}

/** An Error survives postMessage (name, message, stack); anything else is described. */
function cloneable(error: unknown): unknown {
  return error instanceof Error ? error : new Error(`worker task threw ${String(error)}`);
}
