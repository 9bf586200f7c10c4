// Idempotency fingerprints: the canonical parameters of an operation. A key reused with a different
// fingerprint is an IDEMPOTENCY_CONFLICT. The kind is part of it, so a mint key cannot replay as a burn.
// Fields are joined with NUL, which no account id, chain or decimal amount can contain ambiguously
// enough to collide, since every field position is fixed per kind.

export function mintFingerprint(account: string, amount: bigint, chain: string): string {
  return `mint\0${account}\0${amount}\0${chain}`;
}

export function burnFingerprint(account: string, amount: bigint, chain: string): string {
  return `burn\0${account}\0${amount}\0${chain}`;
}

export function transferFingerprint(from: string, to: string, amount: bigint): string {
  return `transfer\0${from}\0${to}\0${amount}`;
}

export function payFingerprint(account: string, amount: bigint): string {
  return `pay\0${account}\0${amount}`;
}

export function refundFingerprint(account: string, amount: bigint, originalTransactionId: string): string {
  return `refund\0${account}\0${amount}\0${originalTransactionId}`;
}

export function depositFingerprint(amount: bigint): string {
  return `deposit\0${amount}`;
}

/**
 * Keys are scoped to the operation's primary account (alice's "k1" and bob's "k1" are different keys;
 * see key-hash.ts). This is the scope of operations without an account (reserve deposits); account
 * ids cannot start with '$'.
 */
export const reservesScope = '$reserves';
