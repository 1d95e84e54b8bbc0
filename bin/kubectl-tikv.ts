// The program of the release builds: esbuild's entry point for the CommonJS files that dist/launch.cjs runs with
// V8's code cache — in the npm package, the Linux and macOS archives and the Windows single-executable application
// (scripts/build.ts). It runs the command and exits with its code once the command and its cleanup are done. Only
// bin/ ever exits the process.

// Installed a second time as `kubectl_complete-tikv` (npm bin), kubectl's shell-completion hook for plugins
// (kubectl ≥ 1.26). The archives' completion launchers pass `__complete` themselves.
const invokedAs = process.argv[1]?.split(/[\\/]/).pop() ?? '';
const argv = /^kubectl_complete-/.test(invokedAs) ? ['__complete', ...process.argv.slice(2)] : process.argv.slice(2);

import('../src/cli/main.ts')
  .then(({ main }) => main(argv))
  .then(async (code) => {
    // Let buffered output (pipes on macOS are asynchronous) reach its reader before exiting.
    await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
    process.exit(code);
  })
  .catch((error: unknown) => {
    process.stderr.write(`error: kubectl-tikv failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
