// `npm run build`: kubectl-tikv as CommonJS bundles, and the launcher that runs them with V8's code cache.
//
// dist/kubectl-tikv.cjs — the program (bin/kubectl-tikv.ts) and everything it uses in one file: its metafile is the
//   module graph the split below is planned from; it runs as it is (`node dist/kubectl-tikv.cjs`) but ships nowhere.
// dist/kubectl-tikv-core.cjs + dist/kubectl-tikv-lazy.cjs — the same program split at the dynamic imports that leave
//   what every start evaluates (scripts/build/split.ts): what npm installs, the Linux/macOS archives carry and the
//   Windows executable embeds. CommonJS, because esbuild then keeps each bundled module's `require('node:…')` inside
//   that module, and because a Node 22 single-executable application runs one CommonJS main script.
// dist/launch.cjs — bin/launch.ts: runs core and lazy through vm.Script with code caches made after the command ran
//   (see there), keyed by each file's sha256, which the build writes into it; also the Windows executable's main.
// dist/kubectl-tikv.meta.json — esbuild's metafile of the one-file build (module graph, for tests).
// dist/THIRD-PARTY-NOTICES.txt — the licences of every bundled package.
//
// Whitespace and syntax are minified (identifiers are not, so stack traces stay readable). dist/.cache and
// dist/release (scripts/package.ts) survive a rebuild.
import { build, type BuildOptions } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lazyOclifIndex, plainOclifCommandSort, quickOclifPlatform } from './build/oclif-startup.ts';
import { coreSide, lazySide, planSplit } from './build/split.ts';
import { STARTUP_ROOTS, startupClosure } from './build/startup-closure.ts';
import { bundledPackages, renderNotices } from './build/third-party-notices.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };

for (const output of ['kubectl-tikv.cjs', 'kubectl-tikv-core.cjs', 'kubectl-tikv-lazy.cjs', 'kubectl-tikv.cjs.LEGAL.txt', 'kubectl-tikv.meta.json', 'launch.cjs', 'THIRD-PARTY-NOTICES.txt']) {
  rmSync(path.join(dist, output), { recursive: true, force: true });
}
mkdirSync(dist, { recursive: true });

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22.22',
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  logLevel: 'warning',
};

const programOptions: BuildOptions = {
  ...common,
  // ws loads these native accelerators if present, inside try/catch; they are optional. oclif requires typescript
  // only to transpile linked TypeScript plugins, which kubectl-tikv turns off (settings.enableAutoTranspile).
  external: ['bufferutil', 'utf-8-validate', 'typescript'],
  // run-cli.ts reads import.meta.url only when it is there (the TypeScript sources) and falls back to __filename.
  logOverride: { 'empty-import-meta': 'silent' },
};
const program = await build({
  ...programOptions,
  entryPoints: ['bin/kubectl-tikv.ts'],
  outfile: path.join(dist, 'kubectl-tikv.cjs'),
  plugins: [lazyOclifIndex(), quickOclifPlatform(), plainOclifCommandSort()],
  metafile: true,
});

// The entry imports the CLI (src/cli/main.ts) dynamically only to turn the code cache on first; both load at start.
const atStart = startupClosure(program.metafile, STARTUP_ROOTS);
const plan = planSplit(program.metafile, atStart);
const core = coreSide(root, plan, 'bin/kubectl-tikv.ts');
const lazy = lazySide(root, plan);
// Each file is one function expression taking CommonJS's module parameters, which launch.cjs compiles as it is: a
// file of several MB stays an external string outside V8's heap, where wrapping it (Module.wrap) made V8 copy it.
const asFunction: BuildOptions = { banner: { js: '(function (exports, require, module, __filename, __dirname) {' }, footer: { js: '})' } };
await Promise.all([
  build({ ...programOptions, ...asFunction, entryPoints: [core.entry], outfile: path.join(dist, 'kubectl-tikv-core.cjs'), plugins: [core.plugin, lazyOclifIndex(), quickOclifPlatform(), plainOclifCommandSort()] }),
  build({ ...programOptions, ...asFunction, entryPoints: [lazy.entry], outfile: path.join(dist, 'kubectl-tikv-lazy.cjs'), plugins: [lazy.plugin, lazyOclifIndex(), quickOclifPlatform(), plainOclifCommandSort()] }),
]);

const bundle = readFileSync(path.join(dist, 'kubectl-tikv.cjs'));
const describe = (name: string) => {
  const bytes = readFileSync(path.join(dist, name));
  return { name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
};
const files = { core: describe('kubectl-tikv-core.cjs'), lazy: describe('kubectl-tikv-lazy.cjs') };
await build({
  ...common,
  entryPoints: ['bin/launch.ts'],
  outfile: path.join(dist, 'launch.cjs'),
  define: { PROGRAM_FILES: JSON.stringify(files) },
});

const inputs = Object.keys(program.metafile.inputs);
// Written for test/dist/startup.test.ts, which keeps heavy packages out of what every start evaluates.
writeFileSync(path.join(dist, 'kubectl-tikv.meta.json'), JSON.stringify(program.metafile));
const packages = bundledPackages(root, inputs);
writeFileSync(path.join(dist, 'THIRD-PARTY-NOTICES.txt'), renderNotices(`${packageJson.name} ${packageJson.version}`, packages));
const startBytes = [...atStart].reduce((sum, input) => sum + program.metafile.inputs[input].bytes, 0);
process.stderr.write(
  `built dist/kubectl-tikv.cjs: ${(bundle.length / 1024 / 1024).toFixed(1)} MiB, ${inputs.length} modules from ${packages.length} packages ` +
    `(${atStart.size} modules, ${Math.round(startBytes / 1024)} KiB of source evaluated at start); ` +
    `core ${(files.core.bytes / 1024 / 1024).toFixed(1)} MiB + lazy ${(files.lazy.bytes / 1024 / 1024).toFixed(1)} MiB; dist/launch.cjs\n`,
);
