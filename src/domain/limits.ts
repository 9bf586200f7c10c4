// Every limit in one place, named with the qualifier last (DESIGN.md "Limits").

export const accountIdBytesMax = 64;
export const idempotencyKeyLengthMax = 255;
export const amountMax = 2n ** 63n - 1n;
export const maxPerWindowMax = 64;
/** Rate-window timestamps are stored as wrapping 32-bit milliseconds; a window must stay far below 2^32 ms. */
export const windowMsMax = 86_400_000;
export const workersMax = 64;
export const maxAccountsMax = 16_777_216;
export const chainsMax = 32;
export const chainNameLengthMax = 32;
export const lockTimeoutMsMax = 600_000;
export const idempotencyTtlMsMax = 30 * 86_400_000;
/** Keys held in memory: at least a small table per shard; at most ~750 MiB of shared memory. */
export const idempotencyMemoryKeysMin = 4_096;
export const idempotencyMemoryKeysMax = 16_777_216;
/** Keys the filter of keys on disk holds: stages of 2^23 keys (16 MiB each), one to 31 of them. */
export const idempotencyFilterStageKeys = 8_388_608;
export const idempotencyFilterKeysMax = 31 * idempotencyFilterStageKeys;
export const idempotencyFilterKeysDefault = 8 * idempotencyFilterStageKeys;
/** Operations a shard accepts before refusing with ERR_CAPACITY (backpressure, never an unbounded queue). */
export const shardQueueDepthMaxDefault = 65_536;
/** Operations per Piscina task: large enough to amortise the ~10 µs round trip. */
export const batchOperationsMax = 2_048;
/** Log records per group commit. */
export const groupRecordsMax = 8_192;
/** Reserved prefix for engine-owned accounts (the payments clearing account). */
export const systemAccountPrefix = '$';
