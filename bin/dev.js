#!/usr/bin/env node
// Runs kubectl-tikv from its TypeScript sources (Node's type stripping), for development: no build step.
// Use the pinned Node: `node_modules/.bin/node bin/dev.js status`.
const { main } = await import('../src/cli/main.ts');

const code = await main(process.argv.slice(2));
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
