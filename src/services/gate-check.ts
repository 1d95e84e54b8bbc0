import { evaluateGates, type GateReport } from '../core/gates.ts';
import type { Eviction, Member } from '../core/model.ts';
import type { Clock } from './clock.ts';
import type { ClusterSession, ClusterSnapshot } from './cluster-session.ts';
import { retryTransient } from './transient.ts';

/** Reads what the gates need from PD (members, health, replication, region health) and evaluates them for a member. */
export async function checkGates(
  session: ClusterSession,
  snapshot: ClusterSnapshot,
  member: Member,
  evictions: Eviction[],
  options: { force: boolean; resuming: boolean; signal?: AbortSignal },
): Promise<GateReport> {
  const { pd } = session;
  const signal = options.signal;
  const [members, health, replication, downPeer, missPeer] = await Promise.all([
    pd.members({ signal }),
    pd.health({ signal }),
    pd.replicationConfig({ signal }),
    pd.regionCheck('down-peer', { signal }),
    pd.regionCheck('miss-peer', { signal }),
  ]);
  const targetStoreId = member.store?.storeId;
  // A resumed step's own store is expected to be mid-restart: only the rest of the cluster is gated.
  const stores = options.resuming ? snapshot.stores.map((s) => (s.storeId === targetStoreId ? { ...s, stateName: 'Up' as const } : s)) : snapshot.stores;
  return evaluateGates({
    targetStoreId,
    targetPodName: member.podName,
    targetPodReady: options.resuming || member.pod?.ready === true,
    pdMembers: health.map((m) => ({ name: m.name, healthy: m.healthy !== false })),
    pdLeaderName: members.leader?.name,
    stores,
    downPeerRegionCount: downPeer.count,
    missPeerRegionCount: missPeer.count,
    maxReplicas: replication.maxReplicas,
    evictions,
    operatorPhase: snapshot.v1?.phase,
    force: options.force,
  });
}

/** Gates whose failure can clear by itself (a store just restarted still settling, PD electing a leader). */
const TRANSIENT_GATES = new Set(['pd-healthy', 'other-stores-up', 'region-health', 'pod-ready', 'no-foreign-eviction', 'operator-idle']);

/**
 * Evaluates the gates and, while only transient ones fail, re-evaluates them every poll for up to `patienceMs`
 * (between two stores of a rolling run, the store just restarted may still be settling). Returns the last report.
 */
export async function awaitGates(
  evaluate: () => Promise<GateReport>,
  options: {
    patienceMs: number;
    pollIntervalMs: number;
    clock: Clock;
    signal: AbortSignal;
    onWaiting: (reason: string) => void;
    /** How long reading what the gates need may keep failing transiently (PD electing, API 5xx/429). Default max(patienceMs, 30 s). */
    errorBudgetMs?: number;
  },
): Promise<GateReport> {
  const deadline = options.clock.now() + options.patienceMs;
  const errorBudgetMs = options.errorBudgetMs ?? Math.max(options.patienceMs, 30_000);
  let lastReason = '';
  for (;;) {
    // A failed read is not a failed gate: a PD election or a throttled API server must not stop the run.
    const report = await retryTransient(evaluate, { budgetMs: errorBudgetMs, pollIntervalMs: options.pollIntervalMs, clock: options.clock, signal: options.signal, onRetry: (message) => options.onWaiting(`reading the health gates failed: ${message}`) });
    const failures = report.results.filter((r) => !r.ok);
    if (report.passed || failures.some((r) => !TRANSIENT_GATES.has(r.gate)) || options.clock.now() >= deadline) return report;
    if (failures[0].reason !== lastReason) {
      lastReason = failures[0].reason;
      options.onWaiting(`waiting before the next store: ${lastReason}`);
    }
    await options.clock.sleep(options.pollIntervalMs, options.signal);
  }
}
