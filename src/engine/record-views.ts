// What a log record means to a caller: its result object, its idempotency scope and fingerprint.
// Derived from the record alone, so a replay returns exactly what the first execution returned,
// whether the record is in memory or read back from the log after a restart.
import { accountStateFromCode } from '../domain/account-state.js';
import { assert } from '../domain/errors.js';
import {
  burnFingerprint,
  depositFingerprint,
  mintFingerprint,
  payFingerprint,
  refundFingerprint,
  reservesScope,
  transferFingerprint,
} from '../domain/fingerprint.js';
import { operationId } from '../domain/ids.js';
import type { LogRecord } from '../domain/log-record.js';
import type { WorkSpec } from './pending-op.js';
import { BurnAnswer, DepositAnswer, MintAnswer, PayAnswer, RefundAnswer, TransferAnswer } from './result-objects.js';

export type IdOf = (slot: number) => string;

/** The scope of a record's idempotency key, or undefined when it carries none of its own. */
export function keyScopeOf(record: LogRecord, idOf: IdOf): string | undefined {
  if (record.key === '' || record.kind === 'reconcile') return undefined;
  return record.kind === 'deposit' ? reservesScope : idOf(record.slot);
}

export function fingerprintOf(record: LogRecord, idOf: IdOf): string {
  switch (record.kind) {
    case 'mint':
      return mintFingerprint(idOf(record.slot), record.amount, record.chain);
    case 'burn':
      return burnFingerprint(idOf(record.slot), record.amount, record.chain);
    case 'transfer':
      return transferFingerprint(idOf(record.slot), idOf(record.slot2), record.amount);
    case 'pay':
      return payFingerprint(idOf(record.slot), record.amount);
    case 'refund':
      return refundFingerprint(idOf(record.slot), record.amount, operationId('pay', record.ref));
    case 'deposit':
      return depositFingerprint(record.amount);
    default:
      throw new Error(`shardmint internal assertion failed: ${record.kind} records carry no idempotency key`);
  }
}

/** The fingerprint of a worker operation not yet executed (the hot-path kinds). */
export function fingerprintOfSpec(spec: WorkSpec, idOf: IdOf): string {
  const amount = spec.amount ?? 0n;
  switch (spec.kind) {
    case 'mint':
      return mintFingerprint(idOf(spec.slot), amount, spec.chain ?? '');
    case 'burn':
      return burnFingerprint(idOf(spec.slot), amount, spec.chain ?? '');
    case 'transfer':
      return transferFingerprint(idOf(spec.slot), idOf(spec.slot2 ?? -1), amount);
    case 'pay':
      return payFingerprint(idOf(spec.slot), amount);
    default:
      throw new Error(`shardmint internal assertion failed: ${spec.kind} has no fingerprint from its parameters alone`);
  }
}

/**
 * The result a keyed operation returned; `replayed` says whether this answer is a replay. Each kind
 * is one class instance (result-objects.ts: never pretenured, unlike a literal), built with no
 * spreads: this runs once per operation. `primary` is the id of the record's primary account when
 * the caller has it (the call named it): looking it up by slot is a cache miss in an array of every
 * account's id, ~2% of the main thread once per operation.
 */
export function resultOf(record: LogRecord, idOf: IdOf, replayed: boolean, primary?: string): Record<string, unknown> {
  const id = operationId(record.kind, record.seq);
  const { amount, at: createdAt } = record;
  switch (record.kind) {
    case 'mint':
      return new MintAnswer(createdAt, replayed, id, primary ?? idOf(record.slot), amount, record.chain);
    case 'burn':
      return new BurnAnswer(createdAt, replayed, id, primary ?? idOf(record.slot), amount, record.chain);
    case 'transfer':
      return new TransferAnswer(createdAt, replayed, id, primary ?? idOf(record.slot), idOf(record.slot2), amount);
    case 'pay':
      return new PayAnswer(createdAt, replayed, id, primary ?? idOf(record.slot), amount);
    case 'refund':
      return new RefundAnswer(createdAt, replayed, id, operationId('pay', record.ref), primary ?? idOf(record.slot), amount);
    case 'deposit':
      return new DepositAnswer(createdAt, replayed, id, amount);
    default:
      throw new Error(`shardmint internal assertion failed: no keyed result for ${record.kind}`);
  }
}

export function reconcileResultOf(record: LogRecord, idOf: IdOf): Record<string, unknown> {
  assert(record.kind === 'reconcile', 'a reconciliation record');
  return {
    ok: true,
    mintId: operationId('mint', record.ref),
    reconciliationId: operationId('reconcile', record.seq),
    account: idOf(record.slot),
    amount: record.amount,
    chain: record.chain,
    createdAt: record.at,
  };
}

export function stateChangeResultOf(record: LogRecord, idOf: IdOf): Record<string, unknown> {
  assert(record.kind === 'setState', 'a state-change record');
  return {
    ok: true,
    account: idOf(record.slot),
    previousState: accountStateFromCode(record.slot2),
    state: accountStateFromCode(record.ref),
    createdAt: record.at,
  };
}
