// Goal: the LMDB store passes the store conformance suite that every LedgerStore must pass; method:
// each check of src/store/conformance.ts on a fresh directory.
import { afterEach, describe, it } from 'vitest';
import { conformanceChecks } from '../dist/store/conformance.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import { tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

describe('LMDB store conformance', () => {
  for (const check of conformanceChecks) {
    it(check.name, async () => {
      const dir = tempDirectory('shardmint-store-');
      remove = dir.remove;
      await check.run((directory) => new LmdbStore({ directory, durability: 'flush' }), dir.path);
    });
  }
});
