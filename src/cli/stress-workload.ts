// The stress workload: lanes of seeded random operations on a small set of hot accounts (circular
// cross-shard transfers, mints, burns, payments) plus some cold traffic and deliberate retries of
// earlier keys. Every acknowledged result is kept for the audit.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { MintEngine } from '../engine/mint-engine.js';
import { countCode, sendRequest, type EngineRequest, type OutcomeTally } from './requests.js';

type RandomGenerator = ReturnType<typeof xoroshiro128plus>;

/** Stress sends no refunds: its audit recomputes balances from mints, burns, transfers and payments. */
export type StressRequest = Exclude<EngineRequest, { readonly kind: 'refund' }>;

export interface Acknowledged {
  readonly request: StressRequest;
  readonly result: Record<string, unknown>;
}

export interface WorkloadTally extends OutcomeTally {
  applied: number;
  readonly acknowledged: Acknowledged[];
}

export interface WorkloadShape {
  readonly accounts: readonly string[];
  readonly hot: readonly string[];
  readonly chains: readonly string[];
  readonly lanes: number;
  readonly seed: number;
}

export function send(engine: MintEngine, request: StressRequest): Promise<object> {
  return sendRequest(engine, request);
}

function pick<T>(rng: RandomGenerator, items: readonly T[]): T {
  return items[uniformInt(rng, 0, items.length - 1)] as T;
}

/** One random request; hot accounts form a ring so transfers go around it in both directions. */
export function nextRequest(rng: RandomGenerator, shape: WorkloadShape, key: string): StressRequest {
  const roll = uniformInt(rng, 0, 99);
  const hotIndex = uniformInt(rng, 0, shape.hot.length - 1);
  const account = shape.hot[hotIndex] as string;
  const amount = BigInt(uniformInt(rng, 1, 5_000));
  const chain = pick(rng, shape.chains);
  if (roll < 45) {
    const step = uniformInt(rng, 0, 1) === 0 ? 1 : shape.hot.length - 1;
    const to = shape.hot[(hotIndex + step) % shape.hot.length] as string;
    return { kind: 'transfer', args: { from: account, to, amount, idempotencyKey: key } };
  }
  if (roll < 70) return { kind: 'mint', args: { account: pick(rng, roll < 60 ? shape.hot : shape.accounts), amount, chain, idempotencyKey: key } };
  if (roll < 80) return { kind: 'burn', args: { account, amount, chain, idempotencyKey: key } };
  if (roll < 95) return { kind: 'pay', args: { account, amount: amount / 10n + 1n, idempotencyKey: key } };
  const from = pick(rng, shape.accounts);
  const to = pick(rng, shape.accounts);
  if (from === to) return { kind: 'pay', args: { account: from, amount: 1n, idempotencyKey: key } };
  return { kind: 'transfer', args: { from, to, amount: 1n, idempotencyKey: key } };
}

export function newTally(): WorkloadTally {
  return { operations: 0, applied: 0, replays: 0, replayMismatches: 0, refused: new Map(), errors: new Map(), acknowledged: [] };
}

/** Runs one lane until `deadline` (performance.now() ms); bounded by the deadline and `operationsMax`. */
export async function runLane(engine: MintEngine, shape: WorkloadShape, lane: number, deadline: number, operationsMax: number, tally: WorkloadTally): Promise<void> {
  const rng = xoroshiro128plus(shape.seed + lane * 7919);
  const mine: Acknowledged[] = [];
  for (let n = 0; n < operationsMax && performance.now() < deadline; n++) {
    const retry = mine.length > 0 && uniformInt(rng, 0, 19) === 0 ? pick(rng, mine) : undefined;
    const request = retry?.request ?? nextRequest(rng, shape, `L${lane}-${n}`);
    tally.operations++;
    try {
      const result = (await send(engine, request)) as Record<string, unknown>;
      if (retry !== undefined) {
        tally.replays++;
        if (!sameResult(result, retry.result)) tally.replayMismatches++;
      } else if (result['ok'] === true) {
        tally.applied++;
        mine.push({ request, result });
        tally.acknowledged.push({ request, result });
      } else {
        countCode(tally.refused, String(result['code']));
      }
    } catch (error) {
      countCode(tally.errors, (error as { code?: string }).code ?? 'error');
    }
  }
}

/** A replay must return the original result, marked as a replay. */
export function sameResult(replay: Record<string, unknown>, original: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(replay), ...Object.keys(original)]);
  for (const key of keys) {
    if (key === 'replayed') continue;
    if (replay[key] !== original[key]) return false;
  }
  return replay['replayed'] === true;
}
