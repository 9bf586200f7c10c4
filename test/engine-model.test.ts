// Goal: the engine behaves exactly like a plain in-memory ledger for every sequence of createAccount,
// mint, burn, transfer, pay, refund and reconcile (outcomes, replays, conflicts, balances, supply);
// method: fast-check model-based testing (fc.commands + fc.asyncModelRun), 200 runs, each on a fresh
// two-worker engine so that a failure shrinks to a minimal command list. fast-check prints the seed
// and the command path of any failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MintEngine } from '../dist/index.js';
import { freshEngine } from './fixtures/engine.js';

interface MintRecord { readonly id: string; readonly account: string; readonly amount: bigint; readonly chain: string; readonly key: string; reconciled: boolean }
interface Payment { readonly id: string; readonly account: string; readonly amount: bigint; refunded: bigint }

interface Model {
  readonly prefix: string;
  readonly balances: Map<string, bigint>;
  readonly chainSupply: Map<string, bigint>;
  /** scoped key -> fingerprint and the original successful result */
  readonly keys: Map<string, { fingerprint: string; result: Record<string, unknown> }>;
  readonly mints: MintRecord[];
  readonly payments: Payment[];
  supply: bigint;
}

interface Real {
  readonly engine: MintEngine;
  readonly supplyAtStart: bigint;
}

type Cmd = fc.AsyncCommand<Model, Real>;
const chains = ['ethereum', 'solana'];
const name = (m: Model, i: number) => `${m.prefix}a${i}`;
const scoped = (account: string, key: string) => `${account}|${key}`;

/**
 * The engine's order of rules: named accounts must exist (ACCOUNT_NOT_FOUND), then the key replays
 * or conflicts, then the operation runs and a success is remembered. Accounts are never deleted, so
 * a true replay always passes the first rule.
 */
async function keyed(
  m: Model,
  account: string,
  key: string,
  fingerprint: string,
  call: () => Promise<object>,
  apply: () => { ok: true } | { ok: false; code: string },
  others: readonly string[] = [],
): Promise<void> {
  const actual = (await call()) as Record<string, unknown>;
  if (![account, ...others].every((id) => m.balances.has(id))) {
    expect(actual).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
    return;
  }
  const known = m.keys.get(scoped(account, key));
  if (known !== undefined) {
    if (known.fingerprint === fingerprint) expect(actual).toEqual({ ...known.result, replayed: true });
    else expect(actual).toMatchObject({ ok: false, code: 'IDEMPOTENCY_CONFLICT' });
    return;
  }
  const expected = apply();
  if (!expected.ok) {
    expect(actual).toMatchObject({ ok: false, code: expected.code });
    return;
  }
  expect(actual).toMatchObject({ ok: true, replayed: false });
  m.keys.set(scoped(account, key), { fingerprint, result: actual });
}

function move(m: Model, account: string, delta: bigint): void {
  m.balances.set(account, (m.balances.get(account) ?? 0n) + delta);
}

class CreateAccount implements Cmd {
  constructor(readonly i: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const id = name(m, this.i);
    const result = await r.engine.createAccount(id);
    if (m.balances.has(id)) expect(result).toMatchObject({ ok: false, code: 'ACCOUNT_EXISTS' });
    else {
      expect(result).toMatchObject({ ok: true, account: id });
      m.balances.set(id, 0n);
    }
  }
  toString = () => `createAccount(a${this.i})`;
}

class MintCmd implements Cmd {
  constructor(readonly i: number, readonly amount: bigint, readonly chain: string, readonly key: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const account = name(m, this.i);
    const args = { account, amount: this.amount, chain: this.chain, idempotencyKey: this.key };
    let minted: Record<string, unknown> | undefined;
    await keyed(m, account, this.key, `mint ${this.amount} ${this.chain}`, async () => (minted = (await r.engine.mint(args)) as unknown as Record<string, unknown>), () => {
      move(m, account, this.amount);
      m.chainSupply.set(this.chain, (m.chainSupply.get(this.chain) ?? 0n) + this.amount);
      m.supply += this.amount;
      m.mints.push({ id: String(minted?.['mintId']), account, amount: this.amount, chain: this.chain, key: this.key, reconciled: false });
      return { ok: true };
    });
  }
  toString = () => `mint(a${this.i}, ${this.amount}, ${this.chain}, ${this.key})`;
}

class Burn implements Cmd {
  constructor(readonly i: number, readonly amount: bigint, readonly chain: string, readonly key: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const account = name(m, this.i);
    const args = { account, amount: this.amount, chain: this.chain, idempotencyKey: this.key };
    await keyed(m, account, this.key, `burn ${this.amount} ${this.chain}`, () => r.engine.burn(args), () => {
      if ((m.balances.get(account) ?? 0n) < this.amount || (m.chainSupply.get(this.chain) ?? 0n) < this.amount) {
        return { ok: false, code: 'INSUFFICIENT_FUNDS' };
      }
      move(m, account, -this.amount);
      m.chainSupply.set(this.chain, (m.chainSupply.get(this.chain) ?? 0n) - this.amount);
      m.supply -= this.amount;
      return { ok: true };
    });
  }
  toString = () => `burn(a${this.i}, ${this.amount}, ${this.chain}, ${this.key})`;
}

class Transfer implements Cmd {
  constructor(readonly i: number, readonly j: number, readonly amount: bigint, readonly key: string) {}
  check = () => this.i !== this.j;
  async run(m: Model, r: Real) {
    const from = name(m, this.i);
    const to = name(m, this.j);
    const args = { from, to, amount: this.amount, idempotencyKey: this.key };
    await keyed(m, from, this.key, `transfer ${to} ${this.amount}`, () => r.engine.transfer(args), () => {
      if ((m.balances.get(from) ?? 0n) < this.amount) return { ok: false, code: 'INSUFFICIENT_FUNDS' };
      move(m, from, -this.amount);
      move(m, to, this.amount);
      return { ok: true };
    }, [to]);
  }
  toString = () => `transfer(a${this.i} -> a${this.j}, ${this.amount}, ${this.key})`;
}

class Pay implements Cmd {
  constructor(readonly i: number, readonly amount: bigint, readonly key: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const account = name(m, this.i);
    let paid: Record<string, unknown> | undefined;
    const args = { account, amount: this.amount, idempotencyKey: this.key };
    await keyed(m, account, this.key, `pay ${this.amount}`, async () => (paid = (await r.engine.pay(args)) as unknown as Record<string, unknown>), () => {
      if ((m.balances.get(account) ?? 0n) < this.amount) return { ok: false, code: 'INSUFFICIENT_FUNDS' };
      move(m, account, -this.amount);
      m.payments.push({ id: String(paid?.['transactionId']), account, amount: this.amount, refunded: 0n });
      return { ok: true };
    });
  }
  toString = () => `pay(a${this.i}, ${this.amount}, ${this.key})`;
}

class Refund implements Cmd {
  constructor(readonly payment: number, readonly amount: bigint, readonly key: string, readonly otherAccount: boolean) {}
  check = (m: Readonly<Model>) => m.payments.length > 0;
  async run(m: Model, r: Real) {
    const payment = m.payments[this.payment % m.payments.length] as Payment;
    const account = this.otherAccount ? name(m, 3) : payment.account;
    const args = { account, amount: this.amount, idempotencyKey: this.key, originalTransactionId: payment.id };
    await keyed(m, account, this.key, `refund ${this.amount} ${payment.id}`, () => r.engine.refund(args), () => {
      if (account !== payment.account) return { ok: false, code: 'NOT_FOUND' };
      if (payment.refunded + this.amount > payment.amount) return { ok: false, code: 'REFUND_EXCEEDS_PAYMENT' };
      payment.refunded += this.amount;
      move(m, account, this.amount);
      return { ok: true };
    });
  }
  toString = () => `refund(payment ${this.payment}, ${this.amount}, ${this.key}${this.otherAccount ? ', other account' : ''})`;
}

class Reconcile implements Cmd {
  constructor(readonly mint: number) {}
  check = (m: Readonly<Model>) => m.mints.length > 0;
  async run(m: Model, r: Real) {
    const mint = m.mints[this.mint % m.mints.length] as MintRecord;
    const result = await r.engine.reconcileFailedMint(mint.id);
    if (mint.reconciled) return void expect(result).toMatchObject({ ok: false, code: 'ALREADY_RECONCILED' });
    if ((m.balances.get(mint.account) ?? 0n) < mint.amount || (m.chainSupply.get(mint.chain) ?? 0n) < mint.amount) {
      return void expect(result).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    }
    expect(result).toMatchObject({ ok: true, mintId: mint.id, amount: mint.amount });
    mint.reconciled = true;
    move(m, mint.account, -mint.amount);
    m.chainSupply.set(mint.chain, (m.chainSupply.get(mint.chain) ?? 0n) - mint.amount);
    m.supply -= mint.amount;
    const held = m.keys.get(scoped(mint.account, mint.key));
    if (held?.result['mintId'] === mint.id) m.keys.delete(scoped(mint.account, mint.key));
  }
  toString = () => `reconcile(mint ${this.mint})`;
}

let executed = 0;
/** Counts commands that actually ran (a command whose check fails is skipped). */
function counted(cmd: Cmd): Cmd {
  return {
    check: (m) => cmd.check(m),
    run: async (m, r) => {
      executed++;
      await cmd.run(m, r);
    },
    toString: () => cmd.toString(),
  };
}

const account = fc.nat(3);
const amount = fc.bigInt({ min: 1n, max: 60n });
const key = fc.constantFrom('k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7');
const chain = fc.constantFrom(...chains);
const commands = [
  account.map((i) => new CreateAccount(i) as Cmd),
  fc.tuple(account, amount, chain, key).map(([i, a, c, k]) => new MintCmd(i, a, c, k)),
  fc.tuple(account, amount, chain, key).map(([i, a, c, k]) => new Burn(i, a, c, k)),
  fc.tuple(account, account, amount, key).map(([i, j, a, k]) => new Transfer(i, j, a, k)),
  fc.tuple(account, amount, key).map(([i, a, k]) => new Pay(i, a, k)),
  fc.tuple(fc.nat(), amount, key, fc.boolean()).map(([p, a, k, o]) => new Refund(p, a, k, o)),
  fc.nat().map((i) => new Reconcile(i)),
].map((arbitrary) => arbitrary.map(counted));

describe('model-based: engine equals an in-memory ledger', () => {
  it('agrees on every outcome, replay and balance over 200 runs', { timeout: 240_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'large' }), async (cmds) => {
        const fixture = await freshEngine({ mintRateLimit: null, reserves: 'off', workers: 2, maxAccounts: 16 });
        try {
          const engine = fixture.engine;
          const model: Model = { prefix: `r${run++}-`, balances: new Map(), chainSupply: new Map(), keys: new Map(), mints: [], payments: [], supply: 0n };
          await fc.asyncModelRun(() => ({ model, real: { engine, supplyAtStart: 0n } }), cmds);
          for (const [id, balance] of model.balances) expect(await engine.balance(id)).toBe(balance);
          expect((await engine.supply()).total).toBe(model.supply);
        } finally {
          await fixture.dispose();
        }
      }),
      { numRuns: 200 },
    );
    expect(executed).toBeGreaterThan(2000);
  });
});
