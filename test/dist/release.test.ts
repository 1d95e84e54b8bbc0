import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { nodeRuntime } from '../../scripts/package/node-runtime.ts';
import { PLATFORMS, selectPlatforms } from '../../scripts/package/platforms.ts';
import { buildRelease } from '../../scripts/package/release.ts';
import { readTarGz } from '../../scripts/package/tar-gz.ts';
import { REPO } from '../e2e/harness.ts';
import { linuxRelease, NODE_CACHE } from './release-fixture.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const version = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

describe('the linux/amd64 release archive', function () {
  this.timeout(180_000);

  it('is reproducible: packaging the same build twice gives the same bytes', () => {
    const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), 'kt-release-')));
    try {
      linuxRelease(); // builds dist/ when stale, as the packaging below needs it
      const builds = dirs.map((outDir) => buildRelease({ root: REPO, platforms: selectPlatforms(['linux/amd64']), outDir, cacheDir: NODE_CACHE }));
      assert.equal(builds[0].archives[0].sha256, builds[1].archives[0].sha256);
      assert.equal(sha256(readFileSync(builds[0].archives[0].file)), builds[1].archives[0].sha256);
      assert.equal(readFileSync(builds[0].manifestFile, 'utf8'), readFileSync(builds[1].manifestFile, 'utf8'));
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('contents', () => {
    let members: ReturnType<typeof readTarGz>;
    let archiveBytes: Buffer;
    before(() => {
      archiveBytes = readFileSync(linuxRelease().archive);
      members = readTarGz(archiveBytes);
    });
    const file = (name: string) => {
      const member = members.find((m) => m.path === name);
      assert.ok(member, `${name} is in the archive`);
      return member;
    };

    it('holds the launchers, the bundle, the unmodified Node and the licences, owned by root at one fixed time', () => {
      assert.deepEqual(members.map((m) => `${m.path} ${m.type} ${m.mode.toString(8)}`), [
        'LICENSE file 644',
        'README.md file 644',
        'THIRD-PARTY-NOTICES.txt file 644',
        'kubectl-tikv file 755',
        'kubectl_complete-tikv file 755',
        'lib directory 755',
        'lib/kubectl-tikv-core.cjs file 644',
        'lib/kubectl-tikv-lazy.cjs file 644',
        'lib/launch.cjs file 644',
        'node directory 755',
        'node/bin directory 755',
        'node/bin/node file 755',
      ]);
      assert.ok(members.every((m) => m.uid === 0 && m.gid === 0 && m.mtimeSec === members[0].mtimeSec));
      // The launcher runs exactly the program files beside it: it carries their names, sizes and sha256.
      const launcher = file('lib/launch.cjs').data.toString();
      for (const name of ['kubectl-tikv-core.cjs', 'kubectl-tikv-lazy.cjs']) {
        const data = file(`lib/${name}`).data;
        assert.ok(launcher.includes(`{name:"${name}",sha256:"${sha256(data)}",bytes:${data.length}}`), name);
      }
      const official = nodeRuntime(PLATFORMS[0], NODE_CACHE, PLATFORMS[0]);
      assert.equal(sha256(file('node/bin/node').data), sha256(official.binary), 'the Node binary is the official one, byte for byte');
    });

    it('carries the Apache-2.0 licence at the top, a README, and the licences of Node.js and every bundled package', () => {
      assert.ok(file('LICENSE').data.equals(readFileSync(path.join(REPO, 'LICENSE'))));
      assert.match(file('LICENSE').data.toString(), /Apache License\s+Version 2\.0, January 2004/);
      assert.match(file('README.md').data.toString(), new RegExp(`^# kubectl tikv v${version.replace(/\./g, '\\.')} \\(linux/amd64\\)`));
      const notices = file('THIRD-PARTY-NOTICES.txt').data.toString();
      assert.match(notices, /^-+\nNode\.js v22\.23\.2/);
      assert.match(notices, /Node\.js is licensed for use as follows:/);
      for (const bundled of ['@oclif/core@', '@kubernetes/client-node@', 'undici@', 'listr2@', '@inquirer/prompts@']) assert.ok(notices.includes(`  ${bundled}`), bundled);
    });

    it('is the archive plugin.yaml names, by its lower-case sha256', () => {
      const manifest = parse(readFileSync(linuxRelease().manifest, 'utf8')) as { spec: { version: string; platforms: { sha256: string; uri: string; bin: string }[] } };
      assert.equal(manifest.spec.version, `v${version}`);
      assert.equal(manifest.spec.platforms[0].sha256, sha256(archiveBytes));
      assert.match(manifest.spec.platforms[0].uri, new RegExp(`/kubectl-tikv_v${version.replace(/\./g, '\\.')}_linux_amd64\\.tar\\.gz$`));
      assert.equal(manifest.spec.platforms[0].bin, 'kubectl-tikv');
      const sums = readFileSync(path.join(linuxRelease().dir, 'SHA256SUMS'), 'utf8');
      assert.equal(sums, `${sha256(archiveBytes)}  kubectl-tikv_v${version}_linux_amd64.tar.gz\n`);
    });
  });
});
