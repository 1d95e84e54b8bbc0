import type { Step } from '../core/store-step.ts';

/** How one store's step ended. */
export type StoreOutcome = 'done' | 'failed' | 'interrupted' | 'skipped';

/** What a long-running service reports as it goes; the task list, the plain log and `-o json` all render these. */
export type ProgressEvent =
  | { type: 'store-start'; podName: string; storeId: number; index: number; total: number; atMs: number }
  /** A new decision of the step machine (repeated waits with the same reason are not re-sent). */
  | { type: 'step'; podName: string; storeId: number; step: Step; atMs: number }
  /** An action the service performed (scheduler added, pod deleted …), as it happened. */
  | { type: 'action'; podName: string; storeId: number; action: StoreAction; detail: string; atMs: number }
  | { type: 'store-end'; podName: string; storeId: number; outcome: StoreOutcome; reason: string; atMs: number }
  | { type: 'warning'; message: string; podName?: string; atMs: number }
  | { type: 'info'; message: string; atMs: number };

/** Actions a step performs; the recorded order is the contract the tests check. */
export type StoreAction =
  | 'record-written'
  | 'scheduler-added'
  | 'leaders-drained'
  | 'restart-triggered'
  | 'pod-replaced'
  | 'pod-ready'
  | 'store-up'
  | 'scheduler-removed'
  | 'leaders-returned'
  | 'record-cleared'
  | 'cleanup';

/** Receives progress; implementations must not throw. */
export interface Progress {
  emit(event: ProgressEvent): void;
}

/** Progress that goes nowhere (for callers that only want the result). */
export const silentProgress: Progress = { emit: () => {} };
