// Goal: the LMDB store passes the store conformance suite that every LedgerStore must pass; method:
// each check of src/store/conformance.ts on a fresh directory, once as configured and once with an
// arena for encoding log entries small enough to fill, fall back to buffers of its own, and wrap.
import { afterEach, describe, it } from 'vitest';
import { conformanceChecks } from '../dist/store/conformance.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import { tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

for (const [title, entryArenaBytes] of [['', undefined], [', small entry arena', 64 * 1024]] as const) {
  describe(`LMDB store conformance${title}`, () => {
    for (const check of conformanceChecks) {
      it(check.name, async () => {
        const dir = tempDirectory('shardmint-store-');
        remove = dir.remove;
        const options = entryArenaBytes === undefined ? {} : { entryArenaBytes };
        await check.run((directory) => new LmdbStore({ directory, durability: 'flush', ...options }), dir.path);
      });
    }
  });
}
