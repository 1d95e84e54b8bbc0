import { UserError } from '../errors.ts';
import type { Clock } from './clock.ts';
import type { ClusterSession } from './cluster-session.ts';
import type { Progress } from './progress.ts';
import type { Prompter } from './prompter.ts';
import type { LeaseTiming } from './run-lease.ts';
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
