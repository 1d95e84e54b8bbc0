import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SimCluster, startSimCluster } from '../sim/cluster.ts';
import { kubectlPath } from '../e2e/harness.ts';
import { enableCompletion, type KrewInstall, krewInstall } from './krew-install.ts';
import { linuxRelease } from './release-fixture.ts';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The proof by use: the linux/amd64 archive installed as krew installs it, run through the real kubectl with a PATH
 * that holds krew's bin directory, kubectl and the two tools the sh launcher may use — and a `node` that fails, so
 * any use of a Node from PATH (the machine's, the project's) shows.
 */
describe('the linux/amd64 release archive, installed as krew installs it', function () {
  this.timeout(180_000);
  let root: string;
  let install: KrewInstall;
  let env: Record<string, string>;
  let sim: SimCluster | undefined;

  before(() => {
    const release = linuxRelease();
    root = mkdtempSync(path.join(tmpdir(), 'kt-krew-'));
    install = krewInstall(release.manifest, release.archive, path.join(root, 'krew'));
    const tools = path.join(root, 'tools');
    mkdirSync(tools);
    symlinkSync(kubectlPath(), path.join(tools, 'kubectl'));
    for (const tool of ['readlink', 'ls']) symlinkSync(`/bin/${tool}`, path.join(tools, tool));
    writeFileSync(path.join(tools, 'node'), '#!/bin/sh\necho "a node from PATH was run" >&2\nexit 97\n');
    chmodSync(path.join(tools, 'node'), 0o755);
    const home = path.join(root, 'home');
    mkdirSync(path.join(home, '.kube'), { recursive: true });
    env = { HOME: home, PATH: [install.binDir, tools].join(path.delimiter), LANG: 'C.UTF-8', KUBECACHEDIR: path.join(home, '.kube', 'cache') };
  });
  after(async () => {
    await sim?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  function run(command: string, args: string[], timeoutMs = 60_000): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { env, cwd: env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }
  const kubectl = (args: string[]) => run(path.join(env.PATH.split(path.delimiter)[1], 'kubectl'), args);

  it('installs the files the manifest names, with the launcher executable and Node inside', () => {
    assert.deepEqual(readdirSync(install.installDir).sort(), ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES.txt', 'kubectl-tikv', 'kubectl_complete-tikv', 'lib', 'node']);
    assert.deepEqual(readdirSync(path.join(install.installDir, 'node', 'bin')), ['node']);
  });

  it('answers `kubectl tikv --help` and `version --client` through kubectl, without any Node on PATH', async () => {
    const help = await kubectl(['tikv', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /\$ kubectl tikv \[COMMAND\]/);
    assert.equal(help.stderr, '');
    const version = await kubectl(['tikv', 'version', '--client']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^kubectl-tikv v\d+\.\d+\.\d+ \(node v22\.23\.2, linux\/x64\)\n$/);
  });

  it('passes arguments and the exit code through the launcher', async () => {
    const result = await kubectl(['tikv', 'status', '-o', 'xml']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: invalid value "xml" for --output/);
    const direct = await run(path.join(install.binDir, 'kubectl-tikv'), ['version', '--client', '-o', 'json']);
    assert.equal(direct.code, 0, direct.stderr);
    assert.deepEqual(JSON.parse(direct.stdout), { plugin: { version: `v${PACKAGE_VERSION}`, node: 'v22.23.2', platform: 'linux/x64' } });
  });

  describe('against a simulated cluster', () => {
    before(async () => {
      sim = await startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.01 });
      sim.writeKubeconfig(path.join(env.HOME, '.kube', 'config'), { namespace: 'tidb' });
    });

    it('reads PD and TiKV versions with `kubectl tikv version`, through its own port-forward', async () => {
      const result = await kubectl(['tikv', 'version', '-o', 'json']);
      assert.equal(result.code, 0, result.stderr);
      const version = JSON.parse(result.stdout) as { pd: { version: string }; tikv: { versions: { version: string; stores: number }[] } };
      assert.equal(version.pd.version, 'v8.5.0');
      assert.deepEqual(version.tikv.versions, [{ version: 'v8.5.0', stores: 3 }]);
    });

    it('shows every store and its pod with `kubectl tikv status`', async () => {
      const result = await kubectl(['tikv', 'status']);
      assert.equal(result.code, 0, result.stderr);
      for (const pod of ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']) assert.match(result.stdout, new RegExp(`\\b${pod}\\b`));
      assert.match(result.stdout, /tidb-operator-v1/);
    });

    it('completes subcommands, flags, flag values and TiKV pods through kubectl once the hook is copied', async () => {
      enableCompletion(install);
      const values = async (words: string[]) => {
        const result = await kubectl(['__complete', 'tikv', ...words]);
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stdout.trimEnd().split('\n');
        assert.equal(lines.pop(), ':4', result.stdout);
        return lines.map((line) => line.split('\t')[0]);
      };
      assert.deepEqual(await values(['']), ['status', 'stores', 'evict', 'restart', 'upgrade', 'version']);
      assert.deepEqual(await values(['restart', '--on-evict-timeout', '']), ['abort', 'restart']);
      assert.deepEqual(await values(['status', '-o', '']), ['json', 'yaml', 'wide']);
      assert.ok((await values(['upgrade', '--or'])).includes('--order'));
      assert.deepEqual(await values(['upgrade', '--order', 'l']), ['leaders']);
      assert.ok((await values(['--topology', ''])).includes('statefulset'));
      assert.deepEqual(await values(['restart', '']), ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
      assert.deepEqual(await values(['evict', 'basic-tikv-1']), ['basic-tikv-1']);
    });
  });
});
