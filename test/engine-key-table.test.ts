// Goal: the compact idempotency-key table answers every key exactly as a plain map of keys would,
// with the disk as the fallback for what it evicted, even when keys share a hash; method: fast-check
// command sequences (remember, forget, time, write-out, purge with a small cap, run whole or paused
// between steps while other commands run) over keys whose
// hashes collide on purpose, checked against a model after every step, with the written changes
// applied to a disk map the way the store applies them; and, for eviction by a sampled cutoff,
// that a purge keeps about the newest keys it was asked to keep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyHash, keyHashLow } from '../dist/domain/key-hash.js';
import { keyAbsent, keyNotHeld, KeyTable } from '../dist/engine/key-table.js';
import type { KeyChanges } from '../dist/store/store.js';

const keyNames = Array.from({ length: 5 }, (_, i) => `k${i}`);
/** Three hashes for five keys, homed (by their top ten bits) at slots 1022, 1023 and 0 of the
 * 1,024-slot table: most probes meet another key's entry first, and clusters wrap round its end. */
const hashOf = (name: string): number => ((1022 + (Number(name.slice(1)) % 3)) % 1024) * 2 ** 43 + 1;

type Command =
  | { readonly op: 'remember'; readonly key: string; readonly ttl: number }
  | { readonly op: 'forget'; readonly key: string; readonly current: boolean }
  | { readonly op: 'advance'; readonly ms: number }
  | { readonly op: 'write' }
  | { readonly op: 'take' }
  | { readonly op: 'land' }
  | { readonly op: 'purge'; readonly keep: number }
  | { readonly op: 'purgeStep'; readonly keep: number; readonly slots: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('remember' as const), key: fc.constantFrom(...keyNames), ttl: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ op: fc.constant('forget' as const), key: fc.constantFrom(...keyNames), current: fc.boolean() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ op: fc.constant('write' as const) }),
  fc.record({ op: fc.constant('take' as const) }),
  fc.record({ op: fc.constant('land' as const) }),
  fc.record({ op: fc.constant('purge' as const), keep: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('purgeStep' as const), keep: fc.integer({ min: 0, max: 3 }), slots: fc.integer({ min: 1, max: 400 }) }),
);

function drain(steps: Generator<void, void>): void {
  for (let n = 0; n < 1_000_000 && steps.next().done !== true; n++);
}

class World {
  readonly table = new KeyTable(10);
  /** Which key each log record carries. */
  readonly recordKey = new Map<number, string>();
  /** The model: each key's newest record, expiry and whether it was freed. */
  readonly model = new Map<string, { seq: number; expiresAt: number; freed: boolean }>();
  /** The disk: "hash:seq" -> expiry, as the store keeps it. */
  readonly disk = new Map<string, { hash: number; seq: number; expiresAt: number }>();
  now = 1_000;
  seq = 0;
  paused: Generator<void, void> | undefined;
  /** Changes taken and not yet on disk: as in the engine, no purge starts until they land. */
  inFlight: KeyChanges | undefined;

  matcher(name: string): (seq: number) => boolean {
    return (seq) => this.recordKey.get(seq) === name;
  }

  apply(c: Command): void {
    if (c.op === 'advance') this.now += c.ms;
    else if (c.op === 'remember') this.remember(c.key, c.ttl);
    else if (c.op === 'forget') this.forget(c.key, c.current);
    else if (c.op === 'write') this.write();
    else if (c.op === 'take') this.take();
    else if (c.op === 'land') this.land();
    else if (c.op === 'purgeStep') this.purgeStep(c.keep, c.slots);
    else if (this.inFlight === undefined) drain(this.table.purge(this.now, c.keep));
  }

  /** Advances a paused purge by one step (starting one if none is paused), as the engine does per turn. */
  purgeStep(keep: number, slots: number): void {
    // A purge never starts while a write is under way; one paused before the take may go on (and
    // must then stop, since what it would evict may not be on disk yet).
    if (this.paused === undefined && this.inFlight !== undefined) return;
    this.paused ??= this.table.purge(this.now, keep, slots);
    if (this.paused.next().done === true) this.paused = undefined;
  }

  remember(name: string, ttl: number): void {
    // As in the engine: only a key that is not live executes (and is then remembered); a live one replays.
    if (this.lookup(name) !== 0) return;
    const seq = ++this.seq;
    this.recordKey.set(seq, name);
    this.table.remember(hashOf(name), seq, this.now + ttl, this.matcher(name));
    this.model.set(name, { seq, expiresAt: this.now + ttl, freed: false });
  }

  forget(name: string, current: boolean): void {
    const entry = this.model.get(name);
    if (entry === undefined) return;
    const seq = current ? entry.seq : entry.seq - 1;
    if (this.table.forget(hashOf(name), seq, this.matcher(name))) {
      if (seq === entry.seq) entry.freed = true;
      return;
    }
    // What IdempotencyIndex does for a key only on disk.
    const written = this.newestOnDisk(name);
    if (written !== undefined && written.seq === seq) {
      this.table.holdFreed(hashOf(name), seq, written.expiresAt);
      entry.freed = true;
    }
  }

  write(): void {
    this.take();
    this.land();
  }

  /** Takes changes whose write is still under way (the engine's checkpoint between take and land). */
  take(): void {
    if (this.inFlight === undefined) this.inFlight = this.table.takeChanges();
  }

  land(): void {
    const changes = this.inFlight;
    this.inFlight = undefined;
    if (changes === undefined) return;
    for (let i = 0; i < changes.count; i++) {
      const hash = changes.hash[i] ?? 0;
      const seq = changes.seq[i] ?? 0;
      const expiresAt = changes.expiresAt[i] ?? Number.NaN;
      if (Number.isNaN(expiresAt)) this.disk.delete(`${hash}:${seq}`);
      else this.disk.set(`${hash}:${seq}`, { hash, seq, expiresAt });
    }
  }

  newestOnDisk(name: string): { seq: number; expiresAt: number } | undefined {
    let newest: { seq: number; expiresAt: number } | undefined;
    for (const entry of this.disk.values()) {
      if (entry.hash !== hashOf(name) || this.recordKey.get(entry.seq) !== name) continue;
      if (newest === undefined || entry.seq > newest.seq) newest = entry;
    }
    return newest;
  }

  /** What the engine's lookup answers: memory first, then the disk. */
  lookup(name: string): number {
    const held = this.table.lookup(hashOf(name), this.now, this.matcher(name));
    if (held === keyAbsent) return 0;
    if (held !== keyNotHeld) return held;
    const written = this.newestOnDisk(name);
    return written !== undefined && written.expiresAt > this.now ? written.seq : 0;
  }

  expected(name: string): number {
    const entry = this.model.get(name);
    return entry === undefined || entry.freed || entry.expiresAt <= this.now ? 0 : entry.seq;
  }
}

describe('key table', () => {
  it('answers like a map of keys, with the disk behind it, across collisions, eviction and freeing', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 120 }), (commands) => {
        const world = new World();
        for (const c of commands) {
          world.apply(c);
          for (const name of keyNames) expect(world.lookup(name), `${name} after ${JSON.stringify(c)}`).toBe(world.expected(name));
        }
        // Once everything is written and purged to nothing, the disk alone answers the same.
        world.write();
        drain(world.table.purge(world.now, 0));
        for (const name of keyNames) expect(world.lookup(name)).toBe(world.expected(name));
      }),
      { numRuns: 2500 },
    );
  });

  it('keeps a key freed after its entry was evicted to disk freed', () => {
    const world = new World();
    for (const c of [{ op: 'remember', key: 'k0', ttl: 50 }, { op: 'write' }, { op: 'purge', keep: 0 }, { op: 'forget', key: 'k0', current: true }] as const) world.apply(c);
    expect(world.table.size).toBe(0);
    expect(world.lookup('k0')).toBe(0);
    world.write();
    drain(world.table.purge(world.now, 0));
    expect(world.lookup('k0')).toBe(0);
  });

  it('deletes a replaced entry from disk, so a key freed twice does not come back', () => {
    const world = new World();
    const steps: Command[] = [
      { op: 'remember', key: 'k0', ttl: 100 },
      { op: 'write' },
      { op: 'forget', key: 'k0', current: true },
      { op: 'remember', key: 'k0', ttl: 100 },
      { op: 'write' },
      { op: 'forget', key: 'k0', current: true },
      { op: 'write' },
      { op: 'purge', keep: 0 },
    ];
    for (const c of steps) world.apply(c);
    expect(world.lookup('k0')).toBe(0);
  });

  it('stops a paused purge once changes are taken, before their write lands', () => {
    const world = new World();
    const steps: Command[] = [
      { op: 'remember', key: 'k1', ttl: 1 },
      { op: 'remember', key: 'k0', ttl: 100 },
      { op: 'write' },
      // k1 expires: a reason to purge, which then pauses before it reaches k0.
      { op: 'advance', ms: 5 },
      { op: 'purgeStep', keep: 3, slots: 1 },
      { op: 'forget', key: 'k0', current: true },
      { op: 'take' },
      { op: 'purgeStep', keep: 3, slots: 1 },
    ];
    for (const c of steps) world.apply(c);
    for (let n = 0; n < 2_000 && world.paused !== undefined; n++) world.apply({ op: 'purgeStep', keep: 3, slots: 1 });
    expect(world.lookup('k0')).toBe(0);
    world.apply({ op: 'land' });
    expect(world.lookup('k0')).toBe(0);
  });

  it('evicts about the oldest written keys down to what it keeps, though it samples for the cutoff', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20_000, max: 120_000 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (count, share) => {
        const table = new KeyTable(12);
        for (let seq = 1; seq <= count; seq++) table.remember(keyHash('acct', `key-${seq}`), seq, 1e15, () => false);
        table.takeChanges();
        const keep = Math.floor(count * share);
        drain(table.purge(0, keep));
        // Within 2% of all keys: the sample's error, far inside the quarter a checkpoint evicts.
        const slack = Math.ceil(count * 0.02);
        expect(table.size).toBeLessThanOrEqual(keep + slack);
        expect(table.size).toBeGreaterThanOrEqual(keep - slack);
        // What stayed are the newest: the oldest key kept is about count - keep.
        const kept = (seq: number): boolean => table.lookup(keyHash('acct', `key-${seq}`), 0, (s) => s === seq) === seq;
        const oldestKept = Array.from({ length: count }, (_, i) => i + 1).find(kept) ?? count;
        expect(oldestKept).toBeGreaterThanOrEqual(count - keep - slack);
        expect(oldestKept).toBeLessThanOrEqual(count - keep + slack);
      }),
      { numRuns: 12 },
    );
  });

  it('grows past its first size and keeps every key', () => {
    const table = new KeyTable(10);
    const count = 20_000;
    for (let i = 1; i <= count; i++) table.remember(keyHash('acct', `key-${i}`), i, 1e15, () => false);
    expect(table.size).toBe(count);
    let found = 0;
    for (let i = 1; i <= count; i++) if (table.lookup(keyHash('acct', `key-${i}`), 0, (seq) => seq === i) === i) found++;
    expect(found).toBe(count);
  });
});

describe('key hash', () => {
  it('is a positive safe integer that tells scope from key', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (scope, key) => {
        const hash = keyHash(scope, key);
        expect(Number.isSafeInteger(hash) && hash > 0).toBe(true);
        expect(keyHashLow(hash)).toBe(hash % 2 ** 32);
      }),
    );
    expect(keyHash('ab', 'c')).not.toBe(keyHash('a', 'bc'));
    expect(keyHash('alice', 'k1')).not.toBe(keyHash('bob', 'k1'));
  });
});
