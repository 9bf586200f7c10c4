// The account state machine. Every non-active state is entered from and left to `active` only:
// moving directly between two restrictive states (paused -> blacklisted) skips the review that
// reactivation stands for, and setting the current state again is refused as meaningless.

export const accountStates = ['active', 'paused', 'frozen', 'blacklisted'] as const;
export type AccountState = (typeof accountStates)[number];

export function isAccountState(value: unknown): value is AccountState {
  return typeof value === 'string' && (accountStates as readonly string[]).includes(value);
}

export function accountStateCode(state: AccountState): number {
  return accountStates.indexOf(state);
}

export function accountStateFromCode(code: number): AccountState {
  const state = accountStates[code];
  if (state === undefined) throw new Error(`shardmint internal assertion failed: account state code ${code}`);
  return state;
}

export const activeStateCode = 0;

export function isAllowedTransition(fromCode: number, toCode: number): boolean {
  if (fromCode === toCode) return false;
  return fromCode === activeStateCode || toCode === activeStateCode;
}
