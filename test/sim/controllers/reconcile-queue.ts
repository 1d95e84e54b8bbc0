import type { History } from '../history.ts';
import type { SimClock } from '../sim-clock.ts';

/** What one reconcile asks for next: run again after a real-world delay (scaled by the clock), or nothing. */
export interface ReconcileResult {
  /** Real-world milliseconds (the clock scales them) until this key is reconciled again. */
  requeueAfterMs?: number;
  /** Requeue with the per-key exponential backoff (a controller's RequeueError): not recorded as a failure. */
  requeue?: boolean;
}

export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileResult | void>;

/**
 * A controller work queue as controller-runtime has it: keys are deduplicated, one worker reconciles them in
 * order, a key marked dirty while it is being reconciled runs again afterwards, failures are retried with an
 * exponential backoff (recorded in History as `reconcile-error`), and delayed requeues keep only the earliest.
 */
export class ReconcileQueue {
  readonly name: string;
  readonly #clock: SimClock;
  readonly #history: History;
  readonly #reconcile: Reconciler;
  readonly #dirty = new Set<string>();
  readonly #delayed = new Map<string, { dueAt: number; cancel: () => void }>();
  readonly #failures = new Map<string, number>();
  readonly #abort = new AbortController();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: {
    name: string;
    clock: SimClock;
    history: History;
    reconcile: Reconciler;
    /** Per-key exponential backoff for failures and `requeue`, real-world ms; default 1 s doubling up to 100 s. */
    backoff?: { baseDelayMs: number; maxDelayMs: number };
  }) {
    this.name = options.name;
    this.#baseDelayMs = options.backoff?.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.backoff?.maxDelayMs ?? 100_000;
    this.#clock = options.clock;
    this.#history = options.history;
    this.#reconcile = options.reconcile;
  }

  /** Reconciles `key` as soon as the worker is free. */
  add(key: string): void {
    if (this.#stopped) return;
    this.#dirty.add(key);
    this.#kick();
  }

  /** Reconciles `key` after a real-world delay, unless an earlier run is already due. */
  addAfter(key: string, realMs: number): void {
    if (this.#stopped) return;
    if (realMs <= 0) return this.add(key);
    const dueAt = this.#clock.now() + this.#clock.scaled(realMs);
    const existing = this.#delayed.get(key);
    if (existing && existing.dueAt <= dueAt) return;
    existing?.cancel();
    const cancel = this.#clock.after(realMs, () => {
      this.#delayed.delete(key);
      this.add(key);
    });
    this.#delayed.set(key, { dueAt, cancel });
  }

  /** Keys waiting to run now (for tests and diagnostics). */
  get pending(): number {
    return this.#dirty.size;
  }

  /** Stops scheduling, aborts the running reconcile's signal and waits for it to return. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new Error(`${this.name} stopped`));
    for (const { cancel } of this.#delayed.values()) cancel();
    this.#delayed.clear();
    this.#dirty.clear();
    await this.#running;
  }

  /** workqueue's ItemExponentialFailureRateLimiter: base × 2^(failures − 1), capped. */
  #nextBackoff(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.min(failures - 1, 30));
  }

  #kick(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#dirty.size > 0 && !this.#stopped) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    // Yield once so that a burst of watch events collapses into one reconcile per key.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#dirty.size > 0 && !this.#stopped) {
      const key = this.#dirty.values().next().value as string;
      this.#dirty.delete(key);
      try {
        const result = await this.#reconcile(key, this.#abort.signal);
        if (result?.requeue) {
          this.addAfter(key, this.#nextBackoff(key));
        } else {
          this.#failures.delete(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        }
      } catch (error) {
        if (this.#stopped) return;
        const delayMs = this.#nextBackoff(key);
        this.#history.record(this.name, 'reconcile-error', {
          key,
          failures: this.#failures.get(key),
          message: error instanceof Error ? error.message : String(error),
        });
        this.addAfter(key, delayMs);
      }
    }
  }
}
