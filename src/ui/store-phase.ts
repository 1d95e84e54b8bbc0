import type { Step } from '../core/store-step.ts';
import type { StoreAction } from '../services/progress.ts';

/**
 * The phases a store goes through as the task list names them, after the step machine's order: evict leaders →
 * wait for 0 → restart → pod Ready → store Up → end eviction → leaders back. `prepare` stands for anything before
 * the first of them (recording the step, health gates) when a store fails there.
 */
export type StorePhase = 'prepare' | 'evict' | 'drain' | 'restart' | 'ready' | 'up' | 'end-evict' | 'return';

/** Every phase in the step machine's order (the order a scheduler-evicted restart goes through them). */
export const STORE_PHASES: readonly StorePhase[] = ['prepare', 'evict', 'drain', 'restart', 'ready', 'up', 'end-evict', 'return'];

/** The sub-step title of a phase in the task list. */
export function phaseTitle(phase: StorePhase): string {
  switch (phase) {
    case 'prepare':
      return 'prepare';
    case 'evict':
      return 'evict leaders';
    case 'drain':
      return 'wait for 0 leaders';
    case 'restart':
      return 'restart pod';
    case 'ready':
      return 'pod Ready';
    case 'up':
      return 'store Up';
    case 'end-evict':
      return 'end eviction';
    case 'return':
      return 'leaders back';
  }
}

/** The phase a decision of the step machine belongs to; undefined for bookkeeping steps (begin, mark-returning, finish, fail). */
export function phaseOfStep(step: Step): StorePhase | undefined {
  switch (step.kind) {
    case 'add-scheduler':
      return 'evict';
    case 'trigger':
      return 'restart';
    case 'remove-scheduler':
      return 'end-evict';
    case 'wait':
      switch (step.for) {
        case 'leaders-drained':
          return 'drain';
        case 'pod-replaced':
        case 'pod-ready':
          return 'ready';
        case 'store-up':
          return 'up';
        case 'operator-eviction-ended':
          return 'end-evict';
        case 'leaders-returned':
          return 'return';
      }
      return undefined;
    case 'begin':
    case 'mark-returning':
    case 'finish':
    case 'fail':
      return undefined;
  }
}

/** The phase an action shows progress in; undefined for bookkeeping (step records, cleanup after a failure). */
export function phaseOfAction(action: StoreAction): StorePhase | undefined {
  switch (action) {
    case 'scheduler-added':
      return 'evict';
    case 'leaders-drained':
      return 'drain';
    case 'restart-triggered':
      return 'restart';
    case 'pod-replaced':
    case 'pod-ready':
      return 'ready';
    case 'store-up':
      return 'up';
    case 'scheduler-removed':
      return 'end-evict';
    case 'leaders-returned':
      return 'return';
    case 'record-written':
    case 'record-cleared':
    case 'cleanup':
      return undefined;
  }
}

/** Position of a phase in the step machine's order. */
export function phaseRank(phase: StorePhase): number {
  return STORE_PHASES.indexOf(phase);
}
