// `npm run build`: one CommonJS bundle, dist/kubectl-tikv.cjs, that bin/run.js runs. It re-exports COMMANDS, so
// oclif's explicit command discovery finds every command in the bundle itself (see src/cli/run-cli.ts).
//
// Why CommonJS: in an ESM bundle esbuild hoists every `node:` import of every bundled module to the top, so
// `--help` would load https, tls, crypto … for the Kubernetes client it never runs; in CommonJS those stay inside
// the lazily initialised modules. It is also the one format a Node single-executable application accepts.
// Whitespace and syntax are minified (identifiers are not): Node reads, decodes and scans the whole file at every
// start, so its size is start-up time.
import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'kubectl-tikv.cjs');

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
mkdirSync(path.join(root, 'dist'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22.22',
  minifyWhitespace: true,
  minifySyntax: true,
  // ws loads these native accelerators if present, inside try/catch; they are optional. oclif requires typescript
  // only to transpile linked TypeScript plugins, which kubectl-tikv turns off (settings.enableAutoTranspile).
  external: ['bufferutil', 'utf-8-validate', 'typescript'],
  // run-cli.ts reads import.meta.url only when it is there (the TypeScript sources) and falls back to __filename.
  logOverride: { 'empty-import-meta': 'silent' },
  legalComments: 'external',
  metafile: true,
  logLevel: 'warning',
});

const bytes = statSync(outfile).size;
const inputs = Object.keys(result.metafile.inputs).length;
process.stderr.write(`built ${path.relative(root, outfile)}: ${(bytes / 1024 / 1024).toFixed(1)} MiB from ${inputs} modules\n`);
