/** The safety knobs shared by the commands that change the cluster (evict, restart, upgrade); durations in ms. */
export interface StepOptions {
  /** `-y/--yes`: no confirmation prompt (required without a terminal). */
  yes: boolean;
  /** `--evict-timeout` (default 10m): how long to wait for a store to hold 0 leaders. */
  evictTimeoutMs: number;
  /** `--on-evict-timeout` (default abort): give up (scheduler removed, store keeps its leaders) or restart anyway. */
  onEvictTimeout: 'abort' | 'restart';
  /** `--ready-timeout` (default 10m): restarted pod Ready and store Up with a new start time. */
  readyTimeoutMs: number;
  /** `--leader-return-timeout` (default 5m): bound on waiting for leaders to come back. */
  leaderReturnTimeoutMs: number;
  /** `--skip-leader-return`. */
  skipLeaderReturn: boolean;
  /** `--force`: skip the health gates (and, for `evict` on tidb-operator v2, the refusal). */
  force: boolean;
  /** Hidden `--poll-interval` (default 1s): how often PD and TiKV are polled. */
  pollIntervalMs: number;
}
