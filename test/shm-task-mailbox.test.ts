// Goal: the task mailbox never loses a task and never delivers one twice, whatever the order of the
// main thread's posts and the worker's waits and closes, including a close that lands inside a post
// between its read and its write, or a post between the worker's last look and its close; method: the main thread's and the worker's views of one mailbox
// driven in one thread by fast-check in every order, the close injected inside a post through the
// read it makes, against a model of which tasks the worker must see.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closedMark, TaskMailbox } from '../dist/shm/task-mailbox.js';

/** The main thread's view; `onRead` runs right after its next read of the posted word (once). */
class RacingMailbox extends TaskMailbox {
  onRead: (() => void) | undefined;

  override posted(): number {
    const posted = super.posted();
    const run = this.onRead;
    this.onRead = undefined;
    run?.();
    return posted;
  }
}

/** The worker's side, as serveResident drives it (without blocking: a wait of 0 ms). */
class WorkerSide {
  readonly view: TaskMailbox;
  seen = 0;
  closed = false;
  readonly received: number[] = [];

  constructor(buffer: SharedArrayBuffer) {
    this.view = new TaskMailbox(buffer);
  }

  /** It found nothing new at its last read and tries to close at its next step: a post may land between. */
  #idle = false;

  step(): void {
    if (this.closed) return;
    if (this.#idle) {
      this.#idle = false;
      this.closed = this.view.tryCloseAfter(this.seen);
      return;
    }
    const posted = this.view.wait(this.seen, 0);
    if (posted === closedMark) this.closed = true;
    else if (posted !== this.seen) this.#take(posted);
    else this.#idle = true;
  }

  #take(task: number): void {
    // A resident's first task comes with reset([1]), every later one with post([0]).
    expect(this.view.shards()).toEqual([task === 1 ? 1 : 0]);
    this.seen = task;
    this.received.push(task);
  }
}

type Step = 'worker' | 'post' | 'post-racing-close';

describe('task mailbox', () => {
  it('delivers every accepted post once and refuses posts after a close', () => {
    const steps = fc.array(fc.constantFrom<Step>('worker', 'post', 'post-racing-close'), { minLength: 1, maxLength: 200 });
    let racedCloses = 0;
    fc.assert(
      fc.property(steps, (plan) => {
        const main = new RacingMailbox(1);
        let worker: WorkerSide | undefined;
        // Tasks the current resident must see, in order; the main thread waits for each answer.
        let owed: number[] = [];
        for (const step of plan) {
          if (step === 'worker') {
            worker?.step();
            continue;
          }
          if (worker !== undefined && worker.received.at(-1) !== owed.at(-1)) continue; // unanswered
          if (step === 'post-racing-close' && worker !== undefined) {
            const w = worker;
            main.onRead = () => {
              if (!w.closed && w.view.tryCloseAfter(w.seen)) {
                w.closed = true;
                racedCloses++;
              }
            };
          }
          const accepted = worker === undefined ? undefined : main.post([0]);
          main.onRead = undefined;
          if (accepted !== undefined) {
            owed.push(accepted);
            continue;
          }
          // Refused only because the resident left, having seen every task: another starts.
          if (worker !== undefined) expect(main.posted()).toBe(closedMark);
          if (worker !== undefined) expect(worker.received).toEqual(owed);
          worker = new WorkerSide(main.words.buffer as SharedArrayBuffer);
          owed = [main.reset([1])];
        }
        // Whatever was accepted is seen, once and in order, before the resident leaves.
        for (let drain = 0; worker !== undefined && !worker.closed && drain < 6; drain++) worker.step();
        if (worker !== undefined) expect(worker.received).toEqual(owed);
      }),
      { numRuns: 500 },
    );
    expect(racedCloses).toBeGreaterThan(0);
  });

  it('refuses a post when the worker closes between the post read and its write', () => {
    const main = new RacingMailbox(2);
    const worker = new TaskMailbox(main.words.buffer as SharedArrayBuffer);
    main.reset([0]);
    main.onRead = () => expect(worker.tryCloseAfter(1)).toBe(true);
    expect(main.post([1])).toBeUndefined();
    expect(main.posted()).toBe(closedMark);
  });

  it('keeps task numbers positive when they wrap', () => {
    const main = new TaskMailbox(1);
    main.reset([0]);
    main.words[0] = 2 ** 30 - 1;
    expect(main.post([0])).toBe(1);
    expect(main.post([0])).toBe(2);
  });

  it('closes from the main thread whatever was posted, and wakes no task after', () => {
    const main = new TaskMailbox(1);
    const worker = new TaskMailbox(main.words.buffer as SharedArrayBuffer);
    main.reset([0]);
    expect(worker.wait(0, 0)).toBe(1);
    main.close();
    expect(worker.wait(1, 0)).toBe(closedMark);
    expect(main.post([0])).toBeUndefined();
    expect(worker.tryCloseAfter(1)).toBe(false);
  });

  it('refuses task lists that are empty or longer than it holds', () => {
    const main = new TaskMailbox(2);
    expect(() => main.reset([])).toThrow(/at least one shard/);
    expect(() => main.reset([0, 1, 0])).toThrow(/no more shards/);
  });
});
