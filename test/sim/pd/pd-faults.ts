import type { PdViewSnapshot } from './pd-view.ts';
import type { PdCluster } from './pd-cluster.ts';

/** How a new PD leader's region cache looks (fault `pdLeaderChangeView`). */
export type PdLeaderChangeView = 'fresh' | 'zero' | 'stale';

/** A request rule for injected HTTP faults: matches method (any when absent) and path (prefix string or RegExp). */
export interface RequestMatch {
  method?: string;
  path: string | RegExp;
  /** Only on this PD member (default: any). */
  member?: string;
}

/** An HTTP fault injected into PD's answers. */
export interface RequestFault extends RequestMatch {
  /** Answer status (default 500). */
  status?: number;
  /** Answer body (default PD's internal-error JSON string). */
  body?: string;
  /** Real-world delay before answering (slow answers); with no status the request is then served normally. */
  delayMs?: number;
  /** Apply this many times, then stop (default: until cleared). */
  times?: number;
}

/** Knobs that make one TiKV misbehave, keyed by pod name (set them before the pod starts). */
export interface TikvFault {
  /** The process starts but never registers with PD (never ready). */
  neverRegister?: boolean;
  /** Registers (new start_timestamp) but never sends a store heartbeat: PD never sees it Up again. */
  neverHeartbeat?: boolean;
  /** Crashes (exit 139) this long (real ms) after it registered. */
  crashAfterMs?: number;
  /** Boot time override (real ms). */
  bootMs?: number;
  /** Ignores SIGTERM's graceful leader eviction even on ≥ 8.5.5. */
  noGracefulShutdown?: boolean;
}

/** Fault knobs of one simulated cluster (each is a test in the fault matrix). */
export class PdFaults {
  readonly #cluster: PdCluster;
  #noPdLeader = false;
  /** How a new PD leader's region cache looks: 'fresh' (default), 'zero' (counts 0 until heartbeats), 'stale'. */
  pdLeaderChangeView: PdLeaderChangeView = 'fresh';
  /** @internal The cache a 'stale' new leader loads (see `snapshotPdView`). */
  staleSnapshot?: PdViewSnapshot;
  /** Leader transfers never complete (they time out after 60 s and PD retries). */
  stuckTransfers = false;
  /** Stores whose leaders never leave (transfers out of them never complete). */
  readonly leadersNeverDrain = new Set<number>();
  /** `/pd/api/v2/ready` answers 500 (regions not loaded). */
  regionsNotLoaded = false;
  /** @internal Active HTTP faults. */
  readonly requestFaults: RequestFault[] = [];

  constructor(cluster: PdCluster) {
    this.#cluster = cluster;
  }

  /** No PD leader: the current one resigns and nobody campaigns until this is set back to false. */
  get noPdLeader(): boolean {
    return this.#noPdLeader;
  }

  set noPdLeader(value: boolean) {
    this.#noPdLeader = value;
    this.#cluster.setLeaderForFault(undefined);
  }

  /** Moves PD leadership to another running member now (`to`, or a random one). */
  transferPdLeader(to?: string): void {
    this.#cluster.transferLeader(to);
  }

  /** Remembers PD's region cache as it is now; with `pdLeaderChangeView = 'stale'` a new leader loads it. */
  snapshotPdView(): void {
    this.staleSnapshot = this.#cluster.view.snapshot();
  }

  /** Answers matching requests with an error (and/or after a delay); returns a function that clears the fault. */
  failRequests(fault: RequestFault): () => void {
    const entry = { ...fault };
    this.requestFaults.push(entry);
    return () => {
      const i = this.requestFaults.indexOf(entry);
      if (i >= 0) this.requestFaults.splice(i, 1);
    };
  }

  /** Delays matching requests by `delayMs` (real-world, scaled) before serving them normally. */
  slowRequests(match: RequestMatch & { delayMs: number; times?: number }): () => void {
    return this.failRequests({ ...match, status: undefined });
  }

  /** Marks a store busy (`is_busy`): no leaders move to it. */
  setBusy(storeId: number, busy: boolean): void {
    const s = this.#cluster.stores.get(storeId);
    if (s) s.busy = busy;
  }

  /** Marks a store slow (slow_score high): evict-slow-store-scheduler, if present, drains it; no leader moves to it. */
  setSlow(storeId: number, slow: boolean): void {
    const s = this.#cluster.stores.get(storeId);
    if (s) {
      s.slow = slow;
      this.#cluster.flag(s);
    }
  }

  /** Pauses leader transfer of a store as grant-leader would (PD ≤ 8.5 then refuses evict-leader with 500). */
  pauseLeaderTransfer(storeId: number, owner = 'grant-leader-scheduler'): () => void {
    const s = this.#cluster.stores.get(storeId);
    s?.pausedBy.add(owner);
    return () => s?.pausedBy.delete(owner);
  }

  /** Fault knobs of the TiKV in `podName` (set before the pod starts). */
  tikv(podName: string): TikvFault {
    return this.#cluster.tikvFault(podName);
  }
}
