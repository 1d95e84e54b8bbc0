import { mapMembers, type MemberMapping, type PodCandidate } from '../core/members.ts';
import type { Store, TikvInstance, TikvPod } from '../core/model.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import type { Kube, KubeObject } from '../kube/kube.ts';
import { instanceNameOfPod, listTikvInstances } from '../kube/tikv-instances.ts';
import { listTikvPods } from '../kube/tikv-pods.ts';
import type { PdClient } from '../pd/pd-client.ts';
import type { TikvMetrics } from '../tikv/tikv-metrics.ts';

/** A connected cluster: Kubernetes, the TiKV cluster found in it, and its PD and TiKVs reached through tunnels. */
export interface ClusterSession {
  kube: Kube;
  cluster: DetectedCluster;
  pd: PdClient;
  tikv: TikvMetrics;
}

/** tidb-operator v1's own view of TiKV (`TidbCluster.status.tikv`). */
export interface V1TikvStatus {
  phase?: string;
  /** Store id → pod name, from `status.tikv.stores`. */
  storePods: Map<number, string>;
  /** Pods the operator is evicting through its `tidb.pingcap.com/evict-leader` mechanism (`status.tikv.evictLeader`). */
  evictLeaderPods: string[];
}

/** The cluster read at one moment: pods, instances, PD's stores, and how they join. */
export interface ClusterSnapshot {
  pods: TikvPod[];
  instances: TikvInstance[];
  /** Non-tombstone stores. */
  stores: Store[];
  mapping: MemberMapping;
  v1?: V1TikvStatus;
}

type TidbClusterObject = KubeObject & {
  status?: { tikv?: { phase?: string; stores?: Record<string, { id?: string; podName?: string }>; evictLeader?: Record<string, unknown> } };
};

/** Reads tidb-operator v1's view of TiKV from the TidbCluster, or undefined on other topologies. */
export async function readV1TikvStatus(session: ClusterSession, signal?: AbortSignal): Promise<V1TikvStatus | undefined> {
  const { cluster, kube } = session;
  if (cluster.ref.topology !== 'tidb-operator-v1') return undefined;
  const tc = await kube.get<TidbClusterObject>(cluster.object, { signal });
  const tikv = tc?.status?.tikv;
  const storePods = new Map<number, string>();
  for (const [id, store] of Object.entries(tikv?.stores ?? {})) {
    const storeId = Number(store.id ?? id);
    if (Number.isInteger(storeId) && store.podName) storePods.set(storeId, store.podName);
  }
  return { phase: tikv?.phase, storePods, evictLeaderPods: Object.keys(tikv?.evictLeader ?? {}) };
}

/** Reads pods, instances and PD's stores in parallel and joins them (topologies.md, "Mapping a pod to its PD store"). */
export async function readClusterSnapshot(session: ClusterSession, signal?: AbortSignal): Promise<ClusterSnapshot> {
  const { kube, cluster, pd } = session;
  const [pods, instances, stores, v1] = await Promise.all([
    listTikvPods(kube, cluster, { signal }),
    listTikvInstances(kube, cluster, { signal }),
    pd.stores({ signal }),
    readV1TikvStatus(session, signal),
  ]);
  const instancesByName = new Map(instances.map((i) => [i.name, i]));
  const candidates: PodCandidate[] = pods.map((pod) => {
    const instanceName = instanceNameOfPod(cluster, pod);
    const instance = instanceName ? instancesByName.get(instanceName) : undefined;
    const claims: PodCandidate['storeIdClaims'] = [];
    if (instance?.storeId !== undefined) claims.push({ storeId: instance.storeId, source: `${cluster.instanceKind?.kind ?? 'instance'} ${instance.name} status.id` });
    if (pod.storeIdLabel !== undefined) claims.push({ storeId: pod.storeIdLabel, source: `the label tidb.pingcap.com/store-id of pod ${pod.name}` });
    for (const [storeId, podName] of v1?.storePods ?? []) {
      if (podName === pod.name) claims.push({ storeId, source: `TidbCluster ${cluster.ref.name} status.tikv.stores` });
    }
    return { podName: pod.name, pod, instance, storeIdClaims: claims };
  });
  return { pods, instances, stores, mapping: mapMembers(candidates, stores, cluster.ref.namespace), v1 };
}
