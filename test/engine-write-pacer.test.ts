// Goal: the write pacer waits between every step of a write, however long the write has run, and
// never while memory holds its cap of keys or once the engine is closing; method: fast-check
// sequences of steps, some urgent, some long after the write began, checked against that rule, and
// the pause itself awaited on real timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WritePacer } from '../dist/engine/write-pacer.js';

describe('write pacer', () => {
  it('paces every step unless memory holds its cap, and never once hurried', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ urgent: fc.boolean(), hurry: fc.boolean() }), { maxLength: 60 }), (steps) => {
        let urgent = false;
        let hurried = false;
        const pacer = new WritePacer(() => urgent);
        for (const step of steps) {
          urgent = step.urgent;
          if (step.hurry && !hurried) {
            pacer.hurry();
            hurried = true;
          }
          expect(pacer.delayMs()).toBe(urgent || hurried ? 0 : 2);
        }
      }),
    );
  });

  it('keeps pacing a write that has run for long', async () => {
    const pacer = new WritePacer(() => false);
    expect(pacer.delayMs()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(pacer.delayMs()).toBe(2);
  });

  it('resolves its pause on a timer, and at the next turn when urgent', async () => {
    let urgent = false;
    const pacer = new WritePacer(() => urgent);
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
