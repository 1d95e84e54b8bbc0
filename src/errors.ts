/**
 * Errors that reach the user. Adapters (pd/, kube/, tikv/) throw their own typed errors naming the operation and
 * target; services turn the expected ones into a UserError with a suggestion; bin/ maps `code` to the exit code.
 */

/** Exit codes of commands.md: 0 done, 1 failed, 2 usage/bad input, 130 interrupted (cleanup done). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure explained in one plain sentence, with what to do next and the exit code it maps to. */
export class UserError extends Error {
  readonly code: ExitCodeValue;
  readonly suggestions: string[];

  constructor(message: string, options: { code?: ExitCodeValue; suggestions?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.code = options.code ?? ExitCode.failed;
    this.suggestions = options.suggestions ?? [];
  }
}

/** Bad input: exits 2, and is raised before anything in the cluster changed. */
export class UsageError extends UserError {
  constructor(message: string, options: { suggestions?: string[]; cause?: unknown } = {}) {
    super(message, { ...options, code: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** The run was interrupted (SIGINT/SIGTERM, Ctrl+C in a prompt); raised after cleanup ran. Exits 130. */
export class InterruptedError extends UserError {
  constructor(message = 'Interrupted; cleanup done.', options: { suggestions?: string[]; cause?: unknown } = {}) {
    super(message, { ...options, code: ExitCode.interrupted });
    this.name = 'InterruptedError';
  }
}
