import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nodeRuntime } from '../../scripts/package/node-runtime.ts';
import { PLATFORMS, selectPlatforms } from '../../scripts/package/platforms.ts';
import { buildRelease } from '../../scripts/package/release.ts';
import { hasAuthenticode, injectSeaBlob, peChecksum, peResource, programSeaBlob, SEA_FUSE, SEA_RESOURCE, storedPeChecksum } from '../../scripts/package/sea.ts';
import { readZip } from '../../scripts/package/zip.ts';
import { ensureBuilt, REPO } from '../e2e/harness.ts';
import { NODE_CACHE } from './release-fixture.ts';

/**
 * The Windows archive cannot run here; what can be checked is checked: the zip's contents, the executable's PE
 * structure (no stale signature, a correct checksum, the SEA resource holding exactly the blob, the fuse flipped),
 * and — since the blob format belongs to the Node version, not the platform — that the very same blob (the launcher
 * with the program's files as assets), injected into the Linux build of that Node, runs kubectl-tikv.
 */
describe('the windows/amd64 release archive (single-executable application)', function () {
  this.timeout(300_000);
  const [windows] = selectPlatforms(['windows/amd64']);
  let work: string;
  let zip: ReturnType<typeof readZip>;
  let exe: Buffer;
  let blob: Buffer;

  before(() => {
    ensureBuilt();
    work = mkdtempSync(path.join(tmpdir(), 'kt-windows-'));
    const release = buildRelease({ root: REPO, platforms: [windows], outDir: work, cacheDir: NODE_CACHE });
    zip = readZip(readFileSync(release.archives[0].file));
    exe = zip.find((m) => m.path === 'kubectl-tikv.exe')?.data as Buffer;
    blob = programSeaBlob(path.join(REPO, 'dist'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('holds kubectl-tikv.exe, the completion hook, the licences and a README', () => {
    assert.deepEqual(zip.map((m) => m.path), ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES.txt', 'kubectl-tikv.exe', 'kubectl_complete-tikv.cmd']);
    assert.equal(zip.find((m) => m.path === 'kubectl_complete-tikv.cmd')?.data.toString(), `@echo off\r\nrem kubectl_complete-tikv v${(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version}: shell completion for "kubectl tikv" (kubectl 1.26+ runs this from PATH).\r\n"%~dp0kubectl-tikv.exe" __complete %*\r\n`);
    assert.match(zip.find((m) => m.path === 'THIRD-PARTY-NOTICES.txt')?.data.toString() ?? '', /Node\.js is licensed for use as follows:/);
  });

  it('is a 64-bit PE executable without the signature of the node.exe it was made from, with a correct checksum', () => {
    assert.equal(exe.toString('latin1', 0, 2), 'MZ');
    assert.equal(exe.toString('latin1', exe.readUInt32LE(0x3c), exe.readUInt32LE(0x3c) + 4), 'PE\0\0');
    const original = nodeRuntime(windows, NODE_CACHE, PLATFORMS[0]).binary;
    assert.ok(hasAuthenticode(original), 'the official node.exe is signed');
    assert.ok(!hasAuthenticode(exe), 'the injected executable carries no (broken) signature');
    assert.equal(storedPeChecksum(exe), peChecksum(exe));
    assert.equal(storedPeChecksum(original), peChecksum(original), 'the checksum algorithm agrees with Microsoft\'s on the official binary');
  });

  it('carries the blob of the bundle as the NODE_SEA_BLOB resource, with the SEA fuse set', () => {
    assert.ok(peResource(exe, SEA_RESOURCE)?.equals(blob), 'the resource is exactly the blob');
    assert.equal(peResource(exe, 'SOMETHING_ELSE'), undefined);
    assert.equal(exe.indexOf(`${SEA_FUSE}:1`), exe.lastIndexOf(`${SEA_FUSE}:1`));
    assert.ok(exe.indexOf(`${SEA_FUSE}:1`) > 0);
    assert.equal(exe.indexOf(`${SEA_FUSE}:0`), -1);
  });

  it('runs kubectl-tikv from that blob, with its code cache, proven with the Linux build of the same Node', () => {
    const linux = nodeRuntime(PLATFORMS[0], NODE_CACHE, PLATFORMS[0]).binary;
    const sea = path.join(work, 'kubectl-tikv-sea');
    writeFileSync(sea, injectSeaBlob(linux, blob));
    chmodSync(sea, 0o755);
    const env = { PATH: '/nonexistent', HOME: work, XDG_CACHE_HOME: path.join(work, 'cache') };
    const version = spawnSync(sea, ['version', '--client'], { encoding: 'utf8', env });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^kubectl-tikv v\d+\.\d+\.\d+ \(node v22\.23\.2, linux\/x64\)\n$/);
    assert.equal(version.stderr, '', 'no experimental-SEA warning');
    assert.equal(readdirSync(path.join(work, 'cache', 'kubectl-tikv', 'compile-cache')).length, 1, 'the launcher kept a code cache');
    const help = spawnSync(sea, ['restart', '--help'], { encoding: 'utf8', env });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /\$ kubectl tikv restart \[POD\.\.\.\] \[--all\] \[flags\]/);
    const usage = spawnSync(sea, ['restat'], { encoding: 'utf8', env });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^error: unknown command "restat" for "kubectl tikv"/);
    // The lazily loaded asset (the Kubernetes client) throws an error the core recognises: one module, one class.
    const kubeconfig = path.join(work, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: tidb}}]\ncurrent-context: x\n');
    const status = spawnSync(sea, ['status'], { encoding: 'utf8', env: { ...env, KUBECONFIG: kubeconfig } });
    assert.equal(status.status, 1, status.stderr);
    assert.match(status.stderr, /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:9 \(context "x"\)/);
  });
});
