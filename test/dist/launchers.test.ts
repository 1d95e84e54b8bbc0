import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { linuxRelease } from './release-fixture.ts';

/**
 * The archive's sh launchers, run by /bin/sh (dash on Debian, a strict POSIX shell) from every kind of place krew
 * or a user puts them: behind krew's absolute symlink, behind relative and chained symlinks, in a directory with
 * spaces, by a relative path.
 */
describe('the sh launchers of the Linux and macOS archives', function () {
  this.timeout(120_000);
  let root: string;
  let installDir: string;
  const tools = () => path.join(root, 'tools');

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'kt-launch-'));
    installDir = path.join(root, 'store with spaces', 'v1');
    mkdirSync(installDir, { recursive: true });
    const untar = spawnSync('tar', ['-xzf', linuxRelease().archive, '-C', installDir]);
    assert.equal(untar.status, 0);
    mkdirSync(tools());
    for (const tool of ['readlink', 'ls']) symlinkSync(`/bin/${tool}`, path.join(tools(), tool));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function run(file: string, args: string[], env: Record<string, string> = {}, cwd = root) {
    return spawnSync(file, args, { cwd, encoding: 'utf8', env: { PATH: tools(), HOME: root, ...env } });
  }
  const versionLine = /^kubectl-tikv v\d+\.\d+\.\d+ \(node v22\.23\.2, linux\/x64\)\n$/;

  it('runs from the install directory itself, by absolute and by relative path', () => {
    assert.match(run(path.join(installDir, 'kubectl-tikv'), ['version', '--client']).stdout, versionLine);
    assert.match(run('./kubectl-tikv', ['version', '--client'], {}, installDir).stdout, versionLine);
  });

  it('follows an absolute symlink (krew), a relative one and a chain of them', () => {
    const bin = path.join(root, 'bin');
    const other = path.join(root, 'elsewhere');
    mkdirSync(bin);
    mkdirSync(other);
    symlinkSync(path.join(installDir, 'kubectl-tikv'), path.join(bin, 'kubectl-tikv'));
    symlinkSync(path.join('..', 'store with spaces', 'v1', 'kubectl-tikv'), path.join(other, 'relative'));
    symlinkSync(path.join('..', 'elsewhere', 'relative'), path.join(bin, 'chained'));
    for (const link of ['kubectl-tikv', 'chained']) assert.match(run(path.join(bin, link), ['version', '--client']).stdout, versionLine, link);
    assert.match(run('bin/chained', ['version', '--client']).stdout, versionLine, 'relative invocation of a relative chain');
  });

  it('falls back to ls when readlink is not installed', () => {
    const bin = path.join(root, 'bin-ls-only');
    const lsOnly = path.join(root, 'tools-ls-only');
    mkdirSync(bin);
    mkdirSync(lsOnly);
    symlinkSync('/bin/ls', path.join(lsOnly, 'ls'));
    symlinkSync(path.join(installDir, 'kubectl-tikv'), path.join(bin, 'kubectl-tikv'));
    const result = run(path.join(bin, 'kubectl-tikv'), ['version', '--client'], { PATH: lsOnly });
    assert.match(result.stdout, versionLine, result.stderr);
  });

  it('passes every argument unchanged, and the exit code', () => {
    const json = run(path.join(installDir, 'kubectl-tikv'), ['version', '--client', '--output', 'json']);
    assert.equal(json.status, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { plugin: { node: string } }).plugin.node, 'v22.23.2');
    const bad = run(path.join(installDir, 'kubectl-tikv'), ['restart', 'a b', '--evict-timeout', '5 m']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: invalid duration "5 m" for --evict-timeout/);
  });

  it('ignores the user\'s NODE_OPTIONS and takes KUBECTL_TIKV_NODE_OPTIONS for the bundled Node', () => {
    const hook = '--require=/nonexistent/hook.js';
    assert.match(run(path.join(installDir, 'kubectl-tikv'), ['version', '--client'], { NODE_OPTIONS: hook }).stdout, versionLine);
    const passed = run(path.join(installDir, 'kubectl-tikv'), ['version', '--client'], { KUBECTL_TIKV_NODE_OPTIONS: hook });
    assert.notEqual(passed.status, 0);
    assert.match(passed.stderr, /Cannot find module '\/nonexistent\/hook\.js'/);
  });

  it('answers completion through kubectl_complete-tikv, also when it was copied next to a link to the launcher', () => {
    const inPlace = run(path.join(installDir, 'kubectl_complete-tikv'), ['ver']);
    assert.match(inPlace.stdout, /^version\t.+\n:4\n$/);
    const krewBin = path.join(root, 'krew-bin');
    mkdirSync(krewBin);
    symlinkSync(path.join(installDir, 'kubectl-tikv'), path.join(krewBin, 'kubectl-tikv'));
    spawnSync('cp', [path.join(installDir, 'kubectl_complete-tikv'), krewBin]);
    assert.equal(run(path.join(krewBin, 'kubectl_complete-tikv'), ['ver']).stdout, inPlace.stdout);
  });
});
