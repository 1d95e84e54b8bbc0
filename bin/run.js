#!/usr/bin/env node
// kubectl-tikv's production entry: kubectl runs it as `kubectl-tikv` for `kubectl tikv …`. It checks the Node
// version before loading anything that needs a newer one, turns on V8's compile cache, runs the esbuild bundle and
// exits with the command's code once the command (and its cleanup) finished. Only bin/ ever exits the process.
import { createRequire, enableCompileCache } from 'node:module';

const [major, minor, patch] = process.versions.node.split('.').map(Number);
const supported = (major === 22 && (minor > 22 || (minor === 22 && patch >= 2))) || (major === 24 && minor >= 15) || major >= 26;
if (!supported) {
  process.stderr.write(
    `error: kubectl-tikv needs Node.js 22.22.2+, 24.15+ or 26+, but this is Node.js ${process.version} (${process.execPath})\n` +
      'Install a supported Node.js, or use the self-contained release archive (kubectl krew install tikv).\n',
  );
  process.exit(1);
}

try {
  enableCompileCache?.();
} catch {
  // The compile cache only speeds up start-up; a read-only cache directory must not stop the tool.
}

let bundle;
try {
  // require, not import(): importing CommonJS from ESM runs a lexer over the whole bundle to find its exports.
  bundle = createRequire(import.meta.url)('../dist/kubectl-tikv.cjs');
} catch (error) {
  if (error?.code === 'MODULE_NOT_FOUND' && String(error.message).includes('kubectl-tikv.cjs')) {
    process.stderr.write("error: the kubectl-tikv bundle is missing (dist/kubectl-tikv.cjs)\nRun 'npm run build', or use bin/dev.js to run the sources.\n");
    process.exit(1);
  }
  throw error;
}

// Installed a second time as `kubectl_complete-tikv`, kubectl's shell-completion hook for plugins (kubectl ≥ 1.26).
const completing = /^kubectl_complete-/.test(process.argv[1]?.split(/[\\/]/).pop() ?? '');
const code = await bundle.main(completing ? ['__complete', ...process.argv.slice(2)] : process.argv.slice(2));
// Let buffered output (pipes on macOS are asynchronous) reach its reader before exiting.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
