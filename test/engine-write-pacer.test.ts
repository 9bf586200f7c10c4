// Goal: the write pacer waits between a write's steps only while the write is within half the time
// since the previous write began, and never once memory holds its cap or the engine is closing;
// method: fast-check sequences of writes and steps on a stepped clock, checked against that rule,
// and the pause itself awaited on real timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WritePacer } from '../dist/engine/write-pacer.js';

type Step = { readonly op: 'begin'; readonly after: number } | { readonly op: 'step'; readonly after: number; readonly urgent: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('begin' as const), after: fc.integer({ min: 0, max: 5_000 }) }),
  fc.record({ op: fc.constant('step' as const), after: fc.integer({ min: 0, max: 400 }), urgent: fc.boolean() }),
);

describe('write pacer', () => {
  it('paces a step only within half the time since the previous write began, and never when urgent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(step, { maxLength: 60 }), (openedAt, steps) => {
        let now = openedAt;
        let urgent = false;
        const pacer = new WritePacer(() => urgent, () => now);
        let lastBegin = openedAt;
        let budget = 0;
        for (const s of steps) {
          now += s.after;
          if (s.op === 'begin') {
            budget = (now - lastBegin) / 2;
            lastBegin = now;
            pacer.begin();
            continue;
          }
          urgent = s.urgent;
          const expected = !urgent && now - lastBegin < budget ? 2 : 0;
          expect(pacer.delayMs()).toBe(expected);
        }
      }),
    );
  });

  it('stops pacing for good once hurried', () => {
    let now = 0;
    const pacer = new WritePacer(() => false, () => now);
    now = 1_000;
    pacer.begin();
    now = 1_010;
    expect(pacer.delayMs()).toBe(2);
    pacer.hurry();
    expect(pacer.delayMs()).toBe(0);
    now = 5_000;
    pacer.begin();
    expect(pacer.delayMs()).toBe(0);
  });

  it('resolves its pause on a timer within budget and at the next turn otherwise', async () => {
    let urgent = false;
    const pacer = new WritePacer(() => urgent);
    await new Promise((resolve) => setTimeout(resolve, 50));
    pacer.begin();
    const paced = { done: false };
    const timed = pacer.pause().then(() => (paced.done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(paced.done).toBe(false);
    await timed;
    urgent = true;
    const next = { done: false };
    const turn = pacer.pause().then(() => (next.done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(next.done).toBe(true);
    await turn;
  });
});
