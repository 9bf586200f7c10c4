// Business outcomes: every operation resolves to a success or one of these refusals. Refusals are
// results, not exceptions, because a caller can cause them with valid input.

export const refusalCodes = [
  'RATE_LIMITED',
  'INSUFFICIENT_FUNDS',
  'IDEMPOTENCY_CONFLICT',
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_EXISTS',
  'ACCOUNT_NOT_ACTIVE',
  'RESERVES_EXCEEDED',
  'REFUND_EXCEEDS_PAYMENT',
  'ALREADY_RECONCILED',
  'NOT_FOUND',
  'INVALID_TRANSITION',
] as const;
export type RefusalCode = (typeof refusalCodes)[number];

export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  readonly message: string;
  readonly retryAfterMs?: number;
}

export function refuse(code: RefusalCode, message: string, retryAfterMs?: number): Refusal {
  return retryAfterMs === undefined ? { ok: false, code, message } : { ok: false, code, message, retryAfterMs };
}

/** Wire codes between workers and the main thread: 0 is success, n is refusalCodes[n - 1]. */
export const wireOk = 0;
export const wireLockTimeout = 255;
/** The key is live in the shard's key table: a replay of the seq in the row, once confirmed. */
export const wireReplay = 254;
/** The worker cannot settle the key (it may be on disk, or its hash is shared): the main thread does. */
export const wireCheckKey = 253;
/** The shard's key table is full until a key write and eviction make room. */
export const wireKeysFull = 252;

export function wireCodeOf(code: RefusalCode): number {
  return refusalCodes.indexOf(code) + 1;
}

export function refusalOfWire(wire: number): RefusalCode {
  const code = refusalCodes[wire - 1];
  if (code === undefined) throw new Error(`shardmint internal assertion failed: wire code ${wire}`);
  return code;
}

interface Applied {
  readonly ok: true;
  readonly createdAt: number;
  readonly replayed: boolean;
}

export interface MintResult extends Applied {
  readonly mintId: string;
  readonly account: string;
  readonly amount: bigint;
  readonly chain: string;
}

export interface BurnResult extends Applied {
  readonly burnId: string;
  readonly account: string;
  readonly amount: bigint;
  readonly chain: string;
}

export interface TransferResult extends Applied {
  readonly transferId: string;
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
}

export interface PayResult extends Applied {
  readonly transactionId: string;
  readonly account: string;
  readonly amount: bigint;
}

export interface RefundResult extends Applied {
  readonly transactionId: string;
  readonly originalTransactionId: string;
  readonly account: string;
  readonly amount: bigint;
}

export interface DepositResult extends Applied {
  readonly depositId: string;
  readonly amount: bigint;
}

export interface ReconcileResult {
  readonly ok: true;
  readonly mintId: string;
  readonly reconciliationId: string;
  readonly account: string;
  readonly amount: bigint;
  readonly chain: string;
  readonly createdAt: number;
}

export interface StateChangeResult {
  readonly ok: true;
  readonly account: string;
  readonly previousState: string;
  readonly state: string;
  readonly createdAt: number;
}

export type Outcome<T> = T | Refusal;
