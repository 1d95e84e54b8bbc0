import assert from 'node:assert/strict';
import { parse, stringify } from 'yaml';
import { krewManifest, manifestPlatformIds, SHORT_DESCRIPTION, validateKrewManifest } from '../../scripts/package/krew-manifest.ts';
import { archiveName, PLATFORMS, platformId } from '../../scripts/package/platforms.ts';

const sha = (i: number) => `${i}`.repeat(64).slice(0, 64).replace(/\d/g, (d) => 'abcdef0123'[Number(d)]);

/** A manifest for all five platforms, as `npm run package` writes it. */
function fullManifest(): string {
  return krewManifest({
    version: '1.2.3',
    homepage: 'https://github.com/example/kubectl-tikv',
    archives: PLATFORMS.map((platform, i) => ({
      platform,
      uri: `https://github.com/example/kubectl-tikv/releases/download/v1.2.3/${archiveName('1.2.3', platform)}`,
      sha256: sha(i),
      files: platform.format === 'zip' ? ['LICENSE', 'README.md', 'kubectl-tikv.exe', 'kubectl_complete-tikv.cmd'] : ['LICENSE', 'README.md', 'kubectl-tikv', 'kubectl_complete-tikv', 'lib', 'node'],
      bin: platform.format === 'zip' ? 'kubectl-tikv.exe' : 'kubectl-tikv',
    })),
  });
}

/** The fields of a parsed manifest the rule tests change. */
interface Editable {
  metadata: { name: string };
  spec: {
    version: string;
    shortDescription: string;
    description: string;
    caveats?: string;
    platforms: { sha256: string; uri: string; bin: string; selector: { matchLabels: Record<string, string> }; files: { from: string; to: string }[] }[];
  };
}

/** The full manifest with one change applied to its parsed form. */
function changed(edit: (manifest: Editable) => void): string {
  const manifest = parse(fullManifest()) as Editable;
  edit(manifest);
  return stringify(manifest, { lineWidth: 0 });
}

describe('the krew manifest (plugin.yaml)', () => {
  it('covers linux/amd64, linux/arm64, darwin/amd64, darwin/arm64 and windows/amd64 and passes krew\'s rules', () => {
    const text = fullManifest();
    assert.deepEqual(validateKrewManifest(text), []);
    assert.deepEqual(manifestPlatformIds(text), ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64']);
    assert.deepEqual(PLATFORMS.map(platformId), manifestPlatformIds(text));
    const manifest = parse(text) as { metadata: { name: string }; spec: { version: string; platforms: { bin: string; uri: string; files: { from: string; to: string }[] }[] } };
    assert.equal(manifest.metadata.name, 'tikv');
    assert.equal(manifest.spec.version, 'v1.2.3');
    assert.equal(manifest.spec.platforms[4].bin, 'kubectl-tikv.exe');
    assert.match(manifest.spec.platforms[4].uri, /kubectl-tikv_v1\.2\.3_windows_amd64\.zip$/);
    assert.ok(manifest.spec.platforms.every((p) => p.files.every((f) => f.to === '.')));
  });

  it('has a one-line short description of at most 50 characters and text wrapped at 80 columns', () => {
    assert.ok(SHORT_DESCRIPTION.length <= 50, SHORT_DESCRIPTION);
    const spec = (parse(fullManifest()) as { spec: { description: string; caveats: string } }).spec;
    for (const text of [spec.description, spec.caveats]) for (const line of text.split('\n')) assert.ok(line.length <= 80, line);
    assert.match(spec.caveats, /pods\/portforward: create/);
    assert.match(spec.caveats, /leases \(coordination\.k8s\.io\):\s+get, create, update, delete/);
    assert.match(spec.caveats, /store\/tikv\/v1\.2\.3\/kubectl_complete-tikv/);
  });

  const violations: [string, (m: Editable) => void, RegExp][] = [
    ['a name other than the file name', (m) => (m.metadata.name = 'tikv-ctl'), /metadata\.name must equal the file name "tikv"/],
    ['a version without the leading v', (m) => (m.spec.version = '1.2.3'), /spec\.version must be a semantic version with a leading v/],
    ['a short description over 50 characters', (m) => (m.spec.shortDescription = 'x'.repeat(51)), /at most 50 characters \(51\)/],
    ['a short description that says kubectl', (m) => (m.spec.shortDescription = 'kubectl plugin for TiKV'), /must not repeat "kubectl"/],
    ['a description line over 80 columns', (m) => (m.spec.description = `${'y'.repeat(81)}\n`), /spec\.description line 1 is longer than 80 columns \(81\)/],
    ['no caveats', (m) => delete m.spec.caveats, /spec\.caveats is required/],
    ['an upper-case sha256', (m) => (m.spec.platforms[0].sha256 = m.spec.platforms[0].sha256.toUpperCase()), /platforms\[0\]\.sha256 must be 64 lower-case hex digits/],
    ['two platforms for one os/arch', (m) => (m.spec.platforms[1].selector.matchLabels.arch = 'amd64'), /platforms\[1\] matches linux\/amd64 like an earlier platform/],
    ['a selector key krew does not know', (m) => (m.spec.platforms[0].selector.matchLabels.libc = 'musl'), /selector key libc is not supported/],
    ['an http uri', (m) => (m.spec.platforms[0].uri = m.spec.platforms[0].uri.replace('https', 'http')), /platforms\[0\]\.uri must be an https URL/],
    ['a Windows bin that is not an .exe', (m) => (m.spec.platforms[4].bin = 'kubectl-tikv'), /platforms\[4\]\.bin must be an \.exe on Windows/],
    ['no LICENSE installed', (m) => (m.spec.platforms[2].files = m.spec.platforms[2].files.filter((f) => f.from !== 'LICENSE')), /platforms\[2\] must install a LICENSE file/],
    ['a file moved outside the install directory', (m) => (m.spec.platforms[0].files[0].to = '../x'), /to \.\.\/x must be a clean relative path/],
  ];
  for (const [what, edit, message] of violations) {
    it(`rejects ${what}`, () => {
      const errors = validateKrewManifest(changed(edit));
      assert.ok(errors.some((e) => message.test(e)), errors.join('\n'));
    });
  }

  it('rejects YAML that is not a manifest at all', () => {
    assert.match(validateKrewManifest('a: [')[0], /^not valid YAML/);
    assert.ok(validateKrewManifest('apiVersion: v1\nkind: Pod\n').length > 3);
  });
});
