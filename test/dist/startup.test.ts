import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileCacheDirectory } from '../../src/cli/compile-cache-dir.ts';
import { lazyIndexSource, plainCommandSortSource } from '../../scripts/build/oclif-startup.ts';
import { planSplit } from '../../scripts/build/split.ts';
import { packageOf, STARTUP_ROOTS, startupClosure } from '../../scripts/build/startup-closure.ts';
import type { Metafile } from 'esbuild';
import { ensureBuilt, REPO } from '../e2e/harness.ts';

const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

describe('start-up of the built CLI', () => {
  describe('the code cache directory', () => {
    const home = () => '/home/from-passwd';
    it('follows each platform\'s convention for caches', () => {
      assert.equal(compileCacheDirectory({ HOME: '/home/u' }, 'linux', home), '/home/u/.cache/kubectl-tikv/compile-cache');
      assert.equal(compileCacheDirectory({ HOME: '/home/u', XDG_CACHE_HOME: '/var/cache/u' }, 'linux', home), '/var/cache/u/kubectl-tikv/compile-cache');
      assert.equal(compileCacheDirectory({ HOME: '/Users/u', XDG_CACHE_HOME: '/x' }, 'darwin', home), '/Users/u/Library/Caches/kubectl-tikv/compile-cache');
      assert.equal(compileCacheDirectory({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', home), 'C:\\Users\\u\\AppData\\Local\\kubectl-tikv\\compile-cache');
      assert.equal(compileCacheDirectory({ USERPROFILE: 'C:\\Users\\u' }, 'win32', home), 'C:\\Users\\u\\AppData\\Local\\kubectl-tikv\\compile-cache');
    });

    it('ignores a relative XDG_CACHE_HOME and asks the system for the home only when HOME is unset', () => {
      assert.equal(compileCacheDirectory({ HOME: '/home/u', XDG_CACHE_HOME: 'cache' }, 'linux', home), '/home/u/.cache/kubectl-tikv/compile-cache');
      assert.equal(compileCacheDirectory({}, 'linux', home), '/home/from-passwd/.cache/kubectl-tikv/compile-cache');
      assert.equal(compileCacheDirectory({}, 'linux', () => undefined), undefined);
      assert.equal(compileCacheDirectory({}, 'win32', home), undefined);
    });
  });

  describe('what every start evaluates (--help, version --client)', () => {
    let closure: Set<string>;
    before(() => {
      ensureBuilt();
      const metafile = JSON.parse(readFileSync(path.join(REPO, 'dist', 'kubectl-tikv.meta.json'), 'utf8')) as Metafile;
      closure = startupClosure(metafile, STARTUP_ROOTS);
    });

    it('leaves out the Kubernetes client, undici, listr2, inquirer, YAML and the services: commands import them when they run', () => {
      const heavy = /^(@kubernetes\/|undici$|listr2$|@listr2\/|@inquirer\/|yaml$|ws$|iconv-lite$)/;
      assert.deepEqual([...closure].filter((input) => heavy.test(packageOf(input) ?? '')), []);
      assert.deepEqual([...closure].filter((input) => input.startsWith('src/services/') && input !== 'src/services/clock.ts'), []);
      assert.deepEqual([...closure].filter((input) => /^src\/(pd|tikv)\//.test(input) || input === 'src/kube/client-node-kube.ts'), []);
    });

    it('follows static imports and require() but stops at dynamic import()', () => {
      const metafile = {
        inputs: {
          'a.ts': { bytes: 1, imports: [{ path: 'b.ts', kind: 'import-statement' }, { path: 'c.ts', kind: 'dynamic-import' }, { path: 'node:fs', kind: 'import-statement', external: true }] },
          'b.ts': { bytes: 1, imports: [{ path: 'node_modules/x/index.js', kind: 'require-call' }] },
          'c.ts': { bytes: 1, imports: [] },
          'node_modules/x/index.js': { bytes: 1, imports: [] },
        },
        outputs: {},
      } as unknown as Metafile;
      assert.deepEqual([...startupClosure(metafile, ['a.ts'])].sort(), ['a.ts', 'b.ts', 'node_modules/x/index.js']);
      assert.equal(packageOf('node_modules/@scope/pkg/lib/x.js'), '@scope/pkg');
      assert.equal(packageOf('src/cli/main.ts'), undefined);
    });
  });

  describe('the split of the program into core and lazy files', () => {
    const metafile = {
      inputs: {
        'main.ts': { bytes: 1, imports: [{ path: 'errors.ts', kind: 'import-statement' }, { path: 'service.ts', kind: 'dynamic-import' }, { path: 'later.ts', kind: 'dynamic-import' }] },
        'errors.ts': { bytes: 1, imports: [] },
        'later.ts': { bytes: 1, imports: [] },
        'service.ts': { bytes: 1, imports: [{ path: 'errors.ts', kind: 'import-statement' }, { path: 'node_modules/client/index.js', kind: 'require-call' }, { path: 'main.ts', kind: 'dynamic-import' }] },
        'node_modules/client/index.js': { bytes: 1, imports: [{ path: 'node:https', kind: 'require-call', external: true }] },
      },
      outputs: {},
    } as unknown as Metafile;

    it('makes the dynamic imports that leave the start-up closure the lazy entries, and offers the core modules the lazy side uses', () => {
      const plan = planSplit(metafile, startupClosure(metafile, ['main.ts']));
      assert.deepEqual([...plan.core].sort(), ['errors.ts', 'main.ts']);
      assert.deepEqual(plan.lazyEntries, ['later.ts', 'service.ts']);
      assert.deepEqual(plan.sharedCore, ['errors.ts', 'main.ts']);
    });

    it('refuses a core that is not closed under static imports', () => {
      assert.throws(() => planSplit(metafile, new Set(['main.ts'])), /main\.ts imports errors\.ts statically, yet it is outside the start-up closure/);
    });
  });

  describe("oclif's index, loaded lazily in the bundle", () => {
    const indexFile = createRequire(import.meta.url).resolve('@oclif/core');
    const original = readFileSync(indexFile, 'utf8');

    it('exports the very objects oclif exports, each loaded on first use', () => {
      const real = createRequire(import.meta.url)('@oclif/core') as Record<string, unknown>;
      const lazy = { exports: {} as Record<string, unknown> };
      // Evaluated as CommonJS from oclif's own directory, as esbuild bundles it.
      new Function('exports', 'require', 'module', lazyIndexSource(original, indexFile))(lazy.exports, createRequire(indexFile), lazy);
      const names = Object.keys(real).filter((name) => name !== '__esModule').sort();
      assert.deepEqual(Object.keys(lazy.exports).sort(), names);
      for (const name of names) assert.equal(lazy.exports[name], real[name], name);
    });

    it("sorts commands by code unit instead of localeCompare (no ICU collator at start), refusing a plugin.js it does not know", () => {
      const pluginFile = path.join(path.dirname(indexFile), 'config', 'plugin.js');
      const patched = plainCommandSortSource(readFileSync(pluginFile, 'utf8'), pluginFile);
      assert.ok(!patched.includes('localeCompare'));
      const ids = ['version', 'upgrade', 'status', 'restart', 'evict'];
      const sort = new Function('ids', `return ids.map((id) => ({ id }))${/\.sort\(\(a, b\) => \(a\.id < b\.id[^;]+;/.exec(patched)?.[0]}`) as (ids: string[]) => { id: string }[];
      assert.deepEqual(sort(ids).map((c) => c.id), [...ids].sort((a, b) => a.localeCompare(b)));
      assert.throws(() => plainCommandSortSource('module.exports = 1;', 'plugin.js'), /command sort is not the expected/);
    });

    it('refuses an index it does not understand, so an oclif upgrade cannot ship unnoticed', () => {
      assert.throws(() => lazyIndexSource(original.replace(/^var help_1 = require\("\.\/help"\);$/m, ''), 'index.js'), /unexpected shape.*not understood: loadHelpClass, HelpBase, Help, CommandHelp\)/);
      assert.throws(() => lazyIndexSource('module.exports = {}', 'index.js'), /unexpected shape/);
    });
  });

  describe('the code cache of dist/launch.cjs', function () {
    this.timeout(60_000);
    let cacheHome: string;
    before(() => ensureBuilt());
    beforeEach(() => {
      cacheHome = mkdtempSync(path.join(tmpdir(), 'kt-cache-'));
    });
    afterEach(() => rmSync(cacheHome, { recursive: true, force: true }));

    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(NODE, [path.join(REPO, 'dist', 'launch.cjs'), ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: cacheHome, XDG_CACHE_HOME: path.join(cacheHome, 'xdg'), ...env },
      });
    const cacheFiles = () => {
      try {
        return readdirSync(path.join(cacheHome, 'xdg', 'kubectl-tikv', 'compile-cache'));
      } catch {
        return [];
      }
    };

    /** The cache file of one file of the program: named for this Node and the file's content. */
    const cacheOf = (part: 'core' | 'lazy') => {
      const sha = createHash('sha256').update(readFileSync(path.join(REPO, 'dist', `kubectl-tikv-${part}.cjs`))).digest('hex');
      return path.join(cacheHome, 'xdg', 'kubectl-tikv', 'compile-cache', `${process.version}-${process.arch}-${sha.slice(0, 16)}.v8cache`);
    };

    it('writes the cache of the core after the first run, for this Node and this build, and uses it as it is afterwards', () => {
      const first = run(['version', '--client']);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /^kubectl-tikv v\d+\.\d+\.\d+ /);
      assert.deepEqual(cacheFiles(), [path.basename(cacheOf('core'))], 'version --client never loads the lazy part');
      const written = readFileSync(cacheOf('core'));
      assert.equal(written.toString('latin1', 0, 4), 'KTC1');
      assert.ok(written.length > 100_000, 'the cache holds the compiled functions');
      // V8's data differs from one createCachedData() to the next: an untouched file means it was read and accepted.
      assert.equal(run(['--help']).status, 0);
      assert.ok(readFileSync(cacheOf('core')).equals(written), 'a run like the first one keeps the cache');
    });

    it('loads the lazy part for a command that needs the cluster, caches it, and grows the core cache', () => {
      assert.equal(run(['--help']).status, 0);
      const small = readFileSync(cacheOf('core'));
      const kubeconfig = path.join(cacheHome, 'kubeconfig');
      writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: tidb}}]\ncurrent-context: x\n');
      const status = run(['status'], { KUBECONFIG: kubeconfig });
      assert.equal(status.status, 1, status.stderr);
      assert.match(status.stderr, /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:9/);
      assert.deepEqual(cacheFiles().sort(), [path.basename(cacheOf('core')), path.basename(cacheOf('lazy'))].sort());
      const lazy = readFileSync(cacheOf('lazy'));
      assert.ok(lazy.length > small.length, 'the lazy part holds the Kubernetes client');
      const grown = readFileSync(cacheOf('core'));
      assert.ok(grown.readUInt32LE(4) > small.readUInt32LE(4) * 1.25, 'the run that loaded more code records its larger heap');
      assert.equal(run(['--help']).status, 0);
      assert.ok(readFileSync(cacheOf('core')).equals(grown), 'a smaller command keeps the larger cache');
      assert.ok(readFileSync(cacheOf('lazy')).equals(lazy), 'and does not touch the lazy part');
    });

    it('replaces a cache V8 rejects, and runs correctly meanwhile', () => {
      assert.equal(run(['--help']).status, 0);
      const file = cacheOf('core');
      writeFileSync(file, 'not a code cache');
      const second = run(['version', '--client']);
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /^kubectl-tikv v/);
      assert.notEqual(readFileSync(file, 'latin1'), 'not a code cache');
    });

    it('removes caches of other builds not written for 30 days when it writes one', () => {
      const directory = path.join(cacheHome, 'xdg', 'kubectl-tikv', 'compile-cache');
      mkdirSync(directory, { recursive: true });
      const old = path.join(directory, 'v22.0.0-x64-0123456789abcdef.v8cache');
      const recent = path.join(directory, 'v22.0.0-x64-fedcba9876543210.v8cache');
      const unrelated = path.join(directory, 'notes.txt');
      for (const file of [old, recent, unrelated]) writeFileSync(file, 'x');
      const fortyDaysAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
      utimesSync(old, fortyDaysAgo, fortyDaysAgo);
      utimesSync(unrelated, fortyDaysAgo, fortyDaysAgo);
      assert.equal(run(['--help']).status, 0);
      assert.deepEqual(cacheFiles().sort(), [path.basename(cacheOf('core')), 'notes.txt', path.basename(recent)].sort());
    });

    it('runs without a cache when the cache directory cannot be written, or when NODE_DISABLE_COMPILE_CACHE is set', () => {
      writeFileSync(path.join(cacheHome, 'xdg'), 'a file where the directory would go');
      const blocked = run(['version', '--client']);
      assert.equal(blocked.status, 0, blocked.stderr);
      assert.equal(blocked.stderr, '');
      rmSync(path.join(cacheHome, 'xdg'));
      const disabled = run(['version', '--client'], { NODE_DISABLE_COMPILE_CACHE: '1' });
      assert.equal(disabled.status, 0, disabled.stderr);
      assert.deepEqual(cacheFiles(), []);
    });
  });
});
