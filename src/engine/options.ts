// Engine options and their resolved twin (the piscina pattern): every option validated once at open,
// with a message naming the option and what it must be.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../domain/errors.js';
import {
  chainNameLengthMax,
  chainsMax,
  idempotencyFilterKeysDefault,
  idempotencyFilterKeysMax,
  idempotencyFilterStageKeys,
  idempotencyMemoryKeysMax,
  idempotencyMemoryKeysMin,
  idempotencyTtlMsMax,
  lockTimeoutMsMax,
  maxAccountsMax,
  maxPerWindowMax,
  shardQueueDepthMaxDefault,
  windowMsMax,
  workersMax,
} from '../domain/limits.js';
import type { Durability } from '../store/store.js';
import { faultPoints, type FaultPlan } from './worker/faults.js';

export interface MintRateLimit {
  readonly maxPerWindow: number;
  readonly windowMs: number;
}

export interface MintEngineOptions {
  /** Data directory; one engine per directory, enforced. Required. */
  readonly path: string;
  /** Default 'lmdb'. */
  readonly store?: 'lmdb' | 'native-free';
  /** Piscina worker threads. Default os.availableParallelism(). */
  readonly workers?: number;
  /** Fixed at open: sizes the shared memory. Default 1,048,576. */
  readonly maxAccounts?: number;
  /** Default ethereum, solana, polygon, arbitrum, base, avalanche. */
  readonly chains?: readonly string[];
  /** Default 86,400,000 (24 h). */
  readonly idempotencyTtlMs?: number;
  /**
   * Idempotency keys held in memory (shared memory, ~52 bytes each at the default, split among the
   * workers' shards); older ones are written to disk and found there through a filter. Default
   * 1,000,000.
   */
  readonly idempotencyMemoryKeys?: number;
  /**
   * Keys on disk the filter holds before its false positives climb: keep it above the mint rate
   * times (TTL + 1 minute), plus a quarter and 8M. Rounded up to stages of 8,388,608 keys (16 MiB of
   * shared memory each, mapped as used). Default 67,108,864 (128 MiB); at most 260,046,848.
   */
  readonly idempotencyFilterKeys?: number;
  /** Per account; null disables. Default { maxPerWindow: 10, windowMs: 1000 }. */
  readonly mintRateLimit?: MintRateLimit | null;
  /** Default 'enforce': supply never exceeds deposited reserves. */
  readonly reserves?: 'enforce' | 'off';
  /** Default 'flush'. */
  readonly durability?: Durability;
  /** Default 5000. */
  readonly lockTimeoutMs?: number;
  /** Operations queued per shard before new ones are refused with ERR_CAPACITY. Default 65,536. */
  readonly shardQueueDepthMax?: number;
  /** Log records between balance checkpoints (also every 15 s and at close). Default 1,000,000: recovery replays at most that many records. */
  readonly checkpointEveryRecords?: number;
  /** Stress mode: scan shared memory for wait-for cycles every few ms. Default false. */
  readonly detectDeadlocks?: boolean;
  /** Testing only: make worker threads die at a chosen point. Default null (off). */
  readonly faults?: FaultPlan | null;
}

export interface ResolvedOptions {
  readonly path: string;
  readonly store: 'lmdb' | 'native-free';
  readonly workers: number;
  readonly maxAccounts: number;
  readonly chains: readonly string[];
  readonly idempotencyTtlMs: number;
  readonly idempotencyMemoryKeys: number;
  readonly idempotencyFilterKeys: number;
  readonly mintRateLimit: MintRateLimit | null;
  readonly reserves: 'enforce' | 'off';
  readonly durability: Durability;
  readonly lockTimeoutMs: number;
  readonly shardQueueDepthMax: number;
  readonly checkpointEveryRecords: number;
  readonly detectDeadlocks: boolean;
  readonly faults: FaultPlan | null;
}

export const defaultChains = ['ethereum', 'solana', 'polygon', 'arbitrum', 'base', 'avalanche'] as const;

const known = new Set([
  'path', 'store', 'workers', 'maxAccounts', 'chains', 'idempotencyTtlMs', 'idempotencyMemoryKeys', 'idempotencyFilterKeys', 'mintRateLimit', 'reserves',
  'durability', 'lockTimeoutMs', 'shardQueueDepthMax', 'checkpointEveryRecords', 'detectDeadlocks', 'faults',
]);

export function resolveOptions(input: unknown): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('options must be an object');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.has(key)) throw new InvalidArgumentError(`options.${key} is not a known option`);
  }
  if (typeof o['path'] !== 'string' || o['path'].length === 0) {
    throw new InvalidArgumentError('options.path must be a non-empty string (the data directory)');
  }
  return {
    path: resolve(o['path']),
    store: oneOf(o['store'], 'store', ['lmdb', 'native-free'] as const, 'lmdb'),
    workers: integer(o['workers'], 'workers', 1, workersMax, Math.min(availableParallelism(), workersMax)),
    maxAccounts: integer(o['maxAccounts'], 'maxAccounts', 1, maxAccountsMax, 1_048_576),
    chains: chains(o['chains']),
    idempotencyTtlMs: integer(o['idempotencyTtlMs'], 'idempotencyTtlMs', 1, idempotencyTtlMsMax, 86_400_000),
    idempotencyMemoryKeys: integer(o['idempotencyMemoryKeys'], 'idempotencyMemoryKeys', idempotencyMemoryKeysMin, idempotencyMemoryKeysMax, 1_000_000),
    idempotencyFilterKeys: integer(o['idempotencyFilterKeys'], 'idempotencyFilterKeys', idempotencyFilterStageKeys, idempotencyFilterKeysMax, idempotencyFilterKeysDefault),
    mintRateLimit: rateLimit(o['mintRateLimit']),
    reserves: oneOf(o['reserves'], 'reserves', ['enforce', 'off'] as const, 'enforce'),
    durability: oneOf(o['durability'], 'durability', ['flush', 'commit', 'none'] as const, 'flush'),
    lockTimeoutMs: integer(o['lockTimeoutMs'], 'lockTimeoutMs', 1, lockTimeoutMsMax, 5000),
    shardQueueDepthMax: integer(o['shardQueueDepthMax'], 'shardQueueDepthMax', 1, 16_777_216, shardQueueDepthMaxDefault),
    checkpointEveryRecords: integer(o['checkpointEveryRecords'], 'checkpointEveryRecords', 1, 100_000_000, 1_000_000),
    detectDeadlocks: flag(o['detectDeadlocks'], 'detectDeadlocks'),
    faults: faultPlan(o['faults']),
  };
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`options.${name} must be a boolean`);
  return value;
}

function faultPlan(value: unknown): FaultPlan | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object') throw new InvalidArgumentError('options.faults must be an object or null');
  const f = value as Record<string, unknown>;
  return {
    point: oneOf(f['point'], 'faults.point', faultPoints, 'before-lock'),
    everyOperations: integer(f['everyOperations'], 'faults.everyOperations', 1, 1_000_000_000, 1000),
    kills: integer(f['kills'], 'faults.kills', 1, 1_000_000, 1),
    mode: oneOf(f['mode'], 'faults.mode', ['exit', 'throw'] as const, 'exit'),
  };
}

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const kind = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new InvalidArgumentError(`options.${name} must be ${kind} no larger than ${max}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`options.${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

function chains(value: unknown): readonly string[] {
  if (value === undefined) return defaultChains;
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.length <= chainsMax &&
    value.every((c) => typeof c === 'string' && /^[a-z0-9][a-z0-9_-]*$/.test(c) && c.length <= chainNameLengthMax);
  if (!valid) {
    throw new InvalidArgumentError(
      `options.chains must be 1-${chainsMax} names of lowercase letters, digits, '-' or '_', each at most ${chainNameLengthMax} characters`,
    );
  }
  if (new Set(value).size !== value.length) throw new InvalidArgumentError('options.chains must not repeat a name');
  return Object.freeze([...(value as string[])]);
}

function rateLimit(value: unknown): MintRateLimit | null {
  if (value === undefined) return { maxPerWindow: 10, windowMs: 1000 };
  if (value === null) return null;
  if (typeof value !== 'object') throw new InvalidArgumentError('options.mintRateLimit must be an object or null');
  const r = value as Record<string, unknown>;
  return {
    maxPerWindow: integer(r['maxPerWindow'], 'mintRateLimit.maxPerWindow', 1, maxPerWindowMax, 10),
    windowMs: integer(r['windowMs'], 'mintRateLimit.windowMs', 1, windowMsMax, 1000),
  };
}
