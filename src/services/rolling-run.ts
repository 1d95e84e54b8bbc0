import { UserError } from '../errors.ts';
import type { Clock } from './clock.ts';
import type { ClusterSession } from './cluster-session.ts';
import type { Progress } from './progress.ts';
import type { Prompter } from './prompter.ts';
import type { LeaseTiming } from './run-lease.ts';
import type { Member } from '../core/model.ts';
import type { StepCommand } from '../core/step-record.ts';
import type { EvictionMode, StoreTarget } from '../core/store-step.ts';
import { kubeEvents } from './kube-events.ts';
import { kubeStepRecords } from './kube-step-records.ts';
import type { PodWatch } from './pod-watch.ts';
import type { RestartTrigger } from './step-ports.ts';
import type { StepOptions } from './step-options.ts';
import type { StepRunnerDeps, StepRunSettings } from './store-step-runner.ts';
import type { GateReport } from '../core/gates.ts';
import type { Plan } from '../core/plan.ts';

/** What a rolling service needs beyond the connected cluster. */
export interface RollingDeps {
  session: ClusterSession;
  clock: Clock;
  progress: Progress;
  /** Only given on a terminal; without it nothing is asked. */
  prompter?: Prompter;
  /** Aborted by SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Who runs this (`user@host (pid N)`), for the Lease and the step records. */
  holder: string;
  leaseTiming?: LeaseTiming;
  cleanupTimeoutMs?: number;
  /** Shows the plan (and the gates) before the confirmation, or before starting with `--yes`. */
  present?: (presentation: { plan: Plan; gates?: GateReport; how?: string }) => void;
}

/** A rolling run that stopped early; carries what was done so far. */
export class RollingRunError<R> extends UserError {
  readonly result: R;
  constructor(cause: UserError, result: R) {
    super(cause.message, { code: cause.code, suggestions: cause.suggestions, cause });
    this.name = cause.name;
    this.result = result;
  }
}

/** The step runner's ports for the connected cluster: PD, TiKV metrics, the pod watch, records, Events, the trigger. */
export function stepRunnerDeps(deps: RollingDeps, pods: PodWatch, restart: RestartTrigger): StepRunnerDeps {
  const { session, clock, progress } = deps;
  return {
    pd: session.pd,
    tikv: session.tikv,
    clock,
    progress,
    pods,
    records: kubeStepRecords(session.kube, session.cluster),
    events: kubeEvents(session.kube, session.cluster, pods, clock),
    restart,
  };
}

/** One store's target from the command's bounds. */
export function storeTarget(member: Member, eviction: EvictionMode, options: StepOptions, expectedVersion?: string): StoreTarget {
  return {
    podName: member.podName,
    storeId: member.store!.storeId,
    eviction,
    expectedVersion,
    evictTimeoutMs: options.evictTimeoutMs,
    onEvictTimeout: options.onEvictTimeout,
    readyTimeoutMs: options.readyTimeoutMs,
    leaderReturnTimeoutMs: options.leaderReturnTimeoutMs,
    skipLeaderReturn: options.skipLeaderReturn,
  };
}

/** The step runner's per-run settings for a command. */
export function stepSettings(deps: RollingDeps, command: StepCommand, options: StepOptions, signal: AbortSignal, extra: Partial<StepRunSettings> = {}): StepRunSettings {
  return { runId: deps.holder, command, holder: deps.holder, pollIntervalMs: options.pollIntervalMs, cleanupTimeoutMs: deps.cleanupTimeoutMs ?? 60_000, signal, force: options.force, ...extra };
}
