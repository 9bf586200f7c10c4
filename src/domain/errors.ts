// Typed errors with stable string codes (in the manner of undici): callers branch on `code`, never on
// message text. These are for programmer errors and engine faults; business refusals are results.

export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_ACCOUNT_NOT_FOUND'
  | 'ERR_ENGINE_CLOSED'
  | 'ERR_ENGINE_FAILED'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_CAPACITY'
  | 'ERR_DIRECTORY_LOCKED';

export class ShardmintError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShardmintError';
    this.code = code;
  }
}

export class InvalidArgumentError extends ShardmintError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

export class AccountNotFoundError extends ShardmintError {
  constructor(accountId: string) {
    super('ERR_ACCOUNT_NOT_FOUND', `account ${JSON.stringify(accountId)} does not exist`);
    this.name = 'AccountNotFoundError';
  }
}

export class EngineClosedError extends ShardmintError {
  constructor() {
    super('ERR_ENGINE_CLOSED', 'the engine is closed');
    this.name = 'EngineClosedError';
  }
}

export class EngineFailedError extends ShardmintError {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('ERR_ENGINE_FAILED', `the engine has failed and refuses work until reopened: ${reason}`, { cause });
    this.name = 'EngineFailedError';
  }
}

export class LockTimeoutError extends ShardmintError {
  constructor(lockTimeoutMs: number) {
    super('ERR_LOCK_TIMEOUT', `an account lock was not acquired within ${lockTimeoutMs} ms; nothing was applied`);
    this.name = 'LockTimeoutError';
  }
}

export class CapacityError extends ShardmintError {
  constructor(message: string) {
    super('ERR_CAPACITY', message);
    this.name = 'CapacityError';
  }
}

export class DirectoryLockedError extends ShardmintError {
  constructor(path: string, holder: string) {
    super('ERR_DIRECTORY_LOCKED', `data directory ${path} is already open (${holder}); one engine per directory`);
    this.name = 'DirectoryLockedError';
  }
}

/** Programmer-error assertion: a failed one means a bug in shardmint, never bad caller input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`shardmint internal assertion failed: ${message}`);
}
