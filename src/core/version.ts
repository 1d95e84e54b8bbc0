/** A TiKV/PD release version: `v8.5.0`, `8.5.0`, `v8.5.0-beta.1` (semver with an optional leading `v`). */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Pre-release identifiers (`beta.1` → ['beta', '1']); empty for a release. */
  prerelease: string[];
  /** Canonical text without the leading `v` (`8.5.0-beta.1`), as PD reports a store's version. */
  text: string;
}

const VERSION_PATTERN = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-.]+)?$/;

/** Parses a version, or returns undefined when it is not `[v]MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`. */
export function parseVersion(text: string): Version | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, major, minor, patch, pre] = match;
  const prerelease = pre ? pre.split('.') : [];
  return {
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    prerelease,
    text: `${major}.${minor}.${patch}${pre ? `-${pre}` : ''}`,
  };
}

/** Semver precedence: negative when a < b, 0 when equal (build metadata ignored), positive when a > b. */
export function compareVersions(a: Version, b: Version): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] - b[key];
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    // A release ranks above its pre-releases.
    return (a.prerelease.length === 0 ? 1 : 0) - (b.prerelease.length === 0 ? 1 : 0);
  }
  const length = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < length; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xNumeric = /^\d+$/.test(x);
    const yNumeric = /^\d+$/.test(y);
    if (xNumeric && yNumeric) return Number(x) - Number(y);
    if (xNumeric) return -1;
    if (yNumeric) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** True when both texts parse and name the same version (`v8.5.0` equals `8.5.0`). */
export function sameVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a.replace(/^v/, '') === b.replace(/^v/, '');
  return compareVersions(x, y) === 0;
}

/** The tag of a container image (`pingcap/tikv:v8.5.0` → `v8.5.0`), ignoring a registry port and a digest. */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > lastSlash ? withoutDigest.slice(lastColon + 1) : undefined;
}

/** The image with its tag replaced (`pingcap/tikv:v8.5.0`, `v8.5.1` → `pingcap/tikv:v8.5.1`); a digest is dropped. */
export function withImageTag(image: string, tag: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  const repository = lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
  return `${repository}:${tag}`;
}
