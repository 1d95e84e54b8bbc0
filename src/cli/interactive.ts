import { UsageError } from '../errors.ts';
import type { CliRuntime } from './runtime.ts';

/**
 * True when the user can be asked: stdin and stderr are terminals (@inquirer/prompts hangs on piped stdin; prompts
 * draw on stderr, so `-o json > file` can still ask).
 */
export function isInteractive(runtime: CliRuntime): boolean {
  return Boolean(runtime.stdin.isTTY && runtime.stderr.isTTY);
}

/** Refuses to change the cluster without a terminal to confirm on, unless `--yes` was given (exit 2, before anything). */
export function requireConfirmationPossible(runtime: CliRuntime, yes: boolean, action: string): void {
  if (yes || isInteractive(runtime)) return;
  throw new UsageError(`refusing to ${action} without confirmation: there is no terminal to ask on`, {
    suggestions: ['Pass -y/--yes to confirm on the command line (for scripts and CI).'],
  });
}
