// Goal: the commit pipeline writes the next group before it answers the durable one, reports each
// group's commit time, answers in sequence order a bounded slice per event-loop turn, each answer
// inside its slice's bounds (where the engine reads the clock once for all), runs no answer between a
// group's hand-off and its write's start (a slice already scheduled moves behind it), still answers every
// other record when one answer throws, and counts as drained only once all is answered;
// method: a real LMDB store behind a recorder, records submitted out of order, and a turn counter
// running on setImmediate beside the pipeline.
import { afterEach, describe, expect, it } from 'vitest';
import { answerSliceMax, CommitPipeline, type Durable } from '../dist/engine/commit-pipeline.js';
import { makeRecord, type LogRecord } from '../dist/domain/log-record.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import { tempDirectory } from './fixtures/engine.js';

let cleanup: () => Promise<void> = async () => undefined;
afterEach(async () => cleanup());

/** Everything the pipeline did, in the order it did it. */
type Event = { kind: 'append' | 'started'; first: number; last: number } | { kind: 'slice'; open: boolean } | RecordEvent;
interface RecordEvent {
  kind: 'apply' | 'answer';
  seq: number;
  turn: number;
}

function recordedPipeline(events: Event[], turn: () => number, failures: unknown[] = []): { pipeline: CommitPipeline; store: LmdbStore; groups: number[]; durations: number[] } {
  const dir = tempDirectory('shardmint-pipeline-');
  const store = new LmdbStore({ directory: dir.path, durability: 'flush' });
  cleanup = async () => {
    await store.close();
    dir.remove();
  };
  const appendGroup = store.appendGroup.bind(store);
  store.appendGroup = (records: readonly LogRecord[]) => {
    const first = records[0]?.seq ?? -1;
    const last = records[records.length - 1]?.seq ?? -1;
    events.push({ kind: 'append', first, last });
    const written = appendGroup(records);
    // lmdb-js starts the transaction of this turn's puts in an immediate queued by the first put.
    setImmediate(() => events.push({ kind: 'started', first, last }));
    return written;
  };
  const groups: number[] = [];
  const durations: number[] = [];
  const pipeline = new CommitPipeline(store, 1, {
    applyDurable: (record) => events.push({ kind: 'apply', seq: record.seq, turn: turn() }),
    afterGroup: (records) => groups.push(records),
    durableAfter: (ms) => durations.push(ms),
    answering: (now) => void events.push({ kind: 'slice', open: now !== undefined }),
    fail: (error) => void failures.push(error),
  });
  return { pipeline, store, groups, durations };
}

function durable(seq: number, events: Event[], turn: () => number): { entry: Durable; answered: Promise<void> } {
  let entry: Durable | undefined;
  const answered = new Promise<void>((resolve, reject) => {
    entry = {
      record: makeRecord({ seq, kind: 'mint', slot: 0, amount: 1n, at: 1 }),
      resolve: () => {
        events.push({ kind: 'answer', seq, turn: turn() });
        resolve();
      },
      reject,
    };
  });
  return { entry: entry as Durable, answered };
}

/** Every answer comes inside a slice's bounds, slices open and close in turn, and the last is closed. */
function expectAnswersInSlices(events: readonly Event[]): void {
  let open = false;
  let slices = 0;
  for (const e of events) {
    if (e.kind === 'slice') {
      expect(e.open).toBe(!open);
      open = e.open;
      if (open) slices++;
    }
    if (e.kind === 'answer') expect(open).toBe(true);
  }
  expect(open).toBe(false);
  expect(slices).toBeGreaterThan(0);
}

describe('commit pipeline', () => {
  it('writes the next group first, then answers in order, a slice per turn', async () => {
    const events: Event[] = [];
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const { pipeline, groups, durations } = recordedPipeline(events, () => turns);
    const total = 3 * answerSliceMax + 17;
    const ops = Array.from({ length: total }, (_, i) => durable(i + 1, events, () => turns));
    // Seq 1 alone starts the first group; the rest arrive out of order while it is written.
    pipeline.submit(ops[0]!.entry);
    for (const op of ops.slice(1).reverse()) pipeline.submit(op.entry);
    await Promise.race([
      Promise.all(ops.map((op) => op.answered)),
      new Promise((_, reject) => setTimeout(() => reject(new Error('answers timed out')), 10_000)),
    ]);
    await pipeline.drained();
    ticking = false;

    expect(groups).toEqual([1, total - 1]);
    // Each durable group reports how long it took from hand-off (a real write and sync: not 0).
    expect(durations).toHaveLength(2);
    for (const ms of durations) expect(ms).toBeGreaterThan(0);
    const answers = events.filter((e): e is RecordEvent => e.kind === 'answer');
    expect(answers.map((e) => e.seq)).toEqual(ops.map((_, i) => i + 1));
    // The second group's transaction started before the first group's answer ran.
    const secondAppend = events.findIndex((e) => e.kind === 'started' && e.first === 2);
    const firstAnswer = events.findIndex((e) => e.kind === 'answer' && e.seq === 1);
    expect(secondAppend).toBeGreaterThanOrEqual(0);
    expect(secondAppend).toBeLessThan(firstAnswer);
    // Every record is applied before it is answered.
    for (const answer of answers) {
      const applied = events.findIndex((e) => e.kind === 'apply' && e.seq === answer.seq);
      expect(applied).toBeGreaterThanOrEqual(0);
      expect(applied).toBeLessThan(events.indexOf(answer));
    }
    // The second group's answers are spread over turns, no turn answering more than a slice.
    const perTurn = new Map<number, number>();
    for (const answer of answers.slice(1)) perTurn.set(answer.turn, (perTurn.get(answer.turn) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(answerSliceMax);
    expect(perTurn.size).toBeGreaterThanOrEqual(Math.ceil((total - 1) / answerSliceMax));
    expectAnswersInSlices(events);
  });

  it('runs no answer between a hand-off and the start of its write, in a closed loop with slow answers', async () => {
    const events: Event[] = [];
    const { pipeline, groups } = recordedPipeline(events, () => 0);
    const total = 4000;
    let next = 1;
    let answered = 0;
    let allAnswered: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allAnswered = resolve));
    // Each answer takes ~20 µs (its caller's next call) and submits the next record: a slice then
    // outlasts a commit, so older groups' slices are still scheduled when the next group is handed off.
    const submitNext = (): void => {
      if (next > total) return;
      const op = durable(next++, events, () => 0);
      const resolve = op.entry.resolve;
      const slowResolve = (): void => {
        const until = performance.now() + 0.02;
        while (performance.now() < until) {
          // the caller's work before its next call
        }
        resolve();
        if (++answered === total) allAnswered();
        submitNext();
      };
      pipeline.submit({ ...op.entry, resolve: slowResolve });
    };
    for (let lane = 0; lane < 600; lane++) submitNext();
    await Promise.race([
      done,
      new Promise((_, reject) => setTimeout(() => reject(new Error('answers timed out')), 30_000)),
    ]);
    await pipeline.drained();
    expect(groups.reduce((sum, n) => sum + n, 0)).toBe(total);
    let handedOff: number | undefined;
    let answersWhileStarting = 0;
    for (const e of events) {
      if (e.kind === 'append') handedOff = e.first;
      if (e.kind === 'started' && e.first === handedOff) handedOff = undefined;
      if (e.kind === 'answer' && handedOff !== undefined) answersWhileStarting++;
    }
    // The case must have arisen: hand-offs while an older group still had answers to give.
    const handOffsWithAnswersLeft = events.filter((e, i) => e.kind === 'append' && events.slice(i).some((later) => later.kind === 'answer' && later.seq < e.first)).length;
    expect(handOffsWithAnswersLeft).toBeGreaterThan(2);
    expect(answersWhileStarting).toBe(0);
    expectAnswersInSlices(events);
  });

  it('is drained only once every durable record is answered', async () => {
    const events: Event[] = [];
    const { pipeline } = recordedPipeline(events, () => 0);
    const ops = Array.from({ length: 2 * answerSliceMax }, (_, i) => durable(i + 1, events, () => 0));
    for (const op of ops.reverse()) pipeline.submit(op.entry);
    await Promise.race([pipeline.drained(), new Promise((_, reject) => setTimeout(() => reject(new Error('drain timed out')), 10_000))]);
    expect(events.filter((e) => e.kind === 'answer')).toHaveLength(ops.length);
  });

  it('answers every other record when one answer throws, and reports the throw as a failure', async () => {
    const events: Event[] = [];
    const failures: unknown[] = [];
    const { pipeline } = recordedPipeline(events, () => 0, failures);
    const ops = Array.from({ length: answerSliceMax + 10 }, (_, i) => durable(i + 1, events, () => 0));
    const broken = new Error('an answer threw');
    const throwing: Durable = { ...ops[4]!.entry, resolve: () => { throw broken; } };
    for (const [i, op] of ops.entries()) if (i !== 4) pipeline.submit(op.entry);
    pipeline.submit(throwing);
    const others = ops.filter((_, i) => i !== 4).map((op) => op.answered);
    await Promise.race([
      Promise.all([...others, pipeline.drained()]),
      new Promise((_, reject) => setTimeout(() => reject(new Error('answers timed out')), 10_000)),
    ]);
    expect(failures).toEqual([broken]);
    expect(events.filter((e) => e.kind === 'answer')).toHaveLength(ops.length - 1);
    // The slice the throw ended was closed all the same.
    expectAnswersInSlices(events);
  });
});
