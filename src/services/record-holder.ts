import type { Member } from '../core/model.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import type { ObjectRef } from '../kube/kube.ts';
import { instanceNameOfPod } from '../kube/tikv-instances.ts';

/**
 * The object a member's step record and Events live on: one that survives the pod's restart. The TiKV instance CR
 * where the topology has one (tidb-operator v2, the seed's operator), else the TidbCluster (v1 — its StatefulSet is
 * the operator's to rewrite), else the TiKV StatefulSet.
 */
export function recordHolder(cluster: DetectedCluster, member: Member): ObjectRef {
  const namespace = cluster.ref.namespace;
  if (cluster.instanceKind) {
    const name = member.instance?.name ?? (member.pod ? instanceNameOfPod(cluster, member.pod) : undefined);
    if (name) return { ...cluster.instanceKind, namespace, name };
  }
  if (cluster.ref.topology === 'tidb-operator-v1') return cluster.object;
  return cluster.statefulSet ?? cluster.object;
}

/** Every object step records of the cluster can live on (for `status` and leftover detection). */
export function recordHolders(cluster: DetectedCluster, members: Member[]): ObjectRef[] {
  const seen = new Map<string, ObjectRef>();
  for (const member of members) {
    const ref = recordHolder(cluster, member);
    seen.set(`${ref.kind}/${ref.name}`, ref);
  }
  if (!cluster.instanceKind) {
    const ref = cluster.ref.topology === 'tidb-operator-v1' ? cluster.object : (cluster.statefulSet ?? cluster.object);
    seen.set(`${ref.kind}/${ref.name}`, ref);
  }
  return [...seen.values()];
}
