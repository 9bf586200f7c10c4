// The package entry: the pinned public API of DESIGN.md.
export {
  MintEngine,
  paymentsClearingAccount,
  type AccountView,
  type BurnArgs,
  type CreateAccountResult,
  type DepositArgs,
  type MintArgs,
  type MintRecordView,
  type PayArgs,
  type RefundArgs,
  type SupplyView,
  type TransferArgs,
} from './engine/mint-engine.js';
export type { MintEngineOptions, MintRateLimit } from './engine/options.js';
export type { MetricsSnapshot, LatencySnapshot, LockSnapshot, RecoverySnapshot } from './engine/metrics.js';
export { faultPoints, type FaultPlan, type FaultPoint } from './engine/worker/faults.js';
export { parseUsdc, formatUsdc, usdcDecimals } from './domain/amount.js';
export { accountStates, type AccountState } from './domain/account-state.js';
export {
  ShardmintError,
  InvalidArgumentError,
  AccountNotFoundError,
  EngineClosedError,
  EngineFailedError,
  LockTimeoutError,
  CapacityError,
  DirectoryLockedError,
  type ErrorCode,
} from './domain/errors.js';
export {
  refusalCodes,
  type RefusalCode,
  type Refusal,
  type Outcome,
  type MintResult,
  type BurnResult,
  type TransferResult,
  type PayResult,
  type RefundResult,
  type DepositResult,
  type ReconcileResult,
  type StateChangeResult,
} from './domain/outcomes.js';
export type { Durability } from './store/store.js';
