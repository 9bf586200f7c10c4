// The words of a worker's refusal: the caller's Refusal, naming the accounts the operation touched.
// Module functions, not the engine's: a keyed operation words its own refusal when it is declined,
// and a field per operation pointing at a wording function was 8 bytes of every call.
import { refuse, type Refusal } from '../domain/outcomes.js';
import type { Refused, WorkSpec } from './pending-op.js';
import type { IdOf } from './record-views.js';

/** A refusal of an operation on `accounts` (an id, or two for a transfer). */
export function refusalOf(outcome: Refused, accounts: string): Refusal {
  switch (outcome.refused) {
    case 'RATE_LIMITED':
      return refuse('RATE_LIMITED', `account ${accounts} reached its mint rate limit; retry after ${outcome.retryAfterMs} ms`, outcome.retryAfterMs);
    case 'INSUFFICIENT_FUNDS':
      return refuse('INSUFFICIENT_FUNDS', `insufficient funds on ${accounts} (or on the chain's supply)`);
    case 'ACCOUNT_NOT_ACTIVE':
      return refuse('ACCOUNT_NOT_ACTIVE', `account ${accounts} is not active`);
    case 'RESERVES_EXCEEDED':
      return refuse('RESERVES_EXCEEDED', 'the mint would take supply past the deposited reserves');
    default:
      return refuse(outcome.refused, outcome.refused);
  }
}

/** A refusal of the operation `spec` names; a transfer's names both accounts. */
export function refusalOfSpec(outcome: Refused, spec: WorkSpec, idOf: IdOf): Refusal {
  const accounts = spec.kind === 'transfer' ? `${idOf(spec.slot)} or ${idOf(spec.slot2 ?? -1)}` : idOf(spec.slot);
  return refusalOf(outcome, accounts);
}
