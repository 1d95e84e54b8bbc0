import type { TikvInstance } from '../core/model.ts';
import type { DetectedCluster } from './detected-cluster.ts';
import type { Kube, KubeObject } from './kube.ts';

type InstanceObject = KubeObject & {
  spec?: { version?: string };
  status?: { id?: string | number; state?: string; conditions?: { type: string; status: string; reason?: string }[] };
};

/** A TiKV instance CR (tidb-operator v2 `TiKV`, the seed's `TiKV`) as the plugin sees it. */
export function readTikvInstance(object: KubeObject): TikvInstance {
  const instance = object as InstanceObject;
  const conditions: TikvInstance['conditions'] = {};
  for (const condition of instance.status?.conditions ?? []) {
    conditions[condition.type] = condition.reason === undefined ? { status: condition.status } : { status: condition.status, reason: condition.reason };
  }
  const result: TikvInstance = {
    name: instance.metadata.name,
    conditions,
    labels: { ...(instance.metadata.labels ?? {}) },
    annotations: { ...(instance.metadata.annotations ?? {}) },
  };
  const id = instance.status?.id;
  // The seed's operator stores the id as a string, v2 as a string too; an empty or non-numeric id is no id.
  if (id !== undefined && /^\d+$/.test(String(id)) && Number(id) > 0) result.storeId = Number(id);
  if (instance.spec?.version) result.specVersion = instance.spec.version.replace(/^v/, '');
  if (instance.status?.state) result.state = instance.status.state;
  return result;
}

/** The cluster's TiKV instance CRs, by name; empty for topologies without instances (v1, StatefulSets). */
export async function listTikvInstances(kube: Kube, cluster: DetectedCluster, options: { signal?: AbortSignal } = {}): Promise<TikvInstance[]> {
  if (!cluster.instanceKind) return [];
  const { items } = await kube.list(cluster.instanceKind, { namespace: cluster.ref.namespace, labelSelector: cluster.instanceSelector, signal: options.signal });
  return items.map(readTikvInstance).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** The instance CR a pod belongs to: v2 labels it `pingcap.com/instance`, the seed's operator `tikv.org/instance`. */
export function instanceNameOfPod(cluster: DetectedCluster, pod: { name: string; labels: Record<string, string> }): string | undefined {
  if (cluster.ref.topology === 'tidb-operator-v2') return pod.labels['pingcap.com/instance'];
  if (cluster.ref.topology === 'tikv-operator') return pod.labels['tikv.org/instance'] ?? pod.name;
  return undefined;
}
