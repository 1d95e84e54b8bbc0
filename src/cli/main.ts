import { isatty } from 'node:tty';
import type { ExitCodeValue } from '../errors.ts';
import { runCli } from './run-cli.ts';
import { ownSignals } from './signals.ts';

export { COMMANDS } from '../commands/index.ts';

/**
 * The process side of the CLI: real streams and environment, and signal ownership. The first SIGINT/SIGTERM aborts
 * the command's signal (its cleanup — removing schedulers — still runs); later ones only say that cleanup is under
 * way. Resolves with the exit code once the command and its cleanup are done; bin/ exits with it.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<ExitCodeValue> {
  const controller = new AbortController();
  const release = ownSignals(controller, process.stderr);
  try {
    return await runCli(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: { isTTY: isatty(0) },
      env: process.env,
      signal: controller.signal,
    });
  } finally {
    release();
  }
}
