import type { StoreOrder } from '../core/plan.ts';
import type { StepOptions } from './step-options.ts';

/** What `kubectl tikv upgrade` was asked for. */
export interface UpgradeOptions extends StepOptions {
  /** `--version`: the target TiKV version as typed (`v8.5.1` or `8.5.1`); the service validates and normalises it. */
  targetVersion: string;
  /** `--dry-run`: show the plan and the checks, change nothing. */
  dryRun: boolean;
  /** True when stdin and stdout are terminals: the service may prompt to confirm the plan. */
  interactive: boolean;
  output?: 'json' | 'yaml' | 'wide';
  /** `--order`: which stores go first (default fewest leaders; a StatefulSet partition overrides it). */
  order: StoreOrder;
  /** `--allow-downgrade`: accept a target older than a store's version. */
  allowDowngrade: boolean;
}
