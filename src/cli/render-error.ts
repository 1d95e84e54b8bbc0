import { ExitCode, type ExitCodeValue, InterruptedError, UserError } from '../errors.ts';
import { explainKubeError } from '../kube/explain-kube-error.ts';
import { KubeError } from '../kube/kube-error.ts';

/** An error as the user reads it on stderr, and the exit code it maps to. */
export interface RenderedError {
  text: string;
  code: ExitCodeValue;
}

/**
 * Renders an error kubectl-style: `error: <one sentence>`, then one line per suggestion. With `verbose`, the cause
 * chain follows (and the stack of errors that are not UserErrors: those are bugs).
 */
export function renderError(error: unknown, options: { verbose: boolean; contextName?: string; interrupted?: boolean }): RenderedError {
  const userError = toUserError(error, options);
  const lines = [`error: ${userError.message}`];
  for (const suggestion of userError.suggestions) lines.push(suggestion);
  if (options.verbose) {
    const seen = new Set<unknown>([userError]);
    let cause: unknown = userError.cause;
    while (cause !== undefined && cause !== null && !seen.has(cause)) {
      seen.add(cause);
      lines.push(`  caused by: ${describe(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    if (!(error instanceof UserError) && !(error instanceof KubeError) && error instanceof Error && error.stack) {
      lines.push(...error.stack.split('\n').slice(1).map((line) => `  ${line.trim()}`));
    }
  }
  return { text: `${lines.join('\n')}\n`, code: userError.code };
}

function toUserError(error: unknown, options: { verbose: boolean; contextName?: string; interrupted?: boolean }): UserError {
  if (error instanceof UserError) return error;
  if (options.interrupted || isAbortError(error)) return new InterruptedError('interrupted; cleanup done', { cause: error });
  if (error instanceof KubeError) return explainKubeError(error, { contextName: options.contextName });
  // A PD or TiKV call that failed because Kubernetes refused its port-forward (or a lookup on the way): the
  // refusal, with the verb and resource RBAC needs, is what the user can act on.
  const denied = deniedKubeError(error);
  if (denied) return explainKubeError(denied, { contextName: options.contextName });
  const message = error instanceof Error ? error.message : String(error);
  return new UserError(message || 'unexpected failure', {
    code: ExitCode.failed,
    suggestions: options.verbose ? [] : ['Run again with -v for details.'],
    cause: error,
  });
}

/** A 401/403 KubeError among an error's causes. */
function deniedKubeError(error: unknown): KubeError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof KubeError && (cause.status === 401 || cause.status === 403)) return cause;
  }
  return undefined;
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${cause.name !== 'Error' ? `${cause.name}: ` : ''}${cause.message}${typeof code === 'string' && !cause.message.includes(code) ? ` (${code})` : ''}`;
  }
  return String(cause);
}
