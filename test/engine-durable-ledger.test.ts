// Goal: the durable mirror's supply counters (int64 cells, not bigints) follow every mint and burn
// exactly, per chain and in total, and a sum past int64 fails loudly instead of wrapping; method:
// fast-check runs of supply moves against a plain bigint model, and one move past 2^63-1.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurableLedger } from '../dist/engine/durable-ledger.js';

const chains = ['ethereum', 'solana'];
const int64Max = 2n ** 63n - 1n;

describe('the durable ledger\'s supply', () => {
  it('equals the sum of the moves, per chain and in total, with every balance', () => {
    const move = fc.record({ slot: fc.nat(7), chain: fc.constantFrom(...chains, 'dropped'), amount: fc.bigInt(1n, 2n ** 60n), burn: fc.boolean() });
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
