// The Node.js runtime for a platform: its npm package fetched once with `npm pack` into a cache directory, checked
// against the pinned integrity, and the binary and licence read out of it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { NODE_VERSION, type Platform } from './platforms.ts';
import { readTarGz } from './tar-gz.ts';

/** A platform's Node.js: the unmodified binary and the licence text that ships with it. */
export interface NodeRuntime {
  binary: Buffer;
  license: string;
  /** The npm tarball it came from, and its size (for the report of what was downloaded). */
  tarball: string;
  tarballBytes: number;
}

/** `sha512-…` integrity of a file's bytes, as npm writes it. */
export function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * The npm tarball of `platform`'s Node, from `cacheDir` or downloaded into it with `npm pack` (the npm registry the
 * user's npm is configured for). Throws when its integrity is not the pinned one, naming both.
 */
export function nodeTarball(platform: Platform, cacheDir: string, log: (line: string) => void = () => {}): string {
  const file = path.join(cacheDir, `${platform.nodePackage}-${NODE_VERSION}.tgz`);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    const scratch = path.join(cacheDir, `.pack-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch);
    try {
      log(`fetching ${platform.nodePackage}@${NODE_VERSION} with npm pack`);
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const result = spawnSync(npm, ['pack', `${platform.nodePackage}@${NODE_VERSION}`, '--pack-destination', scratch, '--silent'], {
        encoding: 'utf8',
        shell: process.platform === 'win32',
        // npm warnings (unknown user config …) are not ours to show; the error text is, when it fails.
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const packed = path.join(scratch, path.basename(file));
      if (result.status !== 0 || !existsSync(packed)) {
        throw new Error(`npm pack ${platform.nodePackage}@${NODE_VERSION} failed (exit ${result.status}): ${(result.stderr || result.error?.message || '').trim()}`);
      }
      renameSync(packed, file);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const integrity = integrityOf(readFileSync(file));
  if (integrity !== platform.integrity) {
    throw new Error(
      `${file} has integrity ${integrity}, but scripts/package/platforms.ts pins ${platform.integrity} for ${platform.nodePackage}@${NODE_VERSION}. ` +
        'Delete the file to download it again; if the Node version changed on purpose, pin the new integrity.',
    );
  }
  return file;
}

/**
 * The Node runtime of `platform`. Windows' package carries no licence file; Node's licence is the same for every
 * platform of one version, so it is read from the Linux x64 package then.
 */
export function nodeRuntime(platform: Platform, cacheDir: string, licenseFrom: Platform, log?: (line: string) => void): NodeRuntime {
  const tarball = nodeTarball(platform, cacheDir, log);
  const wanted = new Set([platform.nodeBinary, 'package/LICENSE']);
  const members = readTarGz(readFileSync(tarball), { only: (name) => wanted.has(name) });
  const binary = members.find((m) => m.path === platform.nodeBinary)?.data;
  if (!binary) throw new Error(`${tarball} has no ${platform.nodeBinary}`);
  let license = members.find((m) => m.path === 'package/LICENSE')?.data.toString('utf8');
  if (license === undefined) {
    const other = readTarGz(readFileSync(nodeTarball(licenseFrom, cacheDir, log)), { only: (name) => name === 'package/LICENSE' });
    license = other[0]?.data.toString('utf8');
  }
  if (license === undefined) throw new Error(`no Node.js licence found in ${tarball}`);
  return { binary, license, tarball, tarballBytes: statSync(tarball).size };
}
