// Argument checks for every public function (guarantee 7): a wrong argument rejects with
// ERR_INVALID_ARGUMENT before anything is queued, so nothing changes.
import { InvalidArgumentError } from './errors.js';
import { accountIdBytesMax, amountMax, idempotencyKeyLengthMax } from './limits.js';

const encoder = new TextEncoder();

export function requireRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

export function requireAccountId(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${name} must be a string account id`);
  if (value.length === 0) throw new InvalidArgumentError(`${name} must not be empty`);
  // UTF-8 length is at most 3 bytes per UTF-16 unit: skip encoding for the common short id.
  if (value.length * 3 > accountIdBytesMax && encoder.encode(value).length > accountIdBytesMax) {
    throw new InvalidArgumentError(`${name} must be at most ${accountIdBytesMax} UTF-8 bytes`);
  }
  return value;
}

export function requireAmount(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint') {
    throw new InvalidArgumentError(`${name} must be a bigint of minor units (use parseUsdc), got ${typeof value}`);
  }
  if (value <= 0n) throw new InvalidArgumentError(`${name} must be positive`);
  if (value > amountMax) throw new InvalidArgumentError(`${name} must be at most 2^63-1 minor units`);
  return value;
}

export function requireIdempotencyKey(value: unknown, name = 'idempotencyKey'): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${name} must be a string`);
  if (value.length === 0) throw new InvalidArgumentError(`${name} must not be empty`);
  if (value.length > idempotencyKeyLengthMax) {
    throw new InvalidArgumentError(`${name} must be at most ${idempotencyKeyLengthMax} characters`);
  }
  return value;
}

export function requireChain(value: unknown, chains: readonly string[], name = 'chain'): string {
  if (typeof value !== 'string' || !chains.includes(value)) {
    throw new InvalidArgumentError(`${name} must be one of the configured chains (${chains.join(', ')})`);
  }
  return value;
}

export function requireOperationId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) {
    throw new InvalidArgumentError(`${name} must be a non-empty operation id string`);
  }
  return value;
}
