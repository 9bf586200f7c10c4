// Rate-window check of a mint (and the record of an accepted one), as a worker does under the lock.
import type { Bench } from 'tinybench';
import { createViews, ShmLayout } from '../dist/shm/layout.js';
import { RateWindows } from '../dist/shm/rate-window.js';

export function register(bench: Bench): () => Promise<void> {
  const layout = new ShmLayout({ maxAccounts: 1024, maxPerWindow: 10 });
  const rate = new RateWindows(createViews(new SharedArrayBuffer(layout.totalBytes)), layout, 10, 1000);
  let clock = 1_700_000_000_000;
  let slot = 0;
  bench.add('rate window: check + record', () => {
    clock += 3;
    slot = (slot + 1) & 1023;
    if (rate.check(slot, clock).allowed) rate.record(slot, clock);
  });
  return async () => undefined;
}
