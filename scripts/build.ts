// `npm run build`: one ESM bundle, dist/kubectl-tikv.mjs, that bin/run.js runs. It re-exports COMMANDS, so oclif's
// explicit command discovery finds every command in the bundle itself (see src/cli/run-cli.ts).
import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'kubectl-tikv.mjs');

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
mkdirSync(path.join(root, 'dist'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.22',
  // CommonJS dependencies (oclif) call require() at run time, e.g. for a command target; give the bundle one.
  banner: { js: "import { createRequire as __ktCreateRequire } from 'node:module';\nconst require = __ktCreateRequire(import.meta.url);" },
  // ws loads these native accelerators if present, inside try/catch; they are optional. oclif requires typescript
  // only to transpile linked TypeScript plugins, which kubectl-tikv turns off (settings.enableAutoTranspile).
  external: ['bufferutil', 'utf-8-validate', 'typescript'],
  legalComments: 'external',
  metafile: true,
  logLevel: 'warning',
});

const bytes = statSync(outfile).size;
const inputs = Object.keys(result.metafile.inputs).length;
process.stderr.write(`built ${path.relative(root, outfile)}: ${(bytes / 1024 / 1024).toFixed(1)} MiB from ${inputs} modules\n`);
