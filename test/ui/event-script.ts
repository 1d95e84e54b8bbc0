import type { Step, WaitFor } from '../../src/core/store-step.ts';
import type { Progress, ProgressEvent, StoreAction, StoreOutcome } from '../../src/services/progress.ts';

/** 2026-11-21T10:00:00Z. */
export const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

/**
 * Hand-written progress for UI tests: a clock the test moves and helpers that emit one store's events at the current
 * time. Reasons are the step machine's wordings.
 */
export class EventScript {
  nowMs = T0;
  readonly events: ProgressEvent[] = [];
  readonly #progress: Progress;

  constructor(progress: Progress) {
    this.#progress = progress;
  }

  /** Moves the clock. */
  advance(ms: number): this {
    this.nowMs += ms;
    return this;
  }

  emit(event: ProgressEvent): this {
    this.events.push(event);
    this.#progress.emit(event);
    return this;
  }

  store(podName: string, storeId: number): StoreScript {
    return new StoreScript(this, podName, storeId);
  }

  warning(message: string, podName?: string): this {
    return this.emit({ type: 'warning', message, podName, atMs: this.nowMs });
  }

  info(message: string): this {
    return this.emit({ type: 'info', message, atMs: this.nowMs });
  }
}

/** One store's events. */
export class StoreScript {
  readonly script: EventScript;
  readonly podName: string;
  readonly storeId: number;

  constructor(script: EventScript, podName: string, storeId: number) {
    this.script = script;
    this.podName = podName;
    this.storeId = storeId;
  }

  start(index = 0, total = 1): this {
    this.script.emit({ type: 'store-start', podName: this.podName, storeId: this.storeId, index, total, atMs: this.script.nowMs });
    return this;
  }

  step(step: Step): this {
    this.script.emit({ type: 'step', podName: this.podName, storeId: this.storeId, step, atMs: this.script.nowMs });
    return this;
  }

  action(action: StoreAction, detail: string): this {
    this.script.emit({ type: 'action', podName: this.podName, storeId: this.storeId, action, detail, atMs: this.script.nowMs });
    return this;
  }

  end(outcome: StoreOutcome, reason: string): this {
    this.script.emit({ type: 'store-end', podName: this.podName, storeId: this.storeId, outcome, reason, atMs: this.script.nowMs });
    return this;
  }

  warning(message: string): this {
    this.script.warning(message, this.podName);
    return this;
  }

  /** A wait decision, its deadline `inMs` from now. */
  wait(waitFor: WaitFor, reason: string, inMs = 600_000): this {
    return this.step({ kind: 'wait', for: waitFor, reason, deadlineMs: this.script.nowMs + inMs });
  }

  /** begin → record → add scheduler: what every scheduler-evicted store starts with. */
  beginEviction(leaders: number): this {
    return this.step({ kind: 'begin', reason: `recording the restart of store ${this.storeId} (pod ${this.podName})` })
      .action('record-written', `step recorded (${leaders} leaders before)`)
      .step({ kind: 'add-scheduler', reason: `evicting leaders from store ${this.storeId}` })
      .action('scheduler-added', `evict-leader scheduler added for store ${this.storeId}`);
  }

  draining(leaders: number): this {
    return this.wait('leaders-drained', `store ${this.storeId} still holds ${leaders} leader(s)`);
  }
}
