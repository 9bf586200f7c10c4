// Spans of time, each as its end (a `performance.now()` reading) and its length in ms, kept while a
// benchmark watches: the engine's slow log commits and its state writes, and the benchmark's own
// collection pauses and slowest answers, which its report sets against each other
// (cli/tail-attribution.ts). Two doubles a span, grown as needed up to a bound; spans past it are
// counted, not kept, so a watch of any length stays small. The length is kept as given, not as a
// difference of two readings: an answer's latency and a commit's time read back exactly.
import { assert } from '../domain/errors.js';

/** Spans a watch keeps at most: 16 MiB, hours of a benchmark's slow commits and pauses. */
export const timeSpansMax = 1 << 20;

export class TimeSpans {
  readonly #max: number;
  /** Per span, its end and its length. */
  #doubles = new Float64Array(64);
  #count = 0;
  /** Spans that came once `max` were kept. */
  dropped = 0;

  constructor(max = timeSpansMax) {
    assert(Number.isSafeInteger(max), 'a watch keeps a whole number of spans');
    assert(max > 0, 'a watch keeps at least one span');
    this.#max = max;
  }

  get count(): number {
    return this.#count;
  }

  /** Whether the next span would be dropped. */
  get full(): boolean {
    return this.#count >= this.#max;
  }

  /** A span that ended at `end` and lasted `length` ms. */
  add(end: number, length: number): void {
    assert(length >= 0, 'a span ends after it starts');
    if (this.full) {
      this.dropped++;
      return;
    }
    if (2 * this.#count + 2 > this.#doubles.length) {
      const grown = new Float64Array(Math.min(2 * this.#doubles.length, 2 * this.#max));
      grown.set(this.#doubles);
      this.#doubles = grown;
    }
    this.#doubles[2 * this.#count] = end;
    this.#doubles[2 * this.#count + 1] = length;
    this.#count++;
  }

  /** Lets go of the spans shorter than `length`, keeping the others in their order. */
  keepLasting(length: number): void {
    let kept = 0;
    for (let i = 0; i < this.#count; i++) {
      if ((this.#doubles[2 * i + 1] ?? 0) < length) continue;
      this.#doubles[2 * kept] = this.#doubles[2 * i] ?? 0;
      this.#doubles[2 * kept + 1] = this.#doubles[2 * i + 1] ?? 0;
      kept++;
    }
    this.#count = kept;
  }

  endOf(i: number): number {
    this.#check(i);
    return this.#doubles[2 * i] ?? 0;
  }

  lengthOf(i: number): number {
    this.#check(i);
    return this.#doubles[2 * i + 1] ?? 0;
  }

  startOf(i: number): number {
    return this.endOf(i) - this.lengthOf(i);
  }

  #check(i: number): void {
    assert(i >= 0, 'a span read is kept');
    assert(i < this.#count, 'a span read is kept');
  }
}
