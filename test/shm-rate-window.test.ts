// Goal: the shared-memory sliding window is exact: no window of windowMs ever holds more than
// maxPerWindow accepted mints, a refusal happens only when the window is truly full, and its
// retryAfterMs is exactly when a mint fits again; method: fast-check over random attempt schedules
// (with clock steps backwards) against a brute-force count of accepted times.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createViews, ShmLayout } from '../dist/shm/layout.js';
import { RateWindows } from '../dist/shm/rate-window.js';

function windows(maxPerWindow: number, windowMs: number, accounts: number): RateWindows {
  const layout = new ShmLayout({ maxAccounts: accounts, maxPerWindow });
  return new RateWindows(createViews(new SharedArrayBuffer(layout.totalBytes)), layout, maxPerWindow, windowMs);
}

describe('rate window', () => {
  it('never lets a window hold more than maxPerWindow, and refuses only when full', () => {
    const attempt = fc.record({ account: fc.nat(2), stepMs: fc.integer({ min: -50, max: 400 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(attempt, { minLength: 1, maxLength: 300 }),
        (maxPerWindow, windowMs, attempts) => {
          const rate = windows(maxPerWindow, windowMs, 3);
          const accepted: number[][] = [[], [], []];
          let clock = 1_700_000_000_000;
          for (const { account, stepMs } of attempts) {
            clock += stepMs;
            const times = accepted[account] as number[];
            const effective = Math.max(clock, times[times.length - 1] ?? 0);
            const inWindow = times.filter((t) => t > effective - windowMs).length;
            const decision = rate.check(account, clock);
            if (decision.allowed) {
              if (inWindow >= maxPerWindow) return false;
              rate.record(account, clock);
              times.push(effective);
            } else {
              if (inWindow < maxPerWindow) return false;
              const oldestCounted = times.filter((t) => t > effective - windowMs)[0] as number;
              if (decision.retryAfterMs !== oldestCounted + windowMs - effective) return false;
            }
          }
          return accepted.every((times) =>
            times.every((start) => times.filter((t) => t >= start && t < start + windowMs).length <= maxPerWindow),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('forgets a window once its newest mint is older than windowMs', () => {
    const rate = windows(2, 1000, 1);
    const t0 = 1_700_000_000_000;
    rate.record(0, t0);
    rate.record(0, t0 + 1);
    expect(rate.check(0, t0 + 2).allowed).toBe(false);
    expect(rate.check(0, t0 + 1000).allowed).toBe(true);
    expect(rate.countInWindow(0, t0 + 5000)).toBe(0);
  });
});
