/**
 * Simulated time. Every delay in the simulator is a real-world default (heartbeat 10 s, election timeout, pod
 * start, operator poll 30 s …) multiplied by one `timeScale`: 1 runs at human pace, 0.01 a hundred times faster.
 * Timestamps stay wall-clock (`Date.now()`), so what PD and Kubernetes report is consistent with what the plugin
 * measures.
 */
export class SimClock {
  readonly timeScale: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(timeScale = 1) {
    if (!(timeScale > 0)) throw new Error(`timeScale must be > 0, got ${timeScale}`);
    this.timeScale = timeScale;
  }

  /** Wall-clock now, Unix ms. */
  now(): number {
    return Date.now();
  }

  /** Wall-clock milliseconds a real-world delay takes in this simulation. */
  scaled(realMs: number): number {
    return Math.max(0, Math.round(realMs * this.timeScale));
  }

  /** Runs `fn` after a real-world delay (scaled); the returned function cancels it. */
  after(realMs: number, fn: () => void): () => void {
    if (this.#stopped) return () => {};
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, this.scaled(realMs));
    timer.unref?.();
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }

  /** Runs `fn` every real-world period (scaled); the returned function stops it. */
  every(realMs: number, fn: () => void): () => void {
    if (this.#stopped) return () => {};
    const timer = setInterval(fn, Math.max(1, this.scaled(realMs)));
    timer.unref?.();
    this.#timers.add(timer);
    return () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    };
  }

  /** Resolves after a real-world delay (scaled); rejects with the signal's reason when aborted. */
  sleep(realMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const cancel = this.after(realMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels every pending timer; later calls schedule nothing. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
