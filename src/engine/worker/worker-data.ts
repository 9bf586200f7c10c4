// What every worker receives at start: the shared memory and the settings that decide outcomes.
import type { FaultPlan } from './faults.js';

export interface WorkerInit {
  readonly buffer: SharedArrayBuffer;
  readonly maxAccounts: number;
  /** 0 when rate limiting is off. */
  readonly maxPerWindow: number;
  readonly windowMs: number;
  readonly reservesEnforced: boolean;
  readonly lockTimeoutMs: number;
  readonly faults: FaultPlan | null;
  /** Per shard, its idempotency-key table (key-table.ts, shared); the filter of keys on disk. */
  readonly keyTables: readonly SharedArrayBuffer[];
  readonly keyFilter: SharedArrayBuffer;
  readonly idempotencyTtlMs: number;
}
