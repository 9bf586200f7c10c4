// Group commit of the ordered log. Applied operations arrive out of order (two workers take sequence
// numbers concurrently); the pipeline holds them until they are contiguous, writes each contiguous run
// as one log group, and only after the store reports it durable (per the durability mode) applies the
// records to the derived state and answers their callers. One group is in flight at a time, so groups
// grow with load: that is the group commit. A store failure fails the engine (fail-stop).
import { assert } from '../domain/errors.js';
import { groupRecordsMax } from '../domain/limits.js';
import type { LogRecord } from '../domain/log-record.js';
import type { LedgerStore } from '../store/store.js';
import { SeqRing } from './seq-ring.js';

/**
 * Answers per event-loop turn. Each answer sets off its caller's next call (~5 µs each here), which
 * lands in the shard queues and goes to the workers in the next turn: a slice is also about the size
 * of the next worker batches. Here 128 to 224 gave the same throughput within noise, larger slices
 * less CPU per operation (fewer, larger batches), and 256 or more about 8% less throughput.
 */
export const answerSliceMax = 192;

/** A record waiting to be durable, with whoever waits for it. */
export interface Durable {
  readonly record: LogRecord;
  resolve(): void;
  reject(error: unknown): void;
}

export interface PipelineHooks {
  /** Called for every record, in sequence order, once its group is durable. */
  applyDurable(record: LogRecord): void;
  /** Called after each durable group with its record count. */
  afterGroup(records: number): void;
  /** A group was durable `ms` after it was handed to the store (seen from this thread). */
  durableAfter(ms: number): void;
  /** A slice of answers begins at `now` (a clock read), or (undefined) has ended. */
  answering(now: number | undefined): void;
  fail(error: unknown): void;
}

export class CommitPipeline {
  readonly #store: LedgerStore;
  readonly #hooks: PipelineHooks;
  /** Submitted and not yet written, by seq; its base is the next seq to write. */
  readonly #held: SeqRing<Durable>;
  #writing = false;
  #writingGroup: Durable[] = [];
  #failure: unknown = undefined;
  /** Durable groups not yet (fully) answered, oldest first; the first has its first entries answered. */
  readonly #toAnswer: Durable[][] = [];
  #answeredInGroup = 0;
  /** The next slice of answers, while one is scheduled. */
  #sliceScheduled: NodeJS.Immediate | undefined = undefined;
  /** Durable groups and records since open (the group-commit ratio). */
  readonly stats = { groups: 0, records: 0 };
  #idle: Array<() => void> = [];

  constructor(store: LedgerStore, nextSeq: number, hooks: PipelineHooks) {
    this.#store = store;
    this.#held = new SeqRing(nextSeq);
    this.#hooks = hooks;
  }

  /** Queues an applied record; its waiter is answered once it is durable. */
  submit(entry: Durable): void {
    if (this.#failure !== undefined) return entry.reject(this.#failure);
    const seq = entry.record.seq;
    assert(seq >= this.#held.base, 'a submitted sequence number is not yet written');
    assert(!this.#held.has(seq), 'a sequence number is submitted once');
    this.#held.set(seq, entry);
    if (!this.#writing && seq === this.#held.base) void this.#pump();
  }

  get pendingRecords(): number {
    return this.#held.size;
  }

  /** Visits every submitted record not yet applied to the derived state (held or being written). */
  forEachUnapplied(visit: (record: LogRecord) => void): void {
    for (const entry of this.#writingGroup) visit(entry.record);
    for (const entry of this.#held.values()) visit(entry.record);
  }

  /** Sequence numbers up to `last` that were never submitted (taken by a thread that died). */
  missingUpTo(last: number): number[] {
    const missing: number[] = [];
    for (let seq = this.#held.base; seq <= last; seq++) if (!this.#held.has(seq)) missing.push(seq);
    return missing;
  }

  /** Resolves once nothing is held or being written. */
  drained(): Promise<void> {
    if (!this.#writing && this.#toAnswer.length === 0 && this.#held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Rejects every held record and refuses new ones. */
  failAll(error: unknown): void {
    this.#failure ??= error;
    for (const entry of this.#held.values()) entry.reject(error);
    for (const entry of this.#writingGroup) entry.reject(error);
    this.#held.clear();
    this.#writingGroup = [];
    this.#notifyIdle();
  }

  /**
   * Writes groups one at a time until nothing is held. The next group's write starts before the
   * durable group is answered: lmdb-js starts a transaction in the event loop's check phase, and
   * answers run at once held it there behind the calls they set off (~2 ms for ~500), with the
   * writer thread idle. Answers then come a slice per turn (#answerSoon).
   */
  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      let group = this.#takeGroup();
      let handedOff = performance.now();
      let written = group.length > 0 ? this.#append(group) : undefined;
      while (written !== undefined) {
        await written;
        if (this.#failure !== undefined) return;
        this.#hooks.durableAfter(performance.now() - handedOff);
        for (const entry of group) this.#hooks.applyDurable(entry.record);
        this.#writingGroup = [];
        this.stats.groups++;
        this.stats.records += group.length;
        const durable = group;
        group = this.#takeGroup();
        handedOff = performance.now();
        written = group.length > 0 ? this.#append(group) : undefined;
        this.#answerSoon(durable);
      }
    } catch (error) {
      this.#hooks.fail(error);
    } finally {
      this.#writing = false;
      this.#notifyIdle();
    }
  }

  /** Hands a group to the store; its puts are queued before this returns, ahead of any answers. */
  #append(group: Durable[]): Promise<void> {
    this.#writingGroup = group;
    const written = this.#store.appendGroup(group.map((entry) => entry.record));
    this.#behindWriteStart();
    return written;
  }

  /**
   * Moves a slice of answers already scheduled behind the write just handed off: lmdb-js starts
   * the write at the check phase, after the immediates queued before it, and a slice (up to 192
   * answers, each setting off its caller's next call) would hold it there for about a millisecond.
   */
  #behindWriteStart(): void {
    if (this.#sliceScheduled === undefined) return;
    clearImmediate(this.#sliceScheduled);
    this.#sliceScheduled = setImmediate(this.#answerSlice);
  }

  /**
   * Queues a durable group's answers. They run in later turns, a slice per turn, in sequence order:
   * after the next group's write has started, and with the event loop's I/O between slices, so
   * that the next commit and the workers' replies are taken while answers are still running.
   */
  #answerSoon(group: Durable[]): void {
    assert(group.length > 0, 'a durable group holds records');
    this.#toAnswer.push(group);
    if (this.#toAnswer.length === 1) this.#sliceScheduled = setImmediate(this.#answerSlice);
  }

  /**
   * Answers up to a slice. An answer that throws (a bug) fails the engine, as it did inside the
   * pump, but only it is skipped: every other record is durable and its caller still hears.
   */
  readonly #answerSlice = (): void => {
    this.#sliceScheduled = undefined;
    this.#hooks.answering(performance.now());
    try {
      this.#answerUpTo(answerSliceMax);
    } catch (error) {
      this.#hooks.fail(error);
    } finally {
      this.#hooks.answering(undefined);
    }
    if (this.#toAnswer.length > 0) this.#sliceScheduled = setImmediate(this.#answerSlice);
    else this.#notifyIdle();
  };

  #answerUpTo(count: number): void {
    for (let answered = 0, group = this.#toAnswer[0]; group !== undefined && answered < count; group = this.#toAnswer[0]) {
      const end = Math.min(group.length, this.#answeredInGroup + count - answered);
      while (this.#answeredInGroup < end) {
        // Advanced first, so that a throwing answer is not answered again.
        const entry = group[this.#answeredInGroup++] as Durable;
        answered++;
        entry.resolve();
      }
      if (end < group.length) return;
      this.#toAnswer.shift();
      this.#answeredInGroup = 0;
      this.#hooks.afterGroup(group.length);
    }
  }

  #takeGroup(): Durable[] {
    const group: Durable[] = [];
    while (group.length < groupRecordsMax) {
      const held = this.#held.takeBase();
      if (held === undefined) break;
      group.push(held);
    }
    return group;
  }

  #notifyIdle(): void {
    if (this.#writing || this.#toAnswer.length > 0 || this.#held.size > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}
