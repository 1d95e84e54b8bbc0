/**
 * A controller work queue: keys are deduplicated while waiting, processed one at a time in order, and re-queued
 * when the handler asks (or throws). Handlers run asynchronously, never inside the store write that triggered them,
 * like client-go's workqueue behind an informer.
 */
export class WorkQueue {
  readonly #handler: (key: string) => Promise<void> | void;
  readonly #onError: (key: string, error: unknown) => void;
  readonly #pending = new Set<string>();
  #running = false;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(handler: (key: string) => Promise<void> | void, onError: (key: string, error: unknown) => void) {
    this.#handler = handler;
    this.#onError = onError;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#pending.add(key);
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#drain());
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }

  /** Resolves once nothing is queued or running (tests and shutdown). */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0 && !this.#stopped) {
      const key = this.#pending.values().next().value as string;
      this.#pending.delete(key);
      try {
        await this.#handler(key);
      } catch (error) {
        this.#onError(key, error);
      }
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
