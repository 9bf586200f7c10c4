// Goal: open() validates every option with a message naming it, enforces one engine per data
// directory (in this process and across processes) and takes over a lock left by a dead process;
// method: table of bad options, double opens, and a lock file naming a pid that has exited.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MintEngine } from '../dist/index.js';
import { tempDirectory } from './fixtures/engine.js';

const dir = tempDirectory();
afterAll(() => dir.remove());

const cases: Array<[Record<string, unknown>, RegExp]> = [
  [{ workers: 0 }, /options\.workers must be a positive integer/],
  [{ workers: 1.5 }, /options\.workers must be a positive integer/],
  [{ workers: '2' }, /options\.workers must be a positive integer/],
  [{ maxAccounts: -1 }, /options\.maxAccounts must be a positive integer/],
  [{ chains: [] }, /options\.chains must be/],
  [{ chains: ['Ethereum'] }, /options\.chains must be/],
  [{ chains: ['a', 'a'] }, /options\.chains must not repeat/],
  [{ idempotencyTtlMs: 0 }, /options\.idempotencyTtlMs must be a positive integer/],
  [{ idempotencyMemoryKeys: 100 }, /options\.idempotencyMemoryKeys must be an integer >= 4096/],
  [{ idempotencyMemoryKeys: 2 ** 25 }, /options\.idempotencyMemoryKeys must be an integer >= 4096 no larger than 16777216/],
  [{ idempotencyFilterKeys: 1_000_000 }, /options\.idempotencyFilterKeys must be an integer >= 8388608/],
  [{ idempotencyFilterKeys: 2 ** 28 }, /options\.idempotencyFilterKeys must be an integer >= 8388608 no larger than 260046848/],
  [{ mintRateLimit: { maxPerWindow: 65, windowMs: 1000 } }, /options\.mintRateLimit\.maxPerWindow/],
  [{ mintRateLimit: { maxPerWindow: 10, windowMs: 0 } }, /options\.mintRateLimit\.windowMs/],
  [{ mintRateLimit: 5 }, /options\.mintRateLimit must be an object or null/],
  [{ reserves: 'maybe' }, /options\.reserves must be one of 'enforce', 'off'/],
  [{ durability: 'fsync' }, /options\.durability must be one of 'flush', 'commit', 'none'/],
  [{ lockTimeoutMs: -5 }, /options\.lockTimeoutMs must be a positive integer/],
  [{ store: 'redis' }, /options\.store must be one of/],
  [{ colour: 'blue' }, /options\.colour is not a known option/],
  [{ path: '' }, /options\.path must be a non-empty string/],
];

describe('MintEngine.open options', () => {
  it.each(cases)('refuses %j', async (bad, message) => {
    await expect(MintEngine.open({ path: dir.path, ...bad } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });

  it('sizes the filter of keys on disk in stages of 8,388,608 keys, 16 MiB of shared memory each', async () => {
    const sized = async (idempotencyFilterKeys?: number): Promise<number> => {
      const engine = await MintEngine.open({ path: join(dir.path, `filter-${idempotencyFilterKeys ?? 'default'}`), workers: 1, maxAccounts: 16, ...(idempotencyFilterKeys === undefined ? {} : { idempotencyFilterKeys }) });
      try {
        return engine.metrics().keySharedMemoryBytes;
      } finally {
        await engine.close();
      }
    };
    const stage = 16 * 1024 * 1024;
    const eight = await sized();
    // Nine stages for 8M keys more than the default's eight, rounded up; two for a bit over one.
    expect((await sized(8 * 8_388_608 + 1)) - eight).toBe(stage);
    expect(eight - (await sized(8_388_609))).toBe(6 * stage);
  });

  it('refuses a non-object', async () => {
    await expect(MintEngine.open(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('allows one engine per directory and reopens after close', async () => {
    const path = join(dir.path, 'one');
    const first = await MintEngine.open({ path, workers: 1, maxAccounts: 16 });
    await expect(MintEngine.open({ path, workers: 1, maxAccounts: 16 })).rejects.toMatchObject({ code: 'ERR_DIRECTORY_LOCKED' });
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { MintEngine } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
       try { await MintEngine.open({ path: ${JSON.stringify(path)}, workers: 1, maxAccounts: 16 }); console.log('opened'); }
       catch (e) { console.log(e.code); }`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(child.stdout.trim()).toBe('ERR_DIRECTORY_LOCKED');
    await first.close();
    await first.close();
    const second = await MintEngine.open({ path, workers: 1, maxAccounts: 16 });
    await expect(second.createAccount('x')).resolves.toMatchObject({ ok: true });
    await second.close();
    await expect(second.createAccount('y')).rejects.toMatchObject({ code: 'ERR_ENGINE_CLOSED' });
  });

  it('refuses to reopen without a chain that holds supply, releasing the directory for a correct reopen', async () => {
    const path = join(dir.path, 'chains');
    const engine = await MintEngine.open({ path, workers: 1, maxAccounts: 16, reserves: 'off' });
    await engine.createAccount('alice');
    await engine.mint({ account: 'alice', amount: 5n, chain: 'solana', idempotencyKey: 'k' });
    await engine.close();
    await expect(MintEngine.open({ path, workers: 1, maxAccounts: 16, chains: ['ethereum'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/options\.chains must include 'solana'/),
    });
    const again = await MintEngine.open({ path, workers: 1, maxAccounts: 16, chains: ['ethereum', 'solana'] });
    expect(await again.balance('alice')).toBe(5n);
    await again.close();
  });

  it('takes over the lock of a process that died', async () => {
    const path = join(dir.path, 'stale');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const first = await MintEngine.open({ path, workers: 1, maxAccounts: 16 });
    await first.close();
    writeFileSync(join(path, 'engine.lock'), gone.stdout.trim());
    const engine = await MintEngine.open({ path, workers: 1, maxAccounts: 16 });
    await engine.close();
  });
});
