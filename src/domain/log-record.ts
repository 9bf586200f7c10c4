// One ordered-log record per applied operation. The log is the truth: balances, idempotency keys,
// refund totals and reconciliations are all derived from it. Fixed shape for every kind (unused
// fields hold -1, 0n or ''), so V8 keeps one hidden class on the hot path.
import type { OpKind } from './op-kind.js';

export interface LogRecord {
  readonly seq: number;
  readonly kind: OpKind;
  /** Primary account slot (transfer: from), or -1. */
  readonly slot: number;
  /** Transfer: to slot. setState: previous state code. Else -1. */
  readonly slot2: number;
  readonly amount: bigint;
  /** Chain name for mint, burn, reconcile; else ''. */
  readonly chain: string;
  /** Caller's idempotency key (unscoped), or ''. */
  readonly key: string;
  /** Refund: payment seq. Reconcile: mint seq. setState: new state code. Else -1. */
  readonly ref: number;
  /** Wall-clock ms when the operation was applied. */
  readonly at: number;
  /** create: the account id. Else ''. */
  readonly id: string;
}

export function makeRecord(fields: Partial<LogRecord> & Pick<LogRecord, 'seq' | 'kind' | 'at'>): LogRecord {
  return {
    seq: fields.seq,
    kind: fields.kind,
    slot: fields.slot ?? -1,
    slot2: fields.slot2 ?? -1,
    amount: fields.amount ?? 0n,
    chain: fields.chain ?? '',
    key: fields.key ?? '',
    ref: fields.ref ?? -1,
    at: fields.at,
    id: fields.id ?? '',
  };
}
