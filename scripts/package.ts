// `npm run package`: the krew release — one archive per platform in dist/release/, with plugin.yaml and SHA256SUMS.
// Builds the bundle first (scripts/build.ts) unless --no-build. Node runtimes come from the npm registry once
// (`npm pack`, checked against pinned integrities) and are kept in dist/.cache/node.
//
// Usage: npm run package [-- --platform linux/amd64 …] [--out DIR] [--cache DIR] [--download-url URL] [--no-build]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PLATFORMS, platformId, selectPlatforms } from './package/platforms.ts';
import { buildRelease } from './package/release.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    platform: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: path.join(root, 'dist', 'release') },
    cache: { type: 'string', default: path.join(root, 'dist', '.cache', 'node') },
    'download-url': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

const started = Date.now();
if (!values['no-build']) {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.ts')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const platforms = selectPlatforms(values.platform);
const release = buildRelease({
  root,
  platforms,
  outDir: path.resolve(values.out),
  cacheDir: path.resolve(values.cache),
  downloadUrl: values['download-url'],
  log: (line) => process.stderr.write(`package: ${line}\n`),
});

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
process.stdout.write(`kubectl-tikv v${release.version}: ${release.archives.length} archive(s) in ${path.relative(process.cwd(), path.dirname(release.manifestFile)) || '.'} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
for (const archive of release.archives) {
  process.stdout.write(`  ${path.basename(archive.file).padEnd(46)} ${mib(archive.bytes).padStart(10)}  sha256 ${archive.sha256}  (Node from ${archive.nodeTarball}, ${mib(archive.nodeTarballBytes)})\n`);
}
process.stdout.write(`  ${path.basename(release.manifestFile)}, ${path.basename(release.checksumsFile)}\n`);
if (platforms.length < PLATFORMS.length) {
  process.stdout.write(`note: plugin.yaml covers only ${platforms.map(platformId).join(', ')}; run without --platform for the full release\n`);
}
