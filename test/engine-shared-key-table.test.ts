// Goal: a shard's key table in shared memory answers a worker's probe by hash alone exactly as the
// rule says (the one live entry of a hash is a replay candidate; any other entry of the hash sends
// the key to the main thread), never loses an entry to add() or free(), is the same table seen
// from a worker's attached view, and refuses new keys past its load limit; and the shared filter of
// keys on disk has no false negatives through a worker's view; method: fast-check command sequences
// (add, free, probe, time) over keys whose hashes collide on purpose, checked against a model, on
// the owner's table and an attached view of it in turn.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyFilter } from '../dist/engine/key-filter.js';
import { keyCheck, keyNotHeld, KeyTable } from '../dist/engine/key-table.js';

/** Three hashes homed at the last slots of a 1,024-slot table, so clusters wrap round its end. */
const hashes = [1022, 1023, 0].map((home) => home * 2 ** 43 + 1);

type Command =
  | { readonly op: 'add'; readonly hash: number; readonly ttl: number }
  | { readonly op: 'free'; readonly hash: number; readonly known: boolean }
  | { readonly op: 'advance'; readonly ms: number }
  | { readonly op: 'probe'; readonly hash: number };

const hash = fc.constantFrom(...hashes);
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), hash, ttl: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ op: fc.constant('free' as const), hash, known: fc.boolean() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('probe' as const), hash }),
);

interface Entry {
  readonly hash: number;
  readonly seq: number;
  readonly expiresAt: number;
  freed: boolean;
}

/** The probe rule over the model's entries. */
function expectedProbe(entries: readonly Entry[], hash: number, now: number): number {
  const ofHash = entries.filter((e) => e.hash === hash);
  const live = ofHash.filter((e) => !e.freed && e.expiresAt > now);
  if (ofHash.length === 0) return keyNotHeld;
  return live.length === 1 && ofHash.length === 1 ? (live[0] as Entry).seq : keyCheck;
}

describe('shared key table', () => {
  it('answers probes by the rule, from the owner and from an attached view alike', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        const owner = KeyTable.shared(10);
        const view = KeyTable.attach(owner.buffer);
        const entries: Entry[] = [];
        let now = 1_000;
        let seq = 0;
        commands.forEach((c, step) => {
          // Owner and worker take turns, as the main thread and a shard's worker do.
          const table = step % 2 === 0 ? owner : view;
          if (c.op === 'add') {
            seq++;
            table.add(c.hash, seq, now + c.ttl);
            entries.push({ hash: c.hash, seq, expiresAt: now + c.ttl, freed: false });
          } else if (c.op === 'free') {
            const target = c.known ? entries.find((e) => e.hash === c.hash && !e.freed) : undefined;
            const freedSeq = target?.seq ?? ++seq;
            table.free(c.hash, freedSeq, now + 50);
            if (target !== undefined) target.freed = true;
            else entries.push({ hash: c.hash, seq: freedSeq, expiresAt: now + 50, freed: true });
          } else if (c.op === 'advance') now += c.ms;
          else expect(table.probe(c.hash, now)).toBe(expectedProbe(entries, c.hash, now));
          expect(owner.size).toBe(entries.filter((e) => !e.freed).length);
          expect(view.size).toBe(owner.size);
        });
        for (const h of hashes) expect(view.probe(h, now)).toBe(expectedProbe(entries, h, now));
      }),
    );
  });

  it('finds the newest entry of a key for the main thread, whatever the older ones say', () => {
    const table = KeyTable.shared(10);
    const h = hashes[0] as number;
    const isKey = (seq: number): boolean => seq !== 2;
    table.add(h, 1, 5_000);
    table.free(h, 1, 5_000);
    table.add(h, 2, 5_000); // another key with the same hash
    table.add(h, 3, 5_000);
    expect(table.probe(h, 1_000)).toBe(keyCheck);
    expect(table.lookupNewest(h, 1_000, isKey)).toBe(3);
    expect(table.lookupNewest(h, 6_000, isKey)).toBe(-1);
    // add() of an entry already there (a repair after its worker added it) changes nothing.
    table.add(h, 3, 5_000);
    expect(table.size).toBe(2);
  });

  it('keeps the entries recovery rebuilt, however many, and refuses new keys past its load limit', () => {
    // Recovery adds to a table of its own, which grows past its first size.
    const recovered = new KeyTable(10);
    for (let seq = 1; seq <= 5_000; seq++) recovered.add((seq * 2654435761) % 2 ** 53, seq, 9_000);
    recovered.add(hashes[1] as number, 7_777, 9_000);
    expect(recovered.capacity).toBeGreaterThan(5_000);
    const big = KeyTable.shared(10, recovered);
    expect(big.size).toBe(5_001);
    expect(big.probe(hashes[1] as number, 0)).toBe(7_777);
    expect(big.probe((4_321 * 2654435761) % 2 ** 53, 0)).toBe(4_321);
    const table = KeyTable.shared(10);
    let seq = 100;
    while (!table.full) table.add(seq * 2 ** 20, seq++, 9_000);
    expect(table.size).toBeGreaterThanOrEqual(Math.floor(1024 * 0.9) - 1);
    expect(KeyTable.attach(table.buffer).full).toBe(true);
    expect(() => table.add(1, seq, 9_000)).toThrow(/room/);
  });

  it('shares its filter of keys on disk with a worker, without false negatives', () => {
    const filter = new KeyFilter(true, 20);
    const view = KeyFilter.attach(filter.buffer);
    const added = Array.from({ length: 3_000_000 }, (_, i) => ((i * 2654435761) % 2 ** 21) * 2 ** 32 + i + 1);
    expect(view.mayContain(added[0] as number)).toBe(false);
    for (const h of added) filter.add(h, 1e12);
    // Past the first stage (2^20 keys): the view reads the stage count from shared memory.
    expect(added.every((h) => view.mayContain(h))).toBe(true);
  });
});
