import { Worker } from 'node:worker_threads';
import type { CaseRequest, CaseResponse } from './fault-worker.ts';

type Request = CaseRequest extends infer R ? (R extends CaseRequest ? Omit<R, 'id'> : never) : never;

/** A failed case, rebuilt on the test's thread with the worker's message and stack. */
export class FaultCaseFailure extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    this.name = 'FaultCaseFailure';
    if (stack) this.stack = stack;
  }
}

interface Slot {
  worker: Worker;
  running: number;
}

/**
 * Runs fault-matrix cases on `threads` worker threads, at most `perThread` at a time on each, in the order they were
 * queued. Each case resolves when its worker answered; `close()` ends the threads.
 */
export class FaultPool {
  readonly #threads: number;
  readonly #perThread: number;
  readonly #slots: Slot[] = [];
  readonly #queue: { request: Request; resolve: () => void; reject: (error: Error) => void }[] = [];
  readonly #pending = new Map<number, { slot: Slot; resolve: () => void; reject: (error: Error) => void }>();
  #nextId = 1;

  constructor(options: { threads: number; perThread: number }) {
    this.#threads = Math.max(1, options.threads);
    this.#perThread = Math.max(1, options.perThread);
  }

  run(request: Request): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#freeSlot();
      if (!slot) return;
      const next = this.#queue.shift()!;
      const id = this.#nextId++;
      slot.running++;
      this.#pending.set(id, { slot, resolve: next.resolve, reject: next.reject });
      slot.worker.postMessage({ id, ...next.request } as CaseRequest);
    }
  }

  #freeSlot(): Slot | undefined {
    const free = this.#slots.filter((s) => s.running < this.#perThread).sort((a, b) => a.running - b.running)[0];
    if (free && free.running === 0) return free;
    if (this.#slots.length < this.#threads) return this.#spawn();
    return free;
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./fault-worker.ts', import.meta.url));
    const slot: Slot = { worker, running: 0 };
    worker.on('message', (response: CaseResponse) => {
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      slot.running--;
      if (response.ok) pending.resolve();
      else pending.reject(new FaultCaseFailure(response.message, response.stack));
      this.#dispatch();
    });
    worker.on('error', (error) => {
      // A worker that died fails the cases it was running; the next cases get a new worker.
      for (const [id, pending] of this.#pending) {
        if (pending.slot !== slot) continue;
        this.#pending.delete(id);
        pending.reject(new FaultCaseFailure(`the fault-matrix worker died: ${error.message}`, error.stack));
      }
      const at = this.#slots.indexOf(slot);
      if (at >= 0) this.#slots.splice(at, 1);
      this.#dispatch();
    });
    this.#slots.push(slot);
    return slot;
  }
}
