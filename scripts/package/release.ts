// Builds the release archives for a set of platforms from the built bundle (dist/), plus plugin.yaml and
// SHA256SUMS. scripts/package.ts is its command line; tests call it for linux/amd64.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ArchiveEntry } from './archive-entry.ts';
import { archiveReadme } from './archive-readme.ts';
import { krewManifest, type ManifestArchive, validateKrewManifest } from './krew-manifest.ts';
import { posixCompletionLauncher, posixLauncher, windowsCompletionLauncher } from './launchers.ts';
import { nodeRuntime } from './node-runtime.ts';
import { archiveName, NODE_VERSION, type Platform, PLATFORMS, platformId } from './platforms.ts';
import { programSeaBlob, windowsExecutable } from './sea.ts';
import { writeTarGz } from './tar-gz.ts';
import { writeZip } from './zip.ts';

/** What to package, from where, to where. */
export interface ReleaseOptions {
  /** The repository root (package.json, LICENSE, dist/ with the built bundle). */
  root: string;
  platforms: readonly Platform[];
  /** Where the archives, plugin.yaml and SHA256SUMS go. */
  outDir: string;
  /** Where the Node runtimes' npm tarballs are kept between runs. */
  cacheDir: string;
  /** Base URL the archives are published under; `<url>/<archive name>` is each platform's `uri`. */
  downloadUrl?: string;
  log?: (line: string) => void;
}

/** One archive written. */
export interface ReleaseArchive {
  platform: Platform;
  file: string;
  bytes: number;
  sha256: string;
  /** The Node tarball it was made from, and that tarball's size. */
  nodeTarball: string;
  nodeTarballBytes: number;
}

/** The result: archives, and the manifest written beside them. */
export interface Release {
  version: string;
  archives: ReleaseArchive[];
  manifestFile: string;
  checksumsFile: string;
}

interface PackageJson {
  version: string;
  homepage?: string;
}

/**
 * Packages `options.platforms` from the build in `<root>/dist` (run scripts/build.ts first): the launcher with the
 * split program beside it for Linux and macOS, and inside the Windows executable.
 */
export function buildRelease(options: ReleaseOptions): Release {
  const log = options.log ?? (() => {});
  const pkg = JSON.parse(readFileSync(path.join(options.root, 'package.json'), 'utf8')) as PackageJson;
  const version = pkg.version;
  const homepage = pkg.homepage ?? 'https://github.com/kubectl-tikv/kubectl-tikv';
  const downloadUrl = (options.downloadUrl ?? `${homepage}/releases/download/v${version}`).replace(/\/+$/, '');
  const dist = path.join(options.root, 'dist');
  const read = (file: string) => readFileSync(path.join(dist, file));
  const launcher = read('launch.cjs');
  const core = read('kubectl-tikv-core.cjs');
  const lazy = read('kubectl-tikv-lazy.cjs');
  const bundleNotices = read('THIRD-PARTY-NOTICES.txt').toString('utf8');
  const license = readFileSync(path.join(options.root, 'LICENSE'));
  mkdirSync(options.outDir, { recursive: true });

  const archives: ReleaseArchive[] = [];
  const manifestArchives: ManifestArchive[] = [];
  let seaBlob: Buffer | undefined;
  for (const platform of options.platforms) {
    const runtime = nodeRuntime(platform, options.cacheDir, PLATFORMS[0], log);
    const notices = Buffer.from(`${nodeNotice(runtime.license)}\n${bundleNotices}`);
    const common: ArchiveEntry[] = [
      { path: 'LICENSE', data: license, mode: 0o644 },
      { path: 'README.md', data: Buffer.from(archiveReadme(version, platform, NODE_VERSION)), mode: 0o644 },
      { path: 'THIRD-PARTY-NOTICES.txt', data: notices, mode: 0o644 },
    ];
    let entries: ArchiveEntry[];
    let bin: string;
    let data: Buffer;
    if (platform.format === 'zip') {
      if (process.version !== `v${NODE_VERSION}`) {
        throw new Error(`the Windows executable's blob must be built by Node v${NODE_VERSION} (the runtime it ships), not ${process.version}: run with node_modules/.bin/node`);
      }
      seaBlob ??= programSeaBlob(dist);
      log(`injecting the bundle into node.exe (${platformId(platform)})`);
      bin = 'kubectl-tikv.exe';
      entries = [
        ...common,
        { path: bin, data: windowsExecutable(runtime.binary, seaBlob), mode: 0o755 },
        { path: 'kubectl_complete-tikv.cmd', data: Buffer.from(windowsCompletionLauncher(version)), mode: 0o755 },
      ];
      data = writeZip(entries);
    } else {
      bin = 'kubectl-tikv';
      entries = [
        ...common,
        { path: bin, data: Buffer.from(posixLauncher(version)), mode: 0o755 },
        { path: 'kubectl_complete-tikv', data: Buffer.from(posixCompletionLauncher(version)), mode: 0o755 },
        { path: 'lib/launch.cjs', data: launcher, mode: 0o644 },
        { path: 'lib/kubectl-tikv-core.cjs', data: core, mode: 0o644 },
        { path: 'lib/kubectl-tikv-lazy.cjs', data: lazy, mode: 0o644 },
        { path: 'node/bin/node', data: runtime.binary, mode: 0o755 },
      ];
      log(`compressing ${platformId(platform)}`);
      data = writeTarGz(entries);
    }
    const name = archiveName(version, platform);
    const file = path.join(options.outDir, name);
    writeFileSync(file, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    archives.push({ platform, file, bytes: data.length, sha256, nodeTarball: path.basename(runtime.tarball), nodeTarballBytes: runtime.tarballBytes });
    const topLevel = [...new Set(entries.map((entry) => entry.path.split('/')[0]))].sort();
    manifestArchives.push({ platform, uri: `${downloadUrl}/${name}`, sha256, files: topLevel, bin });
    log(`wrote ${path.relative(options.root, file)} (${(data.length / 1024 / 1024).toFixed(1)} MiB)`);
  }

  const manifest = krewManifest({ version, homepage, archives: manifestArchives });
  const problems = validateKrewManifest(manifest);
  if (problems.length > 0) throw new Error(`the generated krew manifest breaks krew's rules:\n  ${problems.join('\n  ')}`);
  const manifestFile = path.join(options.outDir, 'plugin.yaml');
  writeFileSync(manifestFile, manifest);
  const checksumsFile = path.join(options.outDir, 'SHA256SUMS');
  rmSync(checksumsFile, { force: true });
  writeFileSync(checksumsFile, archives.map((a) => `${a.sha256}  ${path.basename(a.file)}\n`).join(''));
  return { version, archives, manifestFile, checksumsFile };
}

/** The Node.js section of THIRD-PARTY-NOTICES.txt: the runtime ships in (or as) the plugin. */
function nodeNotice(license: string): string {
  const rule = '-'.repeat(80);
  return `${rule}\nNode.js v${NODE_VERSION} — shipped as the runtime of kubectl-tikv, unmodified (on Windows with\nkubectl-tikv's script injected as a single-executable application). Its licence:\n${rule}\n\n${license.replace(/\r\n/g, '\n').trim()}\n`;
}
