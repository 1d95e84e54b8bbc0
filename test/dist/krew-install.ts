import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** The parts of plugin.yaml a krew install reads. */
interface Manifest {
  spec: {
    version: string;
    platforms: { selector: { matchLabels: { os: string; arch: string } }; sha256: string; bin: string; files: { from: string; to: string }[] }[];
  };
}

/** A plugin installed under a temporary KREW_ROOT. */
export interface KrewInstall {
  /** `<root>/bin`, what krew users have on PATH. */
  binDir: string;
  /** `<root>/store/tikv/<version>`. */
  installDir: string;
}

/**
 * Installs `archive` under `krewRoot` the way `kubectl krew install --manifest=plugin.yaml --archive=…` does on
 * linux/amd64: checks the archive's sha256 against the manifest, unpacks it (with the system's tar, not this
 * project's reader), moves each `files` entry into store/<name>/<version>/ and links bin/kubectl-<name> to `bin`.
 */
export function krewInstall(manifestFile: string, archive: string, krewRoot: string): KrewInstall {
  const manifest = parse(readFileSync(manifestFile, 'utf8')) as Manifest & { metadata: { name: string } };
  const platform = manifest.spec.platforms.find((p) => p.selector.matchLabels.os === 'linux' && p.selector.matchLabels.arch === 'amd64');
  if (!platform) throw new Error('the manifest has no linux/amd64 platform');
  const sha256 = createHash('sha256').update(readFileSync(archive)).digest('hex');
  if (sha256 !== platform.sha256) throw new Error(`sha256 mismatch: manifest ${platform.sha256}, archive ${sha256}`);
  mkdirSync(krewRoot, { recursive: true });
  const download = mkdtempSync(path.join(krewRoot, 'download-'));
  try {
    const untar = spawnSync('tar', ['-xzf', archive, '-C', download], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
    const installDir = path.join(krewRoot, 'store', manifest.metadata.name, manifest.spec.version);
    mkdirSync(installDir, { recursive: true });
    for (const file of platform.files) {
      const to = path.join(installDir, file.to === '.' ? path.basename(file.from) : file.to);
      renameSync(path.join(download, file.from), to);
    }
    const binDir = path.join(krewRoot, 'bin');
    mkdirSync(binDir, { recursive: true });
    symlinkSync(path.join(installDir, platform.bin), path.join(binDir, `kubectl-${manifest.metadata.name}`));
    return { binDir, installDir };
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
}

/** What the manifest's caveats ask users to do for shell completion: copy the hook into krew's bin directory. */
export function enableCompletion(install: KrewInstall): void {
  copyFileSync(path.join(install.installDir, 'kubectl_complete-tikv'), path.join(install.binDir, 'kubectl_complete-tikv'));
}
