// Recovery at open: load the last checkpoint, replay the log tail after it through the projector
// (the same code the commit path runs), then seed shared memory from the recovered durable state.
import { InvalidArgumentError, ShardmintError, assert } from '../domain/errors.js';
import type { LogRecord } from '../domain/log-record.js';
import { Counters } from '../shm/counters.js';
import { globalSlot, type ShmLayout, type ShmViews } from '../shm/layout.js';
import type { RateWindows } from '../shm/rate-window.js';
import type { LedgerStore } from '../store/store.js';
import type { Derived, Projector } from './projector.js';

/** Rebuilds the derived state from the checkpoint and the log; returns records replayed. */
export function replayLog(store: LedgerStore, derived: Derived, projector: Projector): number {
  const header = store.loadCheckpoint();
  if (header !== undefined) {
    for (const account of store.readAccounts()) {
      derived.registry.restore(account.slot, account.id);
      derived.ledger.restoreAccount(account);
    }
    derived.ledger.restoreCounters(header);
  }
  if (derived.ledger.watermark > store.lastSequence()) {
    const counted = `the checkpoint counts log records up to ${derived.ledger.watermark}`;
    throw new ShardmintError('ERR_ENGINE_FAILED', `${counted} but the log ends at ${store.lastSequence()}: the data directory is damaged`);
  }
  let replayed = 0;
  for (const group of store.readAfter(derived.ledger.watermark)) {
    for (const record of group) projector.apply(record);
    replayed += group.length;
  }
  assert(derived.ledger.watermark === store.lastSequence(), 'recovery replays the whole log');
  return replayed;
}

/** Refuses to open with a chain list that drops a chain still holding supply. */
export function checkChains(derived: Derived, chains: readonly string[]): void {
  for (const [chain, supply] of derived.ledger.chainSupplies()) {
    if (!chains.includes(chain) && supply !== 0n) {
      throw new InvalidArgumentError(`options.chains must include '${chain}': it holds ${supply} minor units of supply`);
    }
  }
}

export function seedSharedMemory(derived: Derived, layout: ShmLayout, views: ShmViews, chains: readonly string[]): void {
  const { ledger, registry } = derived;
  for (let slot = 0; slot < registry.count; slot++) {
    views.i64[layout.balanceIndex64(slot)] = ledger.balance(slot);
    views.i32[layout.stateIndex32(slot)] = ledger.stateCode(slot);
  }
  const counters = new Counters(views.i64, layout);
  counters.store(globalSlot.sequence, BigInt(ledger.watermark));
  counters.store(globalSlot.supply, ledger.supply);
  counters.store(globalSlot.reserves, ledger.reserves);
  counters.store(globalSlot.clearing, ledger.clearing);
  const supplies = ledger.chainSupplies();
  chains.forEach((chain, index) => counters.storeChainSupply(index, supplies.get(chain) ?? 0n));
}

const rateScanGroupsMax = 256;
const clockSlackMs = 1000;

/**
 * Refills the rate windows with the mints of the last windowMs, so a restart cannot grant an account
 * a second full window. Reads the log backwards until its records are older than the window.
 */
export function rebuildRateWindows(store: LedgerStore, rate: RateWindows, windowMs: number, nowMs: number): void {
  const recent: LogRecord[] = [];
  let groups = 0;
  for (const group of store.readBackward()) {
    let newest = 0;
    for (const record of group) {
      newest = Math.max(newest, record.at);
      if (record.kind === 'mint' && record.at > nowMs - windowMs) recent.push(record);
    }
    if (newest < nowMs - windowMs - clockSlackMs || ++groups >= rateScanGroupsMax) break;
  }
  recent.sort((a, b) => a.seq - b.seq);
  for (const mint of recent) {
    if (rate.check(mint.slot, mint.at).allowed) rate.record(mint.slot, mint.at);
  }
}
