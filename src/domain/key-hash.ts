// The 53-bit hash of a scoped idempotency key (scope, key), computed from the two strings without
// joining them. The in-memory key table and the on-disk key index are keyed by it, so neither holds
// the key strings; two keys may share a hash (about once in 10^10 pairs), so every user of a hash
// confirms the key against the log record it names.

const twoTo32 = 0x1_0000_0000;
const highMask = 0x1f_ffff;

/** A positive safe integer: 21 high bits of one 32-bit lane, 32 low bits of another. */
export function keyHash(scope: string, key: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ (scope.length + key.length);
  for (let i = 0; i < scope.length; i++) {
    const c = scope.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  // The separator: ("ab", "c") and ("a", "bc") must hash apart.
  a = Math.imul(a ^ 0xffff, 0x01000193);
  b = Math.imul(b ^ 0xffff, 0x5bd1e995);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  b ^= b >>> 13;
  b = Math.imul(b, 0x2c1b3c6d);
  b ^= b >>> 15;
  const hash = (b & highMask) * twoTo32 + (a >>> 0);
  return hash === 0 ? 1 : hash;
}

/** The low 32 bits of a key hash (its table position). */
export function keyHashLow(hash: number): number {
  return hash >>> 0;
}

/** The high 21 bits of a key hash. */
export function keyHashHigh(hash: number): number {
  return Math.floor(hash / twoTo32);
}
