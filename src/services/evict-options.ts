import type { StepOptions } from './step-options.ts';

/** What `kubectl tikv evict` was asked for: exactly one of `podName`/`storeId` unless `list`. */
export interface EvictOptions extends StepOptions {
  /** `POD`: the TiKV pod whose store to evict. */
  podName?: string;
  /** `--store ID`: the store, by PD store id. */
  storeId?: number;
  /** `--end`: remove the store from the evict-leader scheduler instead. */
  end: boolean;
  /** `--list`: show the stores being evicted and by whom; changes nothing. */
  list: boolean;
  /** `--wait` (default) / `--no-wait`: wait until the store holds 0 leaders (bounded by `evictTimeoutMs`). */
  wait: boolean;
  output?: 'json' | 'yaml' | 'wide';
}
