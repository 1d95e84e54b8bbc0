import type { TikvPod } from '../core/model.ts';
import type { DetectedCluster } from './detected-cluster.ts';
import { KINDS } from './kinds.ts';
import type { Kube, KubeObject } from './kube.ts';

/** The pod label tidb-operator puts the store id in. */
export const STORE_ID_LABEL = 'tidb.pingcap.com/store-id';

type PodObject = KubeObject & {
  spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; restartCount?: number }[];
  };
};

/** A Kubernetes pod as the plugin sees a TiKV pod. */
export function readTikvPod(object: KubeObject): TikvPod {
  const pod = object as PodObject;
  const containers = pod.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'tikv') ?? containers[0];
  const statuses = pod.status?.containerStatuses ?? [];
  const containerStatus = statuses.find((s) => s.name === container?.name) ?? statuses[0];
  const owners = pod.metadata.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller) ?? owners[0];
  const storeIdText = pod.metadata.labels?.[STORE_ID_LABEL];
  const result: TikvPod = {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    uid: pod.metadata.uid ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    terminating: Boolean(pod.metadata.deletionTimestamp),
    createdAtMs: pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : 0,
    image: container?.image ?? '',
    restarts: containerStatus?.restartCount ?? 0,
    labels: { ...(pod.metadata.labels ?? {}) },
    annotations: { ...(pod.metadata.annotations ?? {}) },
  };
  if (storeIdText !== undefined && /^\d+$/.test(storeIdText)) result.storeIdLabel = Number(storeIdText);
  if (owner) result.owner = { kind: owner.kind, name: owner.name };
  if (pod.spec?.nodeName) result.nodeName = pod.spec.nodeName;
  return result;
}

/** True when the pod belongs to the cluster (its labels match and, for plain StatefulSets, its owner too). */
export function isClusterTikvPod(cluster: DetectedCluster, pod: TikvPod): boolean {
  if (!cluster.tikvPodOwner) return true;
  return pod.owner?.kind === cluster.tikvPodOwner.kind && pod.owner.name === cluster.tikvPodOwner.name;
}

/** The cluster's TiKV pods, in ordinal/name order. */
export async function listTikvPods(kube: Kube, cluster: DetectedCluster, options: { signal?: AbortSignal } = {}): Promise<TikvPod[]> {
  const { items } = await kube.list(KINDS.pod, { namespace: cluster.ref.namespace, labelSelector: cluster.tikvPodSelector, signal: options.signal });
  return items
    .map(readTikvPod)
    .filter((pod) => isClusterTikvPod(cluster, pod))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/**
 * The pod's DNS name under its headless service, `<hostname>.<subdomain>.<namespace>.svc`: cluster certificates
 * cover it with `*.<peer-service>.<namespace>.svc` (a wildcard needs three labels after it to match in Node).
 */
export function podDnsName(object: KubeObject): string | undefined {
  const spec = (object.spec ?? {}) as { hostname?: string; subdomain?: string };
  if (!spec.subdomain || !object.metadata.namespace) return undefined;
  return `${spec.hostname ?? object.metadata.name}.${spec.subdomain}.${object.metadata.namespace}.svc`;
}
