import type { StoreStateName } from './model.ts';
import type { StepRecord } from './step-record.ts';
import { sameVersion } from './version.ts';

/**
 * Who takes the leaders off the store before it restarts:
 * - `scheduler`: kubectl-tikv adds PD's evict-leader scheduler (tidb-operator v1, tikv-operator, StatefulSets);
 * - `operator`: the operator does it once the restart is triggered (tidb-operator v2, which removes any
 *   scheduler it did not ask for), and kubectl-tikv follows and verifies;
 * - `none`: nobody can (a single-store cluster): restart without eviction.
 */
export type EvictionMode = 'scheduler' | 'operator' | 'none';

/** What one store's step must achieve, and within which bounds. */
export interface StoreTarget {
  podName: string;
  storeId: number;
  eviction: EvictionMode;
  /** Upgrade: the version the store must report when it is back. */
  expectedVersion?: string;
  evictTimeoutMs: number;
  onEvictTimeout: 'abort' | 'restart';
  /** From the trigger until the new pod is Ready and the store Up with a new start time. */
  readyTimeoutMs: number;
  leaderReturnTimeoutMs: number;
  skipLeaderReturn: boolean;
}

/** What is true right now, read fresh before every decision. */
export interface StoreObservation {
  nowMs: number;
  /** The record of this store's step, if one exists in the cluster. */
  record: StepRecord | undefined;
  /** The pod currently named `podName` (a replacement has the same name and a new uid). */
  pod: { uid: string; ready: boolean; terminating: boolean } | undefined;
  /** PD's view of the store; undefined when PD does not list it. */
  store: { stateName: StoreStateName; startTimestampSec: number; version: string; leaderCount: number; lastHeartbeatMs: number } | undefined;
  /**
   * The leader count on the TiKV's own /metrics: a number; `null` when reading it failed just now; undefined when
   * it was not read (metrics disabled, or the pod is not running).
   */
  tikvLeaderCount: number | null | undefined;
  /** PD's evict-leader scheduler holds this store. */
  schedulerHasStore: boolean;
}

/** What a wait is for; the task list names its sub-steps after these. */
export type WaitFor = 'leaders-drained' | 'pod-replaced' | 'pod-ready' | 'store-up' | 'operator-eviction-ended' | 'leaders-returned';

/** The next thing to do for a store, with the reason the task list, the JSON output and the Events show. */
export type Step =
  /** Write the step record (phase `evicting`) before anything changes. */
  | { kind: 'begin'; reason: string }
  | { kind: 'add-scheduler'; reason: string }
  | { kind: 'wait'; for: WaitFor; reason: string; deadlineMs: number }
  /** Record phase `restarting`, do the topology's restart (delete pod / patch version / lower partition), record it done. */
  | { kind: 'trigger'; reason: string; warning?: string }
  | { kind: 'remove-scheduler'; reason: string }
  /** Record phase `returning`. */
  | { kind: 'mark-returning'; reason: string }
  /** Delete the record: the store is done. */
  | { kind: 'finish'; reason: string; warning?: string }
  /** Stop this store: remove our scheduler if we added one, delete the record, and fail with this reason. */
  | { kind: 'fail'; reason: string; suggestion: string; podTouched: boolean };

/**
 * A heartbeat from the process that started at `startTimestampSec` has reached PD. A re-registered TiKV heartbeats
 * ~10 s after registering; until then PD still ages the old process's last heartbeat and may turn the store
 * Disconnected, so "Up" alone does not mean the new process is up. The start time has one-second resolution, so only
 * a heartbeat stamped in a later second is certainly the new process's.
 */
export function heartbeatSinceStart(store: { startTimestampSec: number; lastHeartbeatMs: number }): boolean {
  return store.lastHeartbeatMs >= (store.startTimestampSec + 1) * 1000;
}

/** Leaders the store must hold again before it counts as back (the TiUP / tidb-operator rule, see leaderReturnTarget). */
export function leaderReturnTarget(leadersBefore: number): number {
  // TiUP and tidb-operator wait for ≥ 2/3 of the count before, and only when it was ≥ 200. Below that we still wait
  // for the first leader: it proves the store takes leaders again (scheduler gone, store eligible).
  if (leadersBefore >= 200) return Math.ceil((leadersBefore * 2) / 3);
  return Math.min(leadersBefore, 1);
}

/**
 * The per-store step machine: from what is true now, the next step and why. Level-triggered: whatever state a
 * previous (possibly killed) run left, calling it again continues correctly. The order it enforces is
 * evict → 0 leaders (PD and TiKV) → restart → pod Ready → store Up with a new start time (and version) →
 * remove scheduler → leaders back.
 */
export function nextStep(target: StoreTarget, observation: StoreObservation): Step {
  const { record } = observation;
  if (!record) {
    return { kind: 'begin', reason: `recording the restart of store ${target.storeId} (pod ${target.podName})` };
  }
  switch (record.phase) {
    case 'evicting':
      return evicting(target, observation, record);
    case 'restarting':
      return restarting(target, observation, record);
    case 'returning':
      return returning(target, observation, record);
    default: {
      const unknown: never = record.phase;
      throw new Error(`unknown step phase ${String(unknown)} in the record of store ${target.storeId}`);
    }
  }
}

function evicting(target: StoreTarget, o: StoreObservation, record: StepRecord): Step {
  if (restartEvidence(o, record)) {
    return { kind: 'trigger', reason: `pod ${target.podName} is already restarting`, warning: `pod ${target.podName} restarted before its leaders were evicted (not by kubectl-tikv)` };
  }
  if (target.eviction === 'none') {
    return { kind: 'trigger', reason: `restarting pod ${target.podName} without eviction (single-store cluster)` };
  }
  if (target.eviction === 'operator') {
    return { kind: 'trigger', reason: `deleting pod ${target.podName}; the operator evicts its leaders first` };
  }
  if (!o.store) {
    return {
      kind: 'fail',
      reason: `store ${target.storeId} disappeared from PD while its leaders were being evicted`,
      suggestion: "Check the store with 'kubectl tikv status'; it may have been removed.",
      podTouched: false,
    };
  }
  if (!o.schedulerHasStore) {
    return {
      kind: 'add-scheduler',
      reason: record.schedulerAddedAtMs !== undefined
        ? `store ${target.storeId} left the evict-leader scheduler (removed by someone else); adding it again`
        : `evicting leaders from store ${target.storeId}`,
    };
  }
  const pdLeaders = o.store.leaderCount;
  const tikv = o.tikvLeaderCount;
  const drained = pdLeaders === 0 && (tikv === 0 || tikv === undefined);
  if (drained) {
    return { kind: 'trigger', reason: `store ${target.storeId} holds no leaders (${leaderText(pdLeaders, tikv)}); restarting pod ${target.podName}` };
  }
  const deadlineMs = record.phaseSinceMs + target.evictTimeoutMs;
  if (o.nowMs >= deadlineMs) {
    const remaining = Math.max(pdLeaders, typeof tikv === 'number' ? tikv : 0);
    if (target.onEvictTimeout === 'restart') {
      return {
        kind: 'trigger',
        reason: `eviction timed out; restarting pod ${target.podName} anyway (--on-evict-timeout restart)`,
        warning: `store ${target.storeId} still held ${remaining} leader(s) when pod ${target.podName} was restarted (${leaderText(pdLeaders, tikv)})`,
      };
    }
    return {
      kind: 'fail',
      reason: `store ${target.storeId} still holds ${remaining} leader(s) after the eviction timeout (${leaderText(pdLeaders, tikv)}); pod ${target.podName} was not restarted`,
      suggestion: 'Check why PD cannot move them (max-replicas, other stores busy or down), raise --evict-timeout, or use --on-evict-timeout restart to restart anyway.',
      podTouched: false,
    };
  }
  return {
    kind: 'wait',
    for: 'leaders-drained',
    reason: tikv === null ? `store ${target.storeId}: PD reports ${pdLeaders} leader(s); TiKV /metrics could not be read` : `store ${target.storeId} still holds ${leaderText(pdLeaders, tikv)}`,
    deadlineMs,
  };
}

function restarting(target: StoreTarget, o: StoreObservation, record: StepRecord): Step {
  const { pod, store } = o;
  if (record.triggeredAtMs === undefined && !restartEvidence(o, record)) {
    // Recorded as restarting but never triggered (a run stopped in between, and its cleanup may have ended the
    // eviction): the pod is untouched, so the eviction must hold again before it goes.
    return evicting(target, o, record);
  }
  const since = record.triggeredAtMs ?? record.phaseSinceMs;
  // The operator evicts inside the restart, so its budget includes the eviction's.
  const deadlineMs = since + target.readyTimeoutMs + (target.eviction === 'operator' ? target.evictTimeoutMs : 0);
  const late = o.nowMs >= deadlineMs;
  const failLate = (reason: string, suggestion: string): Step => ({ kind: 'fail', reason, suggestion, podTouched: true });

  if (!pod || pod.uid === record.podUid || pod.terminating) {
    if (late) {
      return failLate(
        `pod ${target.podName} was not replaced within the ready timeout`,
        `Check 'kubectl describe pod ${target.podName}' and the controller that owns it; raise --ready-timeout if it is only slow.`,
      );
    }
    if (target.eviction === 'operator' && store && pod?.uid === record.podUid) {
      return { kind: 'wait', for: 'leaders-drained', reason: `operator evicting store ${target.storeId}: ${leaderText(store.leaderCount, o.tikvLeaderCount)}`, deadlineMs };
    }
    if (record.ownsScheduler && !o.schedulerHasStore && pod?.uid === record.podUid && store?.startTimestampSec === record.startTimestampSec) {
      // The old TiKV still serves until its pod is gone: without the scheduler, balance-leader would hand it leaders
      // back just before it stops (someone removed ours behind our back).
      return { kind: 'add-scheduler', reason: `store ${target.storeId} left the evict-leader scheduler while its pod is terminating (removed by someone else); adding it again` };
    }
    return { kind: 'wait', for: 'pod-replaced', reason: pod ? `pod ${target.podName} is terminating` : `pod ${target.podName} is being recreated`, deadlineMs };
  }
  if (!pod.ready) {
    if (late) {
      return failLate(`pod ${target.podName} did not become Ready within the ready timeout`, `Check 'kubectl describe pod ${target.podName}' and 'kubectl logs ${target.podName}'.`);
    }
    return { kind: 'wait', for: 'pod-ready', reason: `pod ${target.podName} is not Ready yet`, deadlineMs };
  }
  const restarted = store !== undefined && store.startTimestampSec !== record.startTimestampSec;
  const versionOk = target.expectedVersion === undefined || (store !== undefined && sameVersion(store.version, target.expectedVersion));
  const heartbeating = store !== undefined && heartbeatSinceStart(store);
  if (!store || !restarted || store.stateName !== 'Up' || !versionOk || !heartbeating) {
    if (late) {
      const why = !store
        ? `PD does not list store ${target.storeId}`
        : !restarted
          ? `store ${target.storeId} has not re-registered with PD (same start time)`
          : store.stateName !== 'Up'
            ? `store ${target.storeId} is ${store.stateName}`
            : !versionOk
              ? `store ${target.storeId} came back on version ${store.version}, not ${target.expectedVersion}`
              : `store ${target.storeId} re-registered but has not sent a heartbeat`;
      return failLate(`${why} within the ready timeout`, `Check the TiKV logs ('kubectl logs ${target.podName}') and PD ('kubectl tikv status').`);
    }
    const reason = !store
      ? `waiting for store ${target.storeId} to appear in PD`
      : !restarted
        ? `waiting for store ${target.storeId} to re-register with PD`
        : store.stateName !== 'Up'
          ? `store ${target.storeId} is ${store.stateName}`
          : !versionOk
            ? `store ${target.storeId} reports version ${store.version}, waiting for ${target.expectedVersion}`
            : `store ${target.storeId} re-registered, waiting for its first heartbeat`;
    return { kind: 'wait', for: 'store-up', reason, deadlineMs };
  }
  if (record.ownsScheduler && o.schedulerHasStore) {
    return { kind: 'remove-scheduler', reason: `store ${target.storeId} is Up (started ${store.startTimestampSec}); ending its eviction` };
  }
  return { kind: 'mark-returning', reason: `store ${target.storeId} is Up on version ${store.version}` };
}

function returning(target: StoreTarget, o: StoreObservation, record: StepRecord): Step {
  if (record.ownsScheduler && o.schedulerHasStore) {
    // Re-added behind our back after we removed it, or our removal did not stick: it is still ours to remove.
    return { kind: 'remove-scheduler', reason: `store ${target.storeId} is still in the evict-leader scheduler; removing it` };
  }
  const deadlineMs = record.phaseSinceMs + target.leaderReturnTimeoutMs;
  const late = o.nowMs >= deadlineMs;
  if (target.eviction === 'operator' && o.schedulerHasStore) {
    if (late) return { kind: 'finish', reason: `store ${target.storeId} restarted`, warning: `the operator has not yet ended its leader eviction of store ${target.storeId}` };
    return { kind: 'wait', for: 'operator-eviction-ended', reason: `waiting for the operator to end its eviction of store ${target.storeId}`, deadlineMs };
  }
  if (target.skipLeaderReturn || target.eviction === 'none') {
    return { kind: 'finish', reason: `store ${target.storeId} restarted${target.skipLeaderReturn ? ' (not waiting for leaders: --skip-leader-return)' : ''}` };
  }
  const wanted = leaderReturnTarget(record.leadersBefore);
  const have = typeof o.tikvLeaderCount === 'number' ? o.tikvLeaderCount : (o.store?.leaderCount ?? 0);
  if (have >= wanted) {
    return { kind: 'finish', reason: `store ${target.storeId} holds ${have} leader(s) again (had ${record.leadersBefore})` };
  }
  if (late) {
    return {
      kind: 'finish',
      reason: `store ${target.storeId} restarted`,
      warning: `store ${target.storeId} holds ${have} of the ${wanted} leader(s) expected back after the leader-return timeout; PD keeps balancing them`,
    };
  }
  return { kind: 'wait', for: 'leaders-returned', reason: `store ${target.storeId} holds ${have} leader(s), waiting for ${wanted} (had ${record.leadersBefore})`, deadlineMs };
}

/** The pod or the TiKV process has restarted since the record was written. */
function restartEvidence(o: StoreObservation, record: StepRecord): boolean {
  if (!o.pod || o.pod.uid !== record.podUid || o.pod.terminating) return true;
  return o.store !== undefined && o.store.startTimestampSec !== record.startTimestampSec;
}

function leaderText(pd: number, tikv: number | null | undefined): string {
  if (typeof tikv === 'number') return pd === tikv ? `${pd} leader(s)` : `${pd} leader(s) per PD, ${tikv} per TiKV`;
  return `${pd} leader(s) per PD`;
}
