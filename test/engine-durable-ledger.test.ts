// Goal: the durable mirror's supply counters (int64 cells, not bigints) follow every mint and burn
// exactly, per chain and in total, and a sum past int64 fails loudly instead of wrapping; and a
// checkpoint's accounts are the changed chunks' accounts as they stood when taken, however the
// mirror moves while they are listed a step at a time; method: fast-check runs of supply moves and
// of account changes against plain models, and one move past 2^63-1.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurableLedger } from '../dist/engine/durable-ledger.js';
import { accountChunkSlots } from '../dist/store/store.js';

const chains = ['ethereum', 'solana'];
const int64Max = 2n ** 63n - 1n;

describe('the durable ledger\'s supply', () => {
  it('equals the sum of the moves, per chain and in total, with every balance', () => {
    const move = fc.record({ slot: fc.nat(7), chain: fc.constantFrom(...chains, 'dropped'), amount: fc.bigInt(1n, 2n ** 55n), burn: fc.boolean() });
    fc.assert(
      fc.property(fc.array(move, { maxLength: 200 }), (moves) => {
        const ledger = new DurableLedger(8, chains);
        const balances = new Map<number, bigint>();
        const byChain = new Map<string, bigint>(chains.map((c) => [c, 0n]));
        for (const { slot, chain, amount, burn } of moves) {
          // Burns only of what the account and the chain hold, as the workers allow.
          const canBurn = (balances.get(slot) ?? 0n) >= amount && (byChain.get(chain) ?? 0n) >= amount;
          if (burn && !canBurn) continue;
          const delta = burn ? -amount : amount;
          ledger.moveSupply(slot, chain, delta);
          balances.set(slot, (balances.get(slot) ?? 0n) + delta);
          byChain.set(chain, (byChain.get(chain) ?? 0n) + delta);
        }
        const total = [...byChain.values()].reduce((sum, v) => sum + v, 0n);
        expect(ledger.supply).toBe(total);
        expect(ledger.chainSupplies()).toEqual(byChain);
        for (const [slot, balance] of balances) expect(ledger.balance(slot)).toBe(balance);
      }),
    );
  });

  it('fails a move that would take the supply past int64', () => {
    const ledger = new DurableLedger(2, chains);
    ledger.moveSupply(0, 'ethereum', int64Max - 1n);
    expect(() => ledger.moveSupply(1, 'solana', 2n)).toThrow(/supply never goes negative/);
  });
});

describe('a checkpoint\'s accounts', () => {
  /** Nine chunks and a part of a tenth (the last chunk copied may be a partial one): listed in up to three steps. */
  const slots = 9 * accountChunkSlots + 40;
  type Change = { readonly slot: number; readonly kind: 'create' | 'add' | 'state'; readonly value: number };
  const change: fc.Arbitrary<Change> = fc.record({ slot: fc.nat(slots - 1), kind: fc.constantFrom('create', 'add', 'state'), value: fc.integer({ min: 1, max: 250 }) });
  type Model = Map<number, { balance: bigint; state: number }>;

  /** Applies what the workers could: a create once per slot, balances and states of created accounts. */
  function apply(ledger: DurableLedger, model: Model, changes: readonly Change[], dirty: Set<number>): void {
    for (const { slot, kind, value } of changes) {
      const account = model.get(slot);
      if (kind === 'create' && account === undefined) {
        ledger.create(slot);
        model.set(slot, { balance: 0n, state: 0 });
      } else if (kind === 'add' && account !== undefined) {
        ledger.addBalance(slot, BigInt(value));
        account.balance += BigInt(value);
      } else if (kind === 'state' && account !== undefined) {
        ledger.setState(slot, value);
        account.state = value;
      } else continue;
      dirty.add(Math.floor(slot / accountChunkSlots));
    }
  }

  /** The rows a checkpoint must hold: every account of the dirty chunks, as the model holds it now. */
  function expected(model: Model, dirty: ReadonlySet<number>): Array<[number, bigint, number, string]> {
    return [...model]
      .filter(([slot]) => dirty.has(Math.floor(slot / accountChunkSlots)))
      .sort(([a], [b]) => a - b)
      .map(([slot, { balance, state }]) => [slot, balance, state, `id-${slot}`]);
  }

  it('lists the changed chunks\' accounts as they stood when taken, and the next take has what changed since', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(change, { maxLength: 600, size: 'max' }), fc.array(change, { maxLength: 300, size: 'max' }), async (before, meanwhile) => {
        const ledger = new DurableLedger(slots, ['ethereum']);
        const model: Model = new Map();
        const dirty = new Set<number>();
        apply(ledger, model, before, dirty);
        const taken = ledger.takeDirtyAccounts();
        const want = expected(model, dirty);
        // The mirror moves on between the steps of the listing (new accounts in the same chunks too).
        const later = new Set<number>();
        let pauses = 0;
        const rows = await taken.rows((slot) => `id-${slot}`, async () => {
          pauses++;
          apply(ledger, model, meanwhile.splice(0, 40), later);
        });
        apply(ledger, model, meanwhile, later);
        const got = Array.from({ length: rows.count }, (_, i) => [rows.slot[i], rows.balance[i], rows.stateCode[i], rows.id[i]]);
        expect(got).toEqual(want);
        expect(pauses).toBe(Math.max(0, Math.ceil(dirty.size / 4) - 1));
        const next = await ledger.takeDirtyAccounts().rows((slot) => `id-${slot}`, async () => {});
        const gotNext = Array.from({ length: next.count }, (_, i) => [next.slot[i], next.balance[i], next.stateCode[i], next.id[i]]);
        expect(gotNext).toEqual(expected(model, later));
      }),
      { numRuns: 200 },
    );
  });
});
