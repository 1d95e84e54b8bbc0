import { evaluateGates, type GateReport } from '../core/gates.ts';
import type { Eviction, Member } from '../core/model.ts';
import type { ClusterSession, ClusterSnapshot } from './cluster-session.ts';

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
