// The requests the load and stress tools send, as data (so they can be retried and audited), and the
// one place that turns such a request into the engine call.
import type { MintEngine } from '../engine/mint-engine.js';

export type EngineRequest =
  | { readonly kind: 'mint' | 'burn'; readonly args: { account: string; amount: bigint; chain: string; idempotencyKey: string } }
  | { readonly kind: 'transfer'; readonly args: { from: string; to: string; amount: bigint; idempotencyKey: string } }
  | { readonly kind: 'pay'; readonly args: { account: string; amount: bigint; idempotencyKey: string } }
  | { readonly kind: 'refund'; readonly args: { account: string; amount: bigint; idempotencyKey: string; originalTransactionId: string } };

export function sendRequest(engine: MintEngine, request: EngineRequest): Promise<object> {
  switch (request.kind) {
    case 'mint':
      return engine.mint(request.args);
    case 'burn':
      return engine.burn(request.args);
    case 'transfer':
      return engine.transfer(request.args);
    case 'pay':
      return engine.pay(request.args);
    case 'refund':
      return engine.refund(request.args);
  }
}

/** What both the load and the stress tool count about the answers they get. */
export interface OutcomeTally {
  operations: number;
  replays: number;
  replayMismatches: number;
  /** Business refusals by code. */
  readonly refused: Map<string, number>;
  /** Rejections by error code. */
  readonly errors: Map<string, number>;
}

export function countCode(counts: Map<string, number>, code: string): void {
  counts.set(code, (counts.get(code) ?? 0) + 1);
}
