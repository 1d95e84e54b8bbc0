import type { Eviction, EvictionOwner, Member } from '../core/model.ts';
import { stepRecordsIn, type StepRecord } from '../core/step-record.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import type { Kube } from '../kube/kube.ts';
import type { EvictLeaderState } from '../pd/pd-client.ts';
import type { ClusterSnapshot } from './cluster-session.ts';
import { recordHolders } from './record-holder.ts';

/** Every step record kubectl-tikv left on the cluster's record holders, and annotations it could not read. */
export async function readStepRecords(kube: Kube, cluster: DetectedCluster, members: Member[], signal?: AbortSignal): Promise<{ records: StepRecord[]; unreadable: string[] }> {
  const holders = recordHolders(cluster, members);
  const objects = await Promise.all(holders.map((ref) => kube.get(ref, { signal })));
  const records: StepRecord[] = [];
  const unreadable: string[] = [];
  objects.forEach((object, i) => {
    if (!object) return;
    const found = stepRecordsIn(object.metadata.annotations);
    records.push(...found.records);
    unreadable.push(...found.unreadable.map((key) => `${holders[i].kind} ${holders[i].name}: ${key}`));
  });
  return { records, unreadable };
}

/**
 * Who put each store into PD's evict-leader scheduler: kubectl-tikv (a step record owns it), the operator
 * (tidb-operator v1's evict-leader annotation or its own upgrade; tidb-operator v2, which removes any scheduler it
 * did not ask for within ~30 s, so one that is there is its own), or nobody we know of (stray).
 */
export function classifyEvictions(state: EvictLeaderState, records: StepRecord[], cluster: DetectedCluster, snapshot: ClusterSnapshot): Eviction[] {
  const ours = new Set(records.filter((r) => r.ownsScheduler).map((r) => r.storeId));
  const podOfStore = new Map(snapshot.mapping.members.flatMap((m) => (m.store ? [[m.store.storeId, m.podName] as const] : [])));
  return [...state.storeIds].sort((a, b) => a - b).map((storeId) => {
    let owner: EvictionOwner = 'stray';
    if (ours.has(storeId)) owner = 'kubectl-tikv';
    else if (cluster.ref.topology === 'tidb-operator-v2') owner = 'operator';
    else if (snapshot.v1) {
      const pod = podOfStore.get(storeId);
      if ((pod && snapshot.v1.evictLeaderPods.includes(pod)) || snapshot.v1.phase === 'Upgrade') owner = 'operator';
    }
    const legacy = state.schedulerNames.find((n) => n.endsWith(`-${storeId}`));
    return { storeId, owner, schedulerName: legacy ?? 'evict-leader-scheduler' };
  });
}
