// A checkpoint's accounts: the chunks of the durable mirror changed since the last checkpoint,
// copied at one instant (the checkpoint's watermark) and listed as rows later, a few chunks per
// step. Listing them at that instant, a closure call and a bigint per account in code that runs
// every few seconds (so seldom optimized), made a checkpoint's first step 3 – 13 ms for 100,000
// accounts in a run at full load, and every operation in flight waited for it; the copies are three
// memory copies per chunk.
import { assert } from '../domain/errors.js';
import { accountChunkSlots, type AccountRows, type Pause } from '../store/store.js';

/** Chunks listed per step: 4 chunks are at most 1,024 rows, well under a millisecond here. */
const chunksPerStep = 4;

/** The mirror's arrays a snapshot copies from. */
export interface MirrorArrays {
  readonly balances: BigInt64Array;
  readonly states: Uint8Array;
  readonly created: Uint8Array;
}

/** The rows' columns while they are listed, with room for every slot copied. */
interface RowArrays {
  readonly slot: Int32Array;
  readonly balance: BigInt64Array;
  readonly stateCode: Uint8Array;
  readonly id: string[];
}

export class DirtyAccounts {
  /** Ascending chunk numbers; chunk `chunks[i]` is copied at slots [i * accountChunkSlots, ...). */
  readonly #chunks: readonly number[];
  readonly #balances: BigInt64Array;
  readonly #states: Uint8Array;
  readonly #created: Uint8Array;

  /** Copies chunks `chunks` (ascending, each once) of `mirror` as they stand now. */
  constructor(mirror: MirrorArrays, chunks: readonly number[]) {
    this.#chunks = chunks;
    const slots = chunks.length * accountChunkSlots;
    this.#balances = new BigInt64Array(slots);
    this.#states = new Uint8Array(slots);
    this.#created = new Uint8Array(slots);
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i] ?? 0;
      assert(i === 0 || chunk > (chunks[i - 1] ?? 0), 'dirty chunks are ascending and distinct');
      const start = chunk * accountChunkSlots;
      const end = Math.min(mirror.created.length, start + accountChunkSlots);
      assert(start < end, 'a dirty chunk lies within the mirror');
      this.#balances.set(mirror.balances.subarray(start, end), i * accountChunkSlots);
      this.#states.set(mirror.states.subarray(start, end), i * accountChunkSlots);
      this.#created.set(mirror.created.subarray(start, end), i * accountChunkSlots);
    }
  }

  /**
   * Every account of the copied chunks that existed when they were copied, ascending by slot, with
   * its values then; `pause` between steps of chunksPerStep chunks. An account's id never changes
   * once created, so it is read now.
   */
  async rows(idOf: (slot: number) => string, pause: Pause): Promise<AccountRows> {
    // Room for every slot copied, trimmed after: counting the accounts first was a step of its own.
    const room = this.#created.length;
    const rows: RowArrays = { slot: new Int32Array(room), balance: new BigInt64Array(room), stateCode: new Uint8Array(room), id: new Array<string>(room) };
    let n = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      n = this.#listChunk(i, rows, n, idOf);
      if (i % chunksPerStep === chunksPerStep - 1 && i < this.#chunks.length - 1) await pause();
    }
    rows.id.length = n;
    return { count: n, slot: rows.slot.subarray(0, n), balance: rows.balance.subarray(0, n), stateCode: rows.stateCode.subarray(0, n), id: rows.id };
  }

  /** Lists the created accounts of copied chunk `i` into `rows` from row `n`; returns the next row. */
  #listChunk(i: number, rows: RowArrays, n: number, idOf: (slot: number) => string): number {
    const first = (this.#chunks[i] ?? 0) * accountChunkSlots;
    for (let at = i * accountChunkSlots, slot = first; at < (i + 1) * accountChunkSlots; at++, slot++) {
      if (this.#created[at] !== 1) continue;
      rows.slot[n] = slot;
      rows.balance[n] = this.#balances[at] ?? 0n;
      rows.stateCode[n] = this.#states[at] ?? 0;
      rows.id[n] = idOf(slot);
      n++;
    }
    return n;
  }
}
