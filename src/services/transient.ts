import { HttpNoAnswerError } from '../http-transport.ts';
import { KubeError } from '../kube/kube-error.ts';
import { PdConnectionError, PdLeaderTransferPausedError, PdNotBootstrappedError, PdResponseError, PdStoreNotFoundError, PdTlsError } from '../pd/pd-errors.ts';
import type { Clock } from './clock.ts';

/**
 * A failure that can clear by itself: PD or the API server unreachable for a moment (a dropped port-forward, a PD
 * restart or election), overloaded (5xx, 429), or an optimistic-concurrency conflict (409) on a write that is simply
 * made again. Certificates, RBAC, unknown stores and malformed answers are not: trying again cannot help.
 */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof PdTlsError) return false;
  if (error instanceof PdConnectionError) return !(error.cause instanceof HttpNoAnswerError && error.cause.permanent);
  if (error instanceof PdStoreNotFoundError || error instanceof PdNotBootstrappedError || error instanceof PdLeaderTransferPausedError) return false;
  if (error instanceof PdResponseError) return error.status >= 500 || error.status === 429;
  if (error instanceof KubeError) return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
  if (error instanceof HttpNoAnswerError) return !error.permanent;
  return false;
}

/**
 * Calls `attempt` until it succeeds; transient failures (`isTransientFailure`) are retried with back-off for up to
 * `budgetMs` from the first one (each reported through `onRetry`), anything else is thrown at once, as is the last
 * transient failure once the budget is spent.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  options: { budgetMs: number; pollIntervalMs: number; clock: Clock; signal: AbortSignal; onRetry?: (message: string) => void },
): Promise<T> {
  const { clock, signal } = options;
  let firstFailureMs: number | undefined;
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted || !isTransientFailure(error)) throw error;
      firstFailureMs ??= clock.now();
      if (clock.now() - firstFailureMs >= options.budgetMs) throw error;
      options.onRetry?.(`${error instanceof Error ? error.message : String(error)}; retrying`);
      await clock.sleep(Math.min(5_000, Math.max(options.pollIntervalMs, 100) * 2 ** Math.min(failures, 5)), signal);
    }
  }
}
