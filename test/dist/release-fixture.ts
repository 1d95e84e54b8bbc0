import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { selectPlatforms } from '../../scripts/package/platforms.ts';
import { buildRelease } from '../../scripts/package/release.ts';
import { ensureBuilt, REPO } from '../e2e/harness.ts';

/** Where tests keep Node runtimes (as `npm run package` does) and their cached release builds. */
export const NODE_CACHE = path.join(REPO, 'dist', '.cache', 'node');
const TEST_RELEASES = path.join(REPO, 'dist', 'test-release');

/** A linux/amd64 release as tests use it. */
export interface TestRelease {
  dir: string;
  archive: string;
  manifest: string;
}

let cached: TestRelease | undefined;

/**
 * The linux/amd64 archive and its plugin.yaml, built once per content: the key hashes everything that goes into it
 * (bundle, launcher, licences, version, the packaging code), so a test run after a change packages again and a
 * repeated run reuses dist/test-release/<key>.
 */
export function linuxRelease(): TestRelease {
  if (cached) return cached;
  ensureBuilt();
  const hash = createHash('sha256');
  for (const file of ['dist/kubectl-tikv.cjs', 'dist/kubectl-tikv-core.cjs', 'dist/kubectl-tikv-lazy.cjs', 'dist/launch.cjs', 'dist/THIRD-PARTY-NOTICES.txt', 'LICENSE', 'package.json']) hash.update(readFileSync(path.join(REPO, file)));
  const packaging = path.join(REPO, 'scripts', 'package');
  for (const file of readdirSync(packaging).sort()) hash.update(file).update(readFileSync(path.join(packaging, file)));
  const key = hash.digest('hex').slice(0, 16);
  const dir = path.join(TEST_RELEASES, key);
  if (!existsSync(path.join(dir, 'plugin.yaml'))) {
    mkdirSync(TEST_RELEASES, { recursive: true });
    for (const stale of readdirSync(TEST_RELEASES)) if (stale !== key && !stale.includes('.partial')) rmSync(path.join(TEST_RELEASES, stale), { recursive: true, force: true });
    const partial = `${dir}.partial-${process.pid}`;
    buildRelease({ root: REPO, platforms: selectPlatforms(['linux/amd64']), outDir: partial, cacheDir: NODE_CACHE });
    try {
      renameSync(partial, dir);
    } catch {
      // Another test process finished the same build first: the results are identical.
      rmSync(partial, { recursive: true, force: true });
    }
  }
  const archive = readdirSync(dir).find((name) => name.endsWith('_linux_amd64.tar.gz'));
  if (!archive) throw new Error(`no linux/amd64 archive in ${dir}`);
  cached = { dir, archive: path.join(dir, archive), manifest: path.join(dir, 'plugin.yaml') };
  return cached;
}
