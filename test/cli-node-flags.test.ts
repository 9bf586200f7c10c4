// Goal: the bench reports NODE_OPTIONS as the flags Node itself read from it, quoted paths with spaces
// included; method: examples, a property (any flags, quoted and escaped, split back to themselves),
// and a real Node started with a quoted --require path, which must load it and be reported so.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { splitNodeOptions } from '../dist/cli/node-flags.js';
import { tempDirectory } from './fixtures/engine.js';

let remove: () => void = () => undefined;
afterEach(() => remove());

/** How a shell script would write one flag into NODE_OPTIONS for Node: quoted, `"` and `\` escaped. */
function quote(flag: string): string {
  return `"${flag.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

describe('NODE_OPTIONS in the report', () => {
  it('splits at spaces only, keeps quoted stretches whole, and takes escaped characters as they are', () => {
    expect(splitNodeOptions('')).toEqual([]);
    expect(splitNodeOptions('  --v8-pool-size=0   --max-old-space-size=4096 ')).toEqual(['--v8-pool-size=0', '--max-old-space-size=4096']);
    expect(splitNodeOptions('--require "/tmp/a b/x.cjs" --trace-gc')).toEqual(['--require', '/tmp/a b/x.cjs', '--trace-gc']);
    expect(splitNodeOptions('--title="my \\"app\\"" --x')).toEqual(['--title=my "app"', '--x']);
    // Outside quotes a backslash is an ordinary character, and a tab does not separate.
    expect(splitNodeOptions('--a=c:\\dir\t--b')).toEqual(['--a=c:\\dir\t--b']);
    // An empty quoted stretch starts no argument.
    expect(splitNodeOptions('"" --a ""')).toEqual(['--a']);
  });

  it('gives back any flags written quoted', () => {
    const flag = fc.string({ minLength: 1, maxLength: 24, unit: 'binary' });
    fc.assert(
      fc.property(fc.array(flag, { maxLength: 8 }), fc.integer({ min: 1, max: 3 }), (flags, gap) => {
        expect(splitNodeOptions(flags.map(quote).join(' '.repeat(gap)))).toEqual(flags);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with Node on a quoted --require path with spaces', { timeout: 30_000 }, () => {
    const dir = tempDirectory('shardmint node flags ');
    remove = dir.remove;
    const preload = join(dir.path, 'pre load.cjs');
    writeFileSync(preload, "process.stdout.write('preloaded ');\n");
    const options = `--require ${quote(preload)} --no-warnings`;
    // A script file, not -e: the command line then holds no flags of its own.
    const script = join(dir.path, 'report.mjs');
    writeFileSync(script, `import { nodeFlags } from '${new URL('../dist/cli/node-flags.js', import.meta.url).href}';\nconsole.log(JSON.stringify(nodeFlags()));\n`);
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: options } });
    expect(run.status).toBe(0);
    // Node read the path whole: it loaded the file.
    expect(run.stdout.startsWith('preloaded ')).toBe(true);
    expect(JSON.parse(run.stdout.slice('preloaded '.length))).toEqual(['--require', preload, '--no-warnings']);
  });
});
