import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt, kubectlPath, REPO } from '../e2e/harness.ts';

const NODE_BIN = path.join(REPO, 'node_modules', '.bin');

/** `npm i -g` of the package as `npm pack` makes it: the bundle, nothing else to install, working from node_modules. */
describe('the npm package', function () {
  this.timeout(120_000);
  let work: string;
  let prefix: string;
  let files: string[];

  before(() => {
    ensureBuilt();
    work = mkdtempSync(path.join(tmpdir(), 'kt-npm-'));
    prefix = path.join(work, 'prefix');
    // dist/ was built just now; prepack would build it again.
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    files = packed.files.map((f) => f.path).sort();
    const install = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', path.join(work, packed.filename)], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${NODE_BIN}${path.delimiter}${process.env.PATH}` },
    });
    assert.equal(install.status, 0, install.stderr);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const run = (bin: string, args: string[], pathDirs: string[]) =>
    spawnSync(path.join(prefix, 'bin', bin), args, { encoding: 'utf8', env: { PATH: pathDirs.join(path.delimiter), HOME: work } });

  it('publishes the entry, the bundle, its launcher and the licences, and no sources', () => {
    for (const file of ['LICENSE', 'bin/run.js', 'dist/THIRD-PARTY-NOTICES.txt', 'dist/kubectl-tikv-core.cjs', 'dist/kubectl-tikv-lazy.cjs', 'dist/launch.cjs', 'package.json']) assert.ok(files.includes(file), file);
    assert.ok(!files.includes('dist/kubectl-tikv.cjs'), 'the one-file build (the module graph the split is planned from) is not shipped');
    assert.deepEqual(files.filter((f) => /^(src|test|scripts)\//.test(f) || f.endsWith('.ts')), []);
  });

  it('installs offline, with no dependencies, and runs `kubectl-tikv version --client` on the supported Node', () => {
    const result = run('kubectl-tikv', ['version', '--client'], [NODE_BIN, '/usr/bin', '/bin']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^kubectl-tikv v\d+\.\d+\.\d+ \(node v22\.23\.2, linux\/x64\)\n$/);
    assert.ok(!existsSync(path.join(prefix, 'lib', 'node_modules', 'kubectl-tikv', 'node_modules')), 'no dependencies were installed');
  });

  it('installs kubectl_complete-tikv, which kubectl runs for completion', () => {
    const kubectlDir = path.dirname(kubectlPath());
    const result = spawnSync(kubectlPath(), ['__complete', 'tikv', 'sta'], {
      encoding: 'utf8',
      env: { PATH: [path.join(prefix, 'bin'), NODE_BIN, kubectlDir].join(path.delimiter), HOME: work },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^status\t.+\n:4\n$/);
  });

  it('explains, instead of crashing, when the Node on PATH is too old', function () {
    if (!existsSync('/usr/bin/node') || spawnSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0] < 22'], { encoding: 'utf8' }).stdout.trim() !== 'true') {
      this.skip(); // needs an old Node at /usr/bin/node, as the project's machines have (Node 20)
    }
    const result = run('kubectl-tikv', ['version', '--client'], ['/usr/bin', '/bin']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^error: kubectl-tikv needs Node\.js 22\.22\.2\+, 24\.15\+ or 26\+, but this is Node\.js v\d+/);
  });
});
