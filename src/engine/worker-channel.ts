// A resident Piscina task on one worker thread: the main thread posts each task (the shards whose
// batches to run) to its mailbox (shm/task-mailbox.ts) and the worker answers on a message port,
// instead of one Piscina task per batch. A Piscina task cost both threads ~70 µs of CPU a round
// trip here against ~37 µs for a post, and each left garbage in the old generation. The resident
// task leaves after `lingerMs` without work, so that an engine left open does not keep the process
// alive for longer (Piscina holds a reference to a thread while its task runs); the next post starts
// another. Piscina still owns the threads: it replaces one that dies, and a dead thread's resident
// task fails, which fails the task posted to it, if any, for the router to repair.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { assert } from '../domain/errors.js';
import { TaskMailbox } from '../shm/task-mailbox.js';
import type { ResidentAnswer, ResidentStart } from './worker/resident-task.js';

export interface ChannelListener {
  /** The posted task ran: every row of its batches has its outputs. */
  done(): void;
  /** The posted task failed: its worker threw or died (Piscina then starts another thread). */
  failed(error: unknown): void;
  /** The worker died while no task was posted to it. */
  lost(error: unknown): void;
}

export class WorkerChannel {
  readonly #pool: Piscina;
  readonly #batches: readonly SharedArrayBuffer[];
  readonly #lingerMs: number;
  readonly #listener: ChannelListener;
  readonly #mailbox: TaskMailbox;
  /** Counts resident tasks started: answers and endings of an earlier one are ignored. */
  #generation = 0;
  /** The running resident task's port; undefined when none runs. */
  #port: MessagePort | undefined;
  /** The number of the task posted and not yet answered; 0 when none is. */
  #task = 0;
  #stopped = false;

  /** `batches`: every shard's batch buffer, by shard index (tasks name shards). */
  constructor(pool: Piscina, batches: readonly SharedArrayBuffer[], lingerMs: number, listener: ChannelListener) {
    assert(batches.length > 0, 'a channel serves at least one shard');
    assert(lingerMs > 0, 'a resident task waits a positive time for work');
    this.#pool = pool;
    this.#batches = batches;
    this.#lingerMs = lingerMs;
    this.#listener = listener;
    this.#mailbox = new TaskMailbox(batches.length);
  }

  get busy(): boolean {
    return this.#task !== 0;
  }

  /** Runs the batches of `shards`, in order, on this channel's thread. */
  post(shards: readonly number[]): void {
    assert(!this.busy, 'a channel runs one task at a time');
    assert(!this.#stopped, 'a stopped channel takes no task');
    const task = this.#port === undefined ? undefined : this.#mailbox.post(shards);
    this.#task = task ?? this.#start(shards);
  }

  /** Closes the mailbox: the resident task returns after the task it runs, if any. */
  stop(): void {
    this.#stopped = true;
    this.#mailbox.close();
  }

  /** Starts a resident task holding `shards` as its first task; returns that task's number. */
  #start(shards: readonly number[]): number {
    this.#port?.close();
    const task = this.#mailbox.reset(shards);
    const generation = ++this.#generation;
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (answer: ResidentAnswer) => this.#answered(generation, answer));
    // The resident Piscina task holds the process while it runs; this port need not.
    port1.unref();
    this.#port = port1;
    const start: ResidentStart = { mailbox: this.#mailbox.words.buffer as SharedArrayBuffer, batches: this.#batches, port: port2, lingerMs: this.#lingerMs };
    this.#pool.run(start, { transferList: [port2] }).then(
      () => this.#ended(generation, undefined),
      (error: unknown) => this.#ended(generation, error),
    );
    return task;
  }

  #answered(generation: number, answer: ResidentAnswer): void {
    const task = typeof answer === 'number' ? answer : answer.task;
    // An answer already taken from the port when its resident task ended.
    if (generation !== this.#generation || task !== this.#task) return;
    this.#task = 0;
    if (typeof answer === 'number') this.#listener.done();
    else this.#listener.failed(answer.error);
  }

  /**
   * The resident task returned (it closed its mailbox, or was told to) or failed (its thread died,
   * or the pool was destroyed). Its last answer may still wait on the port: the end comes through
   * Piscina's own port, in no fixed order with this one's, so it is taken first.
   */
  #ended(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
    const port = this.#port as MessagePort;
    const left = receiveMessageOnPort(port);
    if (left !== undefined) this.#answered(generation, left.message as ResidentAnswer);
    assert(receiveMessageOnPort(port) === undefined, 'a resident task answers each task once');
    port.close();
    this.#port = undefined;
    if (this.#task !== 0) {
      this.#task = 0;
      this.#listener.failed(error ?? new Error('a resident task returned with a task unanswered'));
    } else if (error !== undefined && !this.#stopped) {
      this.#listener.lost(error);
    }
  }
}
