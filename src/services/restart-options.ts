import type { StepOptions } from './step-options.ts';

/** What `kubectl tikv restart` was asked for. */
export interface RestartOptions extends StepOptions {
  /** `POD …`: the TiKV pods to restart, in order; empty with `all` or when the user picks interactively. */
  podNames: string[];
  /** `--all`: rolling restart of every TiKV store, resumable. */
  all: boolean;
  /** True when stdin and stdout are terminals: the service may prompt (pick pods, confirm). */
  interactive: boolean;
  output?: 'json' | 'yaml' | 'wide';
}
