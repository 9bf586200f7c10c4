// The audit after a stress run, independent of the engine's own bookkeeping: first the durable log is
// read directly (every acknowledged id must name a record of the same kind and key; no idempotency
// key may appear in two records), then the engine is reopened and every acknowledged key replayed
// (it must return the original result), and the recovered balances are compared with the balances
// that the acknowledged results alone imply.
import { sequenceOfId } from '../domain/ids.js';
import type { LogRecord } from '../domain/log-record.js';
import type { OpKind } from '../domain/op-kind.js';
import { MintEngine } from '../engine/mint-engine.js';
import type { MintEngineOptions } from '../engine/options.js';
import { LmdbStore } from '../store/lmdb-store.js';
import { sameResult, send, type Acknowledged } from './stress-workload.js';

export interface AuditResult {
  readonly moneyConserved: boolean;
  readonly noNegativeBalance: boolean;
  readonly balancesMatchAcknowledged: boolean;
  readonly lostAcknowledged: number;
  readonly duplicated: number;
  readonly invariantsHeld: boolean;
}

const replayChunk = 512;
const idFields: Record<string, string> = { mint: 'mintId', burn: 'burnId', transfer: 'transferId', pay: 'transactionId' };

/** Reads the whole log: acknowledged operations missing from it, and keys recorded more than once. */
function auditLog(path: string, acknowledged: readonly Acknowledged[]): { lost: Set<string>; duplicated: number } {
  const store = new LmdbStore({ directory: path, durability: 'flush' });
  const bySeq = new Map<number, LogRecord>();
  const perKey = new Map<string, number>();
  try {
    for (const group of store.readAfter(0)) {
      for (const record of group) {
        bySeq.set(record.seq, record);
        if (record.key === '' || record.kind === 'reconcile') continue;
        const scoped = `${record.kind === 'deposit' ? 'reserves' : record.slot}|${record.key}`;
        perKey.set(scoped, (perKey.get(scoped) ?? 0) + 1);
      }
    }
  } finally {
    void store.close();
  }
  const lost = new Set<string>();
  for (const { request, result } of acknowledged) {
    const seq = sequenceOfId(request.kind as OpKind, String(result[idFields[request.kind] ?? '']));
    const record = seq === undefined ? undefined : bySeq.get(seq);
    if (record === undefined || record.kind !== request.kind || record.key !== request.args.idempotencyKey) lost.add(request.args.idempotencyKey);
  }
  let duplicated = 0;
  for (const count of perKey.values()) duplicated += count - 1;
  return { lost, duplicated };
}

/** Balances and clearing implied by the acknowledged results alone. */
function expectedState(acknowledged: readonly Acknowledged[]): { balances: Map<string, bigint>; clearing: bigint; supply: bigint } {
  const balances = new Map<string, bigint>();
  const add = (id: string, delta: bigint): void => void balances.set(id, (balances.get(id) ?? 0n) + delta);
  let clearing = 0n;
  let supply = 0n;
  for (const { request } of acknowledged) {
    switch (request.kind) {
      case 'mint':
        add(request.args.account, request.args.amount);
        supply += request.args.amount;
        break;
      case 'burn':
        add(request.args.account, -request.args.amount);
        supply -= request.args.amount;
        break;
      case 'pay':
        add(request.args.account, -request.args.amount);
        clearing += request.args.amount;
        break;
      case 'transfer':
        add(request.args.from, -request.args.amount);
        add(request.args.to, request.args.amount);
        break;
    }
  }
  return { balances, clearing, supply };
}

export async function auditRun(options: MintEngineOptions, accounts: readonly string[], acknowledged: readonly Acknowledged[]): Promise<AuditResult> {
  const log = auditLog(options.path, acknowledged);
  const engine = await MintEngine.open({ ...options, faults: null, detectDeadlocks: false });
  try {
    const expected = expectedState(acknowledged);
    const supply = await engine.supply();
    let sum = 0n;
    let noNegativeBalance = true;
    let balancesMatchAcknowledged = supply.total === expected.supply && supply.paymentsClearing === expected.clearing;
    for (const id of accounts) {
      const balance = await engine.balance(id);
      sum += balance;
      if (balance < 0n) noNegativeBalance = false;
      if (balance !== (expected.balances.get(id) ?? 0n)) balancesMatchAcknowledged = false;
    }
    const chains = Object.values(supply.byChain).reduce((a, b) => a + b, 0n);
    const moneyConserved = sum + supply.paymentsClearing === supply.total && chains === supply.total;
    for (let start = 0; start < acknowledged.length; start += replayChunk) {
      const chunk = acknowledged.slice(start, start + replayChunk);
      const replays = await Promise.all(chunk.map(({ request }) => send(engine, request)));
      replays.forEach((replay, i) => {
        const { request, result } = chunk[i] as Acknowledged;
        if (!sameResult(replay as Record<string, unknown>, result)) log.lost.add(request.args.idempotencyKey);
      });
    }
    const lostAcknowledged = log.lost.size;
    const invariantsHeld = moneyConserved && noNegativeBalance && balancesMatchAcknowledged && lostAcknowledged === 0 && log.duplicated === 0;
    return { moneyConserved, noNegativeBalance, balancesMatchAcknowledged, lostAcknowledged, duplicated: log.duplicated, invariantsHeld };
  } finally {
    await engine.close();
  }
}
