import assert from 'node:assert/strict';
import { compareVersions, imageTag, parseVersion, sameVersion, withImageTag } from '../../src/core/version.ts';

describe('core/version', () => {
  describe('parseVersion', () => {
    const cases: [string, string | undefined][] = [
      ['v8.5.0', '8.5.0'],
      ['8.5.0', '8.5.0'],
      [' v7.5.1 ', '7.5.1'],
      ['v8.5.0-beta.1', '8.5.0-beta.1'],
      ['v8.5.0+build.7', '8.5.0'],
      ['v8.5', undefined],
      ['8', undefined],
      ['latest', undefined],
      ['v08.5.0', undefined],
      ['v8.5.0.1', undefined],
      ['', undefined],
      ['vv8.5.0', undefined],
    ];
    for (const [input, expected] of cases) {
      it(`reads ${JSON.stringify(input)} as ${expected ?? 'not a version'}`, () => {
        assert.equal(parseVersion(input)?.text, expected);
      });
    }
  });

  describe('compareVersions', () => {
    const ordered = ['7.5.0', '7.5.1', '8.0.0-alpha', '8.0.0-alpha.1', '8.0.0-alpha.beta', '8.0.0-beta', '8.0.0-beta.2', '8.0.0-beta.11', '8.0.0-rc.1', '8.0.0', '8.5.0', '10.0.0'];
    for (let i = 0; i + 1 < ordered.length; i++) {
      it(`orders ${ordered[i]} before ${ordered[i + 1]}`, () => {
        const a = parseVersion(ordered[i])!;
        const b = parseVersion(ordered[i + 1])!;
        assert.ok(compareVersions(a, b) < 0);
        assert.ok(compareVersions(b, a) > 0);
      });
    }
    it('treats a leading v and build metadata as equal', () => {
      assert.equal(compareVersions(parseVersion('v8.5.0')!, parseVersion('8.5.0+abc')!), 0);
    });
  });

  it('compares version texts with or without v', () => {
    assert.equal(sameVersion('v8.5.0', '8.5.0'), true);
    assert.equal(sameVersion('v8.5.0', '8.5.1'), false);
    assert.equal(sameVersion(undefined, '8.5.1'), false);
  });

  describe('image tags', () => {
    it('reads the tag and ignores a registry port and digest', () => {
      assert.equal(imageTag('pingcap/tikv:v8.5.0'), 'v8.5.0');
      assert.equal(imageTag('registry:5000/pingcap/tikv:v8.5.0'), 'v8.5.0');
      assert.equal(imageTag('registry:5000/pingcap/tikv'), undefined);
      assert.equal(imageTag('pingcap/tikv:v8.5.0@sha256:abc'), 'v8.5.0');
    });
    it('replaces the tag', () => {
      assert.equal(withImageTag('registry:5000/pingcap/tikv:v8.5.0', 'v8.5.1'), 'registry:5000/pingcap/tikv:v8.5.1');
      assert.equal(withImageTag('pingcap/tikv', 'v8.5.1'), 'pingcap/tikv:v8.5.1');
      assert.equal(withImageTag('pingcap/tikv:v8.5.0@sha256:abc', 'v8.5.1'), 'pingcap/tikv:v8.5.1');
    });
  });
});
