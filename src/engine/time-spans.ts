// Spans of time, [start, end] as `performance.now()` readings, kept while a benchmark watches: the
// engine's slow log commits and its state writes, and the benchmark's own collection pauses, which
// the report sets against its slowest answers (cli/tail-attribution.ts). Two doubles a span, grown
// as needed up to a bound; spans past it are counted, not kept, so a watch of any length stays small.
import { assert } from '../domain/errors.js';

/** Spans a watch keeps at most: 16 MiB, hours of a benchmark's slow commits and pauses. */
export const timeSpansMax = 1 << 20;

export class TimeSpans {
  readonly #max: number;
  #bounds = new Float64Array(64);
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

  add(start: number, end: number): void {
    assert(end >= start, 'a span ends after it starts');
    if (this.#count >= this.#max) {
      this.dropped++;
      return;
    }
    if (2 * this.#count + 2 > this.#bounds.length) {
      const grown = new Float64Array(Math.min(2 * this.#bounds.length, 2 * this.#max));
      grown.set(this.#bounds);
      this.#bounds = grown;
    }
    this.#bounds[2 * this.#count] = start;
    this.#bounds[2 * this.#count + 1] = end;
    this.#count++;
  }

  startOf(i: number): number {
    assert(i >= 0, 'a span read is kept');
    assert(i < this.#count, 'a span read is kept');
    return this.#bounds[2 * i] ?? 0;
  }

  endOf(i: number): number {
    assert(i >= 0, 'a span read is kept');
    assert(i < this.#count, 'a span read is kept');
    return this.#bounds[2 * i + 1] ?? 0;
  }
}
