// Goal: the entry arena never hands out a region that overlaps one still in use (not both committed
// and dropped from the ring), keeps what was written into a region until it is reclaimed, and has
// room again once everything is reclaimed; method: fast-check runs of takes, commits and drops in
// log order against a model of the regions in use, each region filled with its own byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryArena } from '../dist/store/entry-arena.js';

type Step = { readonly take: number } | { readonly commit: true } | { readonly drop: true };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ take: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({ commit: fc.constant(true as const) }),
  fc.record({ drop: fc.constant(true as const) }),
);

interface Region {
  readonly bytes: Buffer;
  readonly tag: number;
}

describe('entry arena', () => {
  it('hands out regions that overlap none in use, and keeps their bytes until they are reclaimed', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const arena = new EntryArena(4096);
        const taken: Region[] = [];
        let committed = 0;
        let dropped = 0;
        let oldest = 0;
        for (const s of steps) {
          if ('take' in s) {
            const bytes = arena.take(s.take);
            if (bytes === undefined) continue;
            expect(bytes.length).toBe(s.take);
            expect(arena.holds(bytes)).toBe(true);
            const inUse = taken.slice(oldest);
            for (const other of inUse) expect(overlaps(bytes, other.bytes)).toBe(false);
            const tag = taken.length % 251;
            bytes.fill(tag);
            taken.push({ bytes, tag });
          } else if ('commit' in s && committed < taken.length) {
            arena.committed((taken[committed++] as Region).bytes);
          } else if ('drop' in s && dropped < taken.length) {
            arena.dropped((taken[dropped++] as Region).bytes);
          }
          oldest = Math.min(committed, dropped);
          // Every region still in use holds what was written into it.
          for (const region of taken.slice(oldest)) expect(region.bytes.every((byte) => byte === region.tag)).toBe(true);
          expect(arena.inUse).toBe(taken.length - oldest);
        }
        // Once every region is committed and dropped, the whole arena is free again.
        while (committed < taken.length) arena.committed((taken[committed++] as Region).bytes);
        while (dropped < taken.length) arena.dropped((taken[dropped++] as Region).bytes);
        expect(arena.inUse).toBe(0);
        expect(arena.take(4096)?.length).toBe(4096);
      }),
      { numRuns: 400 },
    );
  });

  it('wraps around to the start only where the regions in use leave room', () => {
    const arena = new EntryArena(4096);
    const a = arena.take(1500) as Buffer;
    const b = arena.take(1500) as Buffer;
    expect(arena.take(1500)).toBeUndefined();
    arena.committed(a);
    arena.dropped(a);
    const c = arena.take(1000) as Buffer;
    expect(c.byteOffset - a.byteOffset).toBe(3000);
    const d = arena.take(1200) as Buffer;
    expect(d.byteOffset - a.byteOffset).toBe(0);
    // Between d's end (1,200) and b's start (1,500) there are 300 bytes, not 500.
    expect(arena.take(500)).toBeUndefined();
    expect(arena.take(300)?.byteOffset).toBe(a.byteOffset + 1200);
    expect(arena.inUse).toBe(4);
    for (const region of [b, c, d]) arena.committed(region);
    expect(arena.inUse).toBe(4);
  });

  it('refuses commits and drops out of the order regions were handed out in', () => {
    const arena = new EntryArena(4096);
    arena.take(10);
    const second = arena.take(10) as Buffer;
    expect(() => arena.committed(second)).toThrow();
    expect(() => arena.dropped(second)).toThrow();
    expect(arena.holds(Buffer.alloc(10))).toBe(false);
  });
});

function overlaps(a: Buffer, b: Buffer): boolean {
  return a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
}
