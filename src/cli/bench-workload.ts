// The load benchmark's request generator: an operation mix, a share of requests that reuse an
// earlier key (each must replay its original result), a share of transfers that cross shards, and a
// Zipf skew over accounts. Seeded, so a run can be repeated exactly.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { EngineRequest } from './requests.js';

type Rng = ReturnType<typeof xoroshiro128plus>;
export const mixKinds = ['mint', 'transfer', 'burn', 'pay', 'refund'] as const;
export type MixKind = (typeof mixKinds)[number];
export type Mix = ReadonlyArray<readonly [MixKind, number]>;

export interface BenchShape {
  readonly accounts: readonly string[];
  readonly shards: number;
  readonly mix: Mix;
  readonly duplicates: number;
  readonly crossShard: number;
  readonly skew: number;
  readonly chain: string;
}

export type BenchRequest = EngineRequest;

/** Parses "mint:80,transfer:15,burn:5" into weights; throws a readable error on anything else. */
export function parseMix(text: string): Mix {
  const parts = text.split(',').map((part) => part.trim().split(':'));
  const mix = parts.map(([kind, weight]) => {
    if (!(mixKinds as readonly string[]).includes(kind ?? '') || !/^\d+$/.test(weight ?? '')) {
      throw new Error(`--mix: "${kind}:${weight}" is not kind:weight with kind one of ${mixKinds.join(', ')}`);
    }
    return [kind as MixKind, Number(weight)] as const;
  });
  if (mix.reduce((sum, [, w]) => sum + w, 0) <= 0) throw new Error('--mix: the weights must add up to more than 0');
  return mix;
}

/** Cumulative Zipf weights over n ranks (rank 0 hottest); exponent 0 is uniform. */
function zipfCdf(n: number, exponent: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += 1 / Math.pow(i + 1, exponent);
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] ?? 0) / total;
  return cdf;
}

// The driver's per-request objects are made by constructors, not object literals. V8 tracks each
// object literal through an allocation site, and the run's first burst (1,024 requests sent at once,
// all alive, and kept for duplicates) made it allocate every later request in the old generation.
// Those died there, so the main thread ran a full mark-compact (3 - 11 ms, every call in flight
// held up) about once a second, the driver's cost charged to the engine. Constructed objects are
// not pretenured that way (old-generation growth ~0.4 instead of ~2 MB a scavenge). Together with
// the arena for log entries (entry-arena.ts), four alternating pairs: operations/s +6% to +8%,
// main-thread CPU per operation -6% to -8%, p99 -9% to +6%.

/** A request the lanes send, and the id of its first successful answer once it has one. */
export interface Issued {
  readonly request: BenchRequest;
  id: string | undefined;
}

/**
 * A request of the run. A fresh one holds a slot of the pool of recent keys while in flight; a
 * duplicate knows the id its key first got: from the pool if that answer came before it was drawn,
 * else from the fresh request, still in flight then, which the engine answers first.
 */
export class Drawn implements Issued {
  readonly request: BenchRequest;
  id: string | undefined = undefined;
  readonly slot: number;
  readonly #known: string | undefined;
  readonly #origin: Drawn | undefined;

  constructor(request: BenchRequest, slot: number, known: string | undefined, origin: Drawn | undefined) {
    this.request = request;
    this.slot = slot;
    this.#known = known;
    this.#origin = origin;
  }

  /** For a duplicate: the id its key's first successful answer got, if that answer came. */
  get originalId(): string | undefined {
    return this.#known ?? this.#origin?.id;
  }
}

class Call<K extends BenchRequest['kind'], A> {
  readonly kind: K;
  readonly args: A;

  constructor(kind: K, args: A) {
    this.kind = kind;
    this.args = args;
  }
}

class TransferArgs {
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly idempotencyKey: string;

  constructor(from: string, to: string, amount: bigint, idempotencyKey: string) {
    this.from = from;
    this.to = to;
    this.amount = amount;
    this.idempotencyKey = idempotencyKey;
  }
}

class PayArgs {
  readonly account: string;
  readonly amount: bigint;
  readonly idempotencyKey: string;

  constructor(account: string, amount: bigint, idempotencyKey: string) {
    this.account = account;
    this.amount = amount;
    this.idempotencyKey = idempotencyKey;
  }
}

class SupplyArgs extends PayArgs {
  readonly chain: string;

  constructor(account: string, amount: bigint, chain: string, idempotencyKey: string) {
    super(account, amount, idempotencyKey);
    this.chain = chain;
  }
}

class RefundArgs extends PayArgs {
  readonly originalTransactionId: string;

  constructor(account: string, amount: bigint, idempotencyKey: string, originalTransactionId: string) {
    super(account, amount, idempotencyKey);
    this.originalTransactionId = originalTransactionId;
  }
}

const recentMax = 4096;

/**
 * The pool of recent keys that duplicates reuse, as columns of each request's fields. Kept as request
 * objects, a pool entry lives ~25 ms (a random one of 4,096 is replaced per fresh request), long
 * enough to be promoted to the old generation; they were most of the garbage the engine's thread
 * then collected in full (a sampling heap profile of objects freed by full collections: ~41 of ~70
 * MB in a 6 s run). Columns hold only numbers, amounts (bigint minor units, in a BigInt64Array)
 * and long-lived strings (account ids, kinds).
 */
class RecentPool {
  size = 0;
  readonly kind: Array<BenchRequest['kind']> = new Array<BenchRequest['kind']>(recentMax).fill('mint');
  /** The account, or a transfer's sender. */
  readonly first: string[] = new Array<string>(recentMax).fill('');
  /** A transfer's recipient, or the payment a refund refunds. */
  readonly second: string[] = new Array<string>(recentMax).fill('');
  readonly amount = new BigInt64Array(recentMax);
  readonly key = new Float64Array(recentMax);
  /** The id of the slot's first successful answer, once it came. */
  readonly id: Array<string | undefined> = new Array<string | undefined>(recentMax).fill(undefined);
  /** The slot's fresh request while it is in flight. */
  readonly pending: Array<Drawn | undefined> = new Array<Drawn | undefined>(recentMax).fill(undefined);

  keep(slot: number, request: BenchRequest, keyNumber: number, drawn: Drawn): void {
    this.kind[slot] = request.kind;
    const args = request.args;
    this.first[slot] = 'from' in args ? args.from : args.account;
    this.second[slot] = 'to' in args ? args.to : 'originalTransactionId' in args ? args.originalTransactionId : '';
    this.amount[slot] = args.amount;
    this.key[slot] = keyNumber;
    this.id[slot] = undefined;
    this.pending[slot] = drawn;
  }

  /** The request kept at `slot`, made again (the same kind, arguments and key). */
  request(slot: number, chain: string): BenchRequest {
    const kind = this.kind[slot] ?? 'mint';
    const first = this.first[slot] ?? '';
    const second = this.second[slot] ?? '';
    const amount = this.amount[slot] ?? 0n;
    const key = `b${this.key[slot] ?? 0}`;
    if (kind === 'transfer') return new Call(kind, new TransferArgs(first, second, amount, key));
    if (kind === 'pay') return new Call(kind, new PayArgs(first, amount, key));
    if (kind === 'refund') return new Call(kind, new RefundArgs(first, amount, key, second));
    return new Call(kind, new SupplyArgs(first, amount, chain, key));
  }
}

export class RequestSource {
  readonly #shape: BenchShape;
  readonly #rng: Rng;
  readonly #cdf: Float64Array | undefined;
  readonly #mixTotal: number;
  readonly #recent = new RecentPool();
  readonly #payments: Array<{ account: string; id: string; left: bigint }> = [];
  #next = 0;

  constructor(shape: BenchShape, seed: number) {
    this.#shape = shape;
    this.#rng = xoroshiro128plus(seed);
    this.#cdf = shape.skew > 0 ? zipfCdf(shape.accounts.length, shape.skew) : undefined;
    this.#mixTotal = shape.mix.reduce((sum, [, w]) => sum + w, 0);
  }

  /** Whether the last request drawn reuses an earlier one (read right after next()). */
  lastWasDuplicate = false;

  /** The next request: a fresh one, or (a share `duplicates` of the time) an earlier one again. */
  next(): Drawn {
    const recent = this.#recent;
    if (recent.size > 0 && uniformInt(this.#rng, 0, 9999) < this.#shape.duplicates * 10_000) {
      this.lastWasDuplicate = true;
      const slot = uniformInt(this.#rng, 0, recent.size - 1);
      return new Drawn(recent.request(slot, this.#shape.chain), -1, recent.id[slot], recent.pending[slot]);
    }
    const keyNumber = this.#next++;
    const request = this.#fresh(`b${keyNumber}`);
    const slot = recent.size < recentMax ? recent.size++ : uniformInt(this.#rng, 0, recentMax - 1);
    const drawn = new Drawn(request, slot, undefined, undefined);
    recent.keep(slot, request, keyNumber, drawn);
    this.lastWasDuplicate = false;
    return drawn;
  }

  /** A fresh request was answered (its id set if it succeeded): its slot, if still its own, keeps the id. */
  answered(drawn: Drawn): void {
    const recent = this.#recent;
    if (drawn.slot < 0 || recent.pending[drawn.slot] !== drawn) return;
    recent.id[drawn.slot] = drawn.id;
    recent.pending[drawn.slot] = undefined;
  }

  notePayment(account: string, id: string, amount: bigint): void {
    if (this.#payments.length < 4096) this.#payments.push({ account, id, left: amount });
  }

  #fresh(key: string): BenchRequest {
    const kind = this.#kind();
    const account = this.#account();
    const amount = BigInt(uniformInt(this.#rng, 1, 1000));
    if (kind === 'transfer') return new Call(kind, new TransferArgs(account, this.#partner(account), amount, key));
    if (kind === 'pay') return new Call(kind, new PayArgs(account, amount, key));
    const payment = kind === 'refund' ? this.#payments.find((p) => p.left > 0n) : undefined;
    if (payment !== undefined) {
      payment.left -= 1n;
      return new Call('refund', new RefundArgs(payment.account, 1n, key, payment.id));
    }
    return new Call(kind === 'burn' ? 'burn' : 'mint', new SupplyArgs(account, amount, this.#shape.chain, key));
  }

  #kind(): MixKind {
    let roll = uniformInt(this.#rng, 0, this.#mixTotal - 1);
    for (const [kind, weight] of this.#shape.mix) {
      if (roll < weight) return kind;
      roll -= weight;
    }
    return 'mint';
  }

  #account(): string {
    const accounts = this.#shape.accounts;
    if (this.#cdf === undefined) return accounts[uniformInt(this.#rng, 0, accounts.length - 1)] as string;
    const u = uniformInt(this.#rng, 0, 0x7fffffff) / 0x80000000;
    let low = 0;
    let high = accounts.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.#cdf[mid] ?? 1) < u) low = mid + 1;
      else high = mid;
    }
    return accounts[low] as string;
  }

  /** A transfer partner in another shard with probability crossShard, else in the same one. */
  #partner(from: string): string {
    const accounts = this.#shape.accounts;
    const shards = this.#shape.shards;
    const index = Number(from.slice(from.lastIndexOf('-') + 1));
    const cross = shards > 1 && uniformInt(this.#rng, 0, 9999) < this.#shape.crossShard * 10_000;
    const blocks = Math.floor(accounts.length / shards);
    for (let attempt = 0; attempt < 8; attempt++) {
      const block = uniformInt(this.#rng, 0, Math.max(0, blocks - 1));
      const shift = cross ? 1 + uniformInt(this.#rng, 0, shards - 2) : 0;
      const candidate = block * shards + ((index + shift) % shards);
      if (candidate !== index && candidate < accounts.length) return accounts[candidate] as string;
    }
    return accounts[(index + 1) % accounts.length] as string;
  }
}
