#!/usr/bin/env node
// kubectl-tikv's entry in the npm package (`bin` kubectl-tikv and kubectl_complete-tikv): kubectl runs it as
// `kubectl-tikv` for `kubectl tikv …`. It checks the Node version before loading anything that needs a newer one,
// then hands over to dist/launch.cjs, which runs the esbuild bundle with V8's code cache (scripts/build.ts).
// The release archives carry their own Node and start at dist/launch.cjs directly.
import { createRequire } from 'node:module';

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
  // require, not import(): the launcher and the bundle are CommonJS. It runs the command and exits the process.
  createRequire(import.meta.url)('../dist/launch.cjs');
} catch (error) {
  if (error?.code === 'MODULE_NOT_FOUND' && /launch\.cjs|kubectl-tikv-(core|lazy)\.cjs/.test(String(error.message))) {
    process.stderr.write("error: the kubectl-tikv bundle is missing (dist/launch.cjs and the files it runs)\nRun 'npm run build', or use bin/dev.js to run the sources.\n");
    process.exit(1);
  }
  throw error;
}
