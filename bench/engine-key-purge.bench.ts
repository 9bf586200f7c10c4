// The main thread's part of a key write in a shard's table, as the engine sizes it by default (2^20
// slots for a cap of 500,000 keys): taking the 250,000 changed keys (the table's walk), then the
// purge that evicts the older half once they are written. The new keys are added before each
// iteration, outside the time measured.
import type { Bench } from 'tinybench';
import { KeyTable } from '../dist/engine/key-table.js';
import { generator, hash53 } from './random-hashes.js';

const keep = 250_000;
const now = 1_000_000;

export function register(bench: Bench): Promise<() => Promise<void>> {
  const table = KeyTable.shared(20);
  const next = generator(42);
  let seq = 0;
  const addKeys = (): void => {
    for (let i = 0; i < keep; i++) table.add(hash53(next), ++seq, now + 86_400_000);
  };
  const takeAll = (): number => {
    let taken = 0;
    for (let from = 0; from < table.capacity; from += 32_768) taken += table.takeChanges(from, 32_768).count;
    return taken;
  };
  addKeys();
  takeAll();
  bench.add(
    'key write in a shard table: walk and purge (250,000 of 500,000 keys)',
    () => {
      if (takeAll() !== keep) throw new Error('expected every new key taken');
      const steps = table.purge(now, keep, 32_768);
      for (let n = 0; n < 1_000 && steps.next().done !== true; n++);
    },
    { beforeEach: addKeys },
  );
  return Promise.resolve(() => Promise.resolve());
}
