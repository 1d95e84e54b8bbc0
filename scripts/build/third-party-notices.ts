// The licences of everything an esbuild bundle carries: each npm package whose code is in it, with its licence
// text, as its licence asks of redistributions. Derived from esbuild's metafile, so it lists exactly what ships.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One bundled package and its licence. */
export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** The package's licence file, or undefined when it ships none. */
  licenseText?: string;
}

/** The packages whose files are among `inputs` (paths relative to `root`, as esbuild's metafile lists them). */
export function bundledPackages(root: string, inputs: Iterable<string>): BundledPackage[] {
  const directories = new Set<string>();
  for (const input of inputs) {
    const parts = input.split(/[\\/]/);
    const at = parts.lastIndexOf('node_modules');
    if (at < 0) continue;
    const length = parts[at + 1]?.startsWith('@') ? 3 : 2;
    directories.add(parts.slice(0, at + length).join('/'));
  }
  const packages = new Map<string, BundledPackage>();
  for (const directory of directories) {
    const manifest = JSON.parse(readFileSync(path.join(root, directory, 'package.json'), 'utf8')) as { name: string; version: string; license?: string | { type: string } };
    const license = typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'UNKNOWN');
    const file = readdirSync(path.join(root, directory)).filter((name) => /^licen[cs]e(\.|-|$)/i.test(name)).sort()[0];
    const licenseText = file ? readFileSync(path.join(root, directory, file), 'utf8').replace(/\r\n/g, '\n').trim() : undefined;
    packages.set(`${manifest.name}@${manifest.version}`, { name: manifest.name, version: manifest.version, license, licenseText });
  }
  return [...packages.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** THIRD-PARTY-NOTICES text: a summary line per package, then each licence in full. */
export function renderNotices(product: string, packages: readonly BundledPackage[]): string {
  const lines = [
    `${product} bundles the following third-party packages. Their licences follow.`,
    '',
    ...packages.map((p) => `  ${p.name}@${p.version} (${p.license})`),
  ];
  for (const p of packages) {
    lines.push('', '-'.repeat(80), `${p.name}@${p.version} — ${p.license}`, '-'.repeat(80), '');
    lines.push(p.licenseText ?? `The package ships no licence file; its package.json declares ${p.license}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** True when `file` exists; for callers that want to say what is missing. */
export function present(file: string): boolean {
  return existsSync(file);
}
