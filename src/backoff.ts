/**
 * Exponential backoff with jitter for retrying idempotent requests: attempt n waits a random time between half and
 * all of `min(maxDelayMs, baseDelayMs × 2^n)`, so that several clients that failed together do not retry together.
 */

export interface BackoffPolicy {
  /** Retries after the first attempt (0: try once). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A number in [0, 1); tests pass a fixed one. Default Math.random. */
  random?: () => number;
}

/** Delay before retry number `retry` (0-based). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const random = (policy.random ?? Math.random)();
  return Math.round(cap / 2 + (cap / 2) * random);
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it is aborted (the timer is cleared). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
