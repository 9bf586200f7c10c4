// Goal: a key table's purge drops exactly the entries its rules drop and leaves every other one
// findable, however its clusters are packed; method: fast-check tables of up to 600 entries whose
// homes crowd a few stretches of a 1,024-slot shared table (so clusters run long and wrap round its
// end), some written, freed or expired, purged whole or in small steps with new keys added between
// steps as a worker would, then checked entry by entry against the rules; and the eviction cutoff
// weighed in steps of its own before the scan, as a table's step counts and sizes show.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyAbsent, keyNotHeld, KeyTable } from '../dist/engine/key-table.js';

const log2 = 10;
const now = 1_000_000;

interface Entry {
  readonly hash: number;
  readonly seq: number;
  readonly expiresAt: number;
  /** Written (taken) before the purge, and freed before that. */
  readonly written: boolean;
  readonly freed: boolean;
}

/** A hash homed at `home` (its top ten bits) with distinct low bits. */
const hashAt = (home: number, low: number): number => home * 2 ** (53 - log2) + low;

const entryShape = fc.record({
  stretch: fc.constantFrom(0, 300, 1_000),
  offset: fc.integer({ min: 0, max: 40 }),
  written: fc.boolean(),
  freed: fc.boolean(),
  expired: fc.boolean(),
});

/** Entries over a few crowded stretches of homes (1,000 + 40 wraps past slot 1,023). */
const entries = fc.array(entryShape, { minLength: 1, maxLength: 500, size: 'max' }).map((shapes) =>
  shapes.map(
    (s, i): Entry => ({
      hash: hashAt((s.stretch + s.offset) % 1_024, i + 1),
      seq: i + 1,
      expiresAt: s.expired ? now - 1 : now + 1_000,
      written: s.written,
      freed: s.freed,
    }),
  ),
);

/** Fills a shared table: the written entries first, taken as a key write would, then the rest. */
function tableOf(list: readonly Entry[]): KeyTable {
  const table = KeyTable.shared(log2);
  for (const e of list) if (e.written) table.add(e.hash, e.seq, e.expiresAt);
  for (const e of list) if (e.written && e.freed) table.free(e.hash, e.seq, e.expiresAt);
  table.takeChanges();
  for (const e of list) if (!e.written) table.add(e.hash, e.seq, e.expiresAt);
  for (const e of list) if (!e.written && e.freed) table.free(e.hash, e.seq, e.expiresAt);
  return table;
}

/** Runs a purge to its end, `between` called at every pause (a worker's turn). */
function drain(steps: Generator<void, void>, between: () => void = () => undefined): void {
  for (let n = 0; n < 100_000 && steps.next().done !== true; n++) between();
}

/** What lookup() should answer for an entry that is still held. */
function heldAnswer(e: Entry): number {
  return e.freed || e.expiresAt <= now ? keyAbsent : e.seq;
}

const lookup = (table: KeyTable, e: Entry): number => table.lookup(e.hash, now, (seq) => seq === e.seq);

describe('key table purge', () => {
  it('drops written entries that are freed or expired, keeps the rest findable, and counts them', () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: 1, max: 64 }), fc.boolean(), (list, slots, stepped) => {
        const table = tableOf(list);
        drain(table.purge(now, Number.MAX_SAFE_INTEGER, stepped ? slots : Number.POSITIVE_INFINITY));
        let live = 0;
        for (const e of list) {
          const drops = e.written && (e.freed || e.expiresAt <= now);
          expect(lookup(table, e)).toBe(drops ? keyNotHeld : heldAnswer(e));
          if (!drops && !e.freed) live++;
        }
        expect(table.size).toBe(live);
      }),
      { numRuns: 300 },
    );
  });

  it('weighs the eviction cutoff in two steps of its own, changing nothing until the scan', () => {
    // Each sampled slot of the cutoff's two passes is a cache miss: with the scan's first slice they
    // made one step of ~3 ms in a loaded run, every call in flight waiting for it.
    const table = KeyTable.shared(log2);
    for (let i = 1; i <= 600; i++) table.add(hashAt((i * 7) % 1_024, i), i, now + 1_000);
    table.takeChanges();
    const steps = table.purge(now, 100, Number.POSITIVE_INFINITY);
    for (const pass of ['seq range', 'histogram']) {
      expect(steps.next().done, pass).toBe(false);
      expect(table.size, pass).toBe(600);
    }
    expect(steps.next().done).toBe(true);
    // The oldest 500 evicted, about: the cutoff is a histogram's bucket boundary.
    expect(table.size).toBeLessThanOrEqual(100);
    expect(table.size).toBeGreaterThanOrEqual(90);
    // Nothing to evict, only expired entries to drop: no cutoff to weigh, the scan runs at once.
    expect(table.purge(now + 2_000, 1_000, Number.POSITIVE_INFINITY).next().done).toBe(true);
    expect(table.size).toBe(0);
  });

  it('evicts only written entries, and every entry it keeps or a worker adds meanwhile stays findable', () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 64 }), (list, keep, slots) => {
        const table = tableOf(list);
        // New keys arrive between the purge's steps, in the same crowded stretches.
        const added: Entry[] = [];
        const addOne = (): void => {
          if (added.length >= 100) return;
          const home = [5, 305, 1_010][added.length % 3] ?? 0;
          const e: Entry = { hash: hashAt(home, 10_000 + added.length), seq: 10_000 + added.length, expiresAt: now + 1_000, written: false, freed: false };
          table.add(e.hash, e.seq, e.expiresAt);
          added.push(e);
        };
        drain(table.purge(now, keep, slots), addOne);
        let live = 0;
        for (const e of [...list, ...added]) {
          const answer = lookup(table, e);
          if (e.written) {
            // Evicted or dropped, or held as it was.
            expect([keyNotHeld, heldAnswer(e)]).toContain(answer);
          } else {
            expect(answer).toBe(heldAnswer(e));
          }
          if (answer !== keyNotHeld && !e.freed) live++;
        }
        expect(table.size).toBe(live);
      }),
      { numRuns: 300 },
    );
  });
});
