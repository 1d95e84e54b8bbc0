import type { HistoryEntry } from '../sim/history.ts';
import { storeUnavailability, type SimCluster, type UnavailabilityInterval } from '../sim/cluster.ts';
import { readClusterSnapshot } from '../../src/services/cluster-session.ts';
import { readStepRecords } from '../../src/services/evictions.ts';
import { leaseRef } from '../../src/services/run-lease.ts';
import type { StepRecord } from '../../src/core/step-record.ts';
import type { KubeObject } from '../../src/kube/kube.ts';
import type { FaultNotes, RunOutcome, SimSession } from './fault-case.ts';

/** The cluster as the invariants look at it after a run. */
export interface ClusterAfterRun {
  records: StepRecord[];
  /** Stores in PD's evict-leader scheduler (the simulator's truth). */
  evicting: number[];
  leaseHolder: string | undefined;
}

/** Reads what the invariants need: step records (as the plugin reads them), PD's scheduler, the Lease. */
export async function readClusterAfterRun(sim: SimCluster, session: SimSession): Promise<ClusterAfterRun> {
  const snapshot = await readClusterSnapshot(session);
  const { records } = await readStepRecords(session.kube, session.cluster, snapshot.mapping.members);
  const ref = leaseRef(session.cluster);
  const lease = sim.store.get<{ metadata: { name: string }; spec?: { holderIdentity?: string } } & import('../../src/kube/kube.ts').KubeObject>({ apiVersion: ref.apiVersion, kind: ref.kind }, ref.namespace, ref.name);
  return { records, evicting: sim.pd.evictLeaderStoreIds(), leaseHolder: lease?.spec?.holderIdentity || undefined };
}

/** What one run must leave behind, given what the fault did. */
export interface RunInvariantInput {
  sim: SimCluster;
  /** History entries of this run (and whatever followed it until now). */
  entries: readonly HistoryEntry[];
  outcome: RunOutcome;
  after: ClusterAfterRun;
  notes: FaultNotes;
  /** Stores kubectl-tikv added to the evict-leader scheduler during the run. */
  addedByUs: ReadonlySet<number>;
  /** A step record may remain (to be resolved by the next run). */
  recordMayRemain: boolean;
  /** The run was killed outright: its Lease and schedulers may remain with their records. */
  killed?: boolean;
}

/**
 * The promises of commands.md checked against the simulator's ground truth; returns every violation found, each in
 * one sentence (empty when all hold):
 * - no evict-leader scheduler of ours is left, unless a step record owning it remains for the next run;
 * - no step record remains after a successful run, nor after a failure unless the store was touched;
 * - the Lease is released unless the run was killed;
 * - no store was stopped while it still held leaders (`regions-unavailable`), unless `--on-evict-timeout restart`;
 * - no store went down while another one was down (stores the fault itself took down excepted).
 */
export function runInvariantViolations(input: RunInvariantInput): string[] {
  const violations: string[] = [];
  const { after, notes, outcome } = input;
  const owning = new Set(after.records.filter((r) => r.ownsScheduler).map((r) => r.storeId));
  for (const storeId of after.evicting) {
    if (notes.foreignEvictions.has(storeId)) continue;
    if (!input.addedByUs.has(storeId)) continue;
    if (owning.has(storeId)) continue;
    violations.push(`store ${storeId} is still in the evict-leader scheduler kubectl-tikv added it to, and no step record owns it`);
  }
  if (after.records.length > 0) {
    const describe = after.records.map((r) => `store ${r.storeId} (${r.phase}${r.triggeredAtMs !== undefined ? ', triggered' : ''})`).join(', ');
    if (outcome.code === 0) violations.push(`a successful run left step records: ${describe}`);
    else if (!input.recordMayRemain && !input.killed) violations.push(`the run left step records although none may remain: ${describe}`);
  }
  if (after.leaseHolder !== undefined && !input.killed) violations.push(`the Lease is still held by ${after.leaseHolder}`);
  if (!notes.leadersAtStopAllowed) {
    for (const entry of input.entries) {
      if (entry.source !== 'tikv' || entry.type !== 'regions-unavailable') continue;
      const storeId = Number(entry.data.storeId);
      if (downedAt(notes.downedStores, storeId, entry.at) || notes.leadersMayBeLost?.has(storeId)) continue;
      violations.push(`store ${storeId} stopped while it held ${String(entry.data.count)} leader(s)`);
    }
  }
  const podNames = input.sim.tikvPodNames();
  const intervals = storeUnavailability(input.entries, { podNames });
  violations.push(...deletionViolations(input.entries, intervals, podNames, notes.downedStores));
  // Without a store the fault took down, the stronger form holds: never two stores down at the same moment.
  if (notes.downedStores.size === 0) violations.push(...overlapViolations(intervals, notes.downedStores));
  return violations;
}

/**
 * Each TiKV pod deleted (by kubectl-tikv, or by the StatefulSet controller or operator it asked) while another store
 * was down: the decision to restart a store must see every other store up.
 */
export function deletionViolations(entries: readonly HistoryEntry[], intervals: readonly UnavailabilityInterval[], podNames: readonly string[], downed: ReadonlyMap<number, number>): string[] {
  const violations: string[] = [];
  for (const entry of entries) {
    if (entry.source !== 'kube' || entry.type !== 'pod-deleting' || !podNames.includes(String(entry.data.name))) continue;
    const down = intervals.find((i) => i.podName !== entry.data.name && i.from <= entry.at && (i.to === undefined || i.to > entry.at));
    if (down && !intervals.some((i) => i.podName === entry.data.name && downedAt(downed, i.storeId, entry.at)) && !operatorCommitted(entries, String(entry.data.name), downed.get(down.storeId))) {
      violations.push(`pod ${String(entry.data.name)} was deleted while store ${down.storeId} (pod ${down.podName}) was down`);
    }
  }
  return violations;
}

/**
 * An operator had begun evicting the pod's leaders before the fault took the other store down: the deletion that ends
 * that step was decided then (tidb-operator restarts a store it began on), not after the store went down.
 */
function operatorCommitted(entries: readonly HistoryEntry[], podName: string, downedSince: number | undefined): boolean {
  if (downedSince === undefined) return false;
  let begun = false;
  for (const e of entries) {
    if (e.at >= downedSince) break;
    if (!e.source.startsWith('tidb-operator') || e.data.pod !== podName) continue;
    // Not an eviction kubectl-tikv asked for through the pod's annotation: deleting after that one is its own decision.
    if (e.type === 'evict-leader-begin') begun = e.data.annotation === undefined;
    else if (e.type === 'evict-leader-end') begun = false;
  }
  return begun;
}

/** The fault had taken `storeId` down by `atMs`. */
function downedAt(downed: ReadonlyMap<number, number>, storeId: number, atMs: number): boolean {
  const since = downed.get(storeId);
  return since !== undefined && atMs >= since;
}

/** Each store that went down while another store was already down (stores in `downed` may go down any time). */
export function overlapViolations(intervals: readonly UnavailabilityInterval[], downed: ReadonlyMap<number, number>): string[] {
  const violations: string[] = [];
  for (const interval of intervals) {
    if (downedAt(downed, interval.storeId, interval.from)) continue;
    const overlapping = intervals.find((other) => other !== interval && other.podName !== interval.podName && other.from <= interval.from && (other.to === undefined || other.to > interval.from));
    if (overlapping) {
      violations.push(`store ${interval.storeId} (pod ${interval.podName}) went down while store ${overlapping.storeId} (pod ${overlapping.podName}) was down`);
    }
  }
  return violations;
}

/**
 * Waits until every TiKV of the cluster runs again (its pod Ready, its store Up), as a user would before running the
 * command again — not for rollouts to finish: an interrupted upgrade leaves one in progress on purpose. Gives up
 * quietly after `timeoutMs` (the next run then meets the cluster as it is).
 */
export async function waitStoresBack(sim: SimCluster, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const pods = sim.store.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: sim.namespace }).items.filter((p) => sim.tikvPodNames().includes(p.metadata.name));
    const ready = pods.every((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const up = sim.pd.storeViews().every((s) => s.stateName === 'Up' && s.running);
    if (ready && up && pods.length === sim.tikvPodNames().length) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
