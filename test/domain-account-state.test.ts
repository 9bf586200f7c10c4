// Goal: the account state machine allows only moves into and out of `active`; method: the full table
// of 4x4 transitions checked against the rule.
import { describe, expect, it } from 'vitest';
import { accountStateCode, accountStates, isAllowedTransition } from '../dist/domain/account-state.js';

describe('account state machine', () => {
  const expected: Record<string, string[]> = {
    active: ['paused', 'frozen', 'blacklisted'],
    paused: ['active'],
    frozen: ['active'],
    blacklisted: ['active'],
  };
  for (const from of accountStates) {
    for (const to of accountStates) {
      const allowed = expected[from]?.includes(to) ?? false;
      it(`${from} -> ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        expect(isAllowedTransition(accountStateCode(from), accountStateCode(to))).toBe(allowed);
      });
    }
  }
});
