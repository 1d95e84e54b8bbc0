import { sleep } from '../backoff.ts';

/** Time as services see it: injected, so tests drive it with a fake clock. */
export interface Clock {
  /** Unix ms. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(Math.max(0, ms), signal),
};
