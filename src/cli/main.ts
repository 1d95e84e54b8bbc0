import { isatty } from 'node:tty';
import { type ExitCodeValue, InterruptedError } from '../errors.ts';
import { runCli } from './run-cli.ts';

export { COMMANDS } from '../commands/index.ts';

/**
 * The process side of the CLI: real streams and environment, and signal ownership. The first SIGINT/SIGTERM aborts
 * the command's signal (its cleanup — removing schedulers — still runs); later ones only say that cleanup is under
 * way. Resolves with the exit code once the command and its cleanup are done; bin/ exits with it.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<ExitCodeValue> {
  const controller = new AbortController();
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      process.stderr.write(`\n${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'}: stopping and cleaning up…\n`);
      controller.abort(new InterruptedError(`interrupted by ${signal}; cleanup done`));
    } else {
      process.stderr.write('cleaning up, please wait\n');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runCli(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: { isTTY: isatty(0) },
      env: process.env,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
