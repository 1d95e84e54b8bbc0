import type { ClusterRef } from '../core/model.ts';
import type { KindRef, ObjectRef } from './kube.ts';
import type { TlsSecretRef } from './cluster-tls.ts';

/** How PD is reached: a service to port-forward to, or a URL (`--pd-url`). */
export type PdLocation =
  | { kind: 'service'; namespace: string; service: string; port: number; scheme: 'http' | 'https' }
  | { kind: 'url'; url: string };

/**
 * A TiKV cluster found in the namespace: which topology, the objects that define it, how to find its TiKV pods and
 * instances, and how to reach its PD. Built by `detectCluster`; read by the pod/instance readers and the targets.
 */
export interface DetectedCluster {
  ref: ClusterRef;
  /** What was found, for humans: `TidbCluster "basic"`, `StatefulSet "basic-tikv"`. */
  description: string;
  /** The object that defines the cluster: TidbCluster, v2 Cluster, the seed's first TiKVGroup, or the StatefulSet. */
  object: ObjectRef;
  /** The TiKV StatefulSet (tidb-operator v1: `<tc>-tikv`; plain StatefulSet topology: the StatefulSet itself). */
  statefulSet?: ObjectRef;
  /** TiKVGroups of the cluster (tidb-operator v2, the seed's operator). */
  tikvGroups: ObjectRef[];
  /** Kind of the TiKV instance CRs (tidb-operator v2, the seed's operator); absent for v1 and StatefulSets. */
  instanceKind?: KindRef;
  /** Label selector of the cluster's TiKV instance CRs. */
  instanceSelector?: string;
  /** Label selector of the cluster's TiKV pods (in `ref.namespace`). */
  tikvPodSelector: string;
  /** Only pods owned by this StatefulSet are the cluster's (plain StatefulSets share labels across releases). */
  tikvPodOwner?: { kind: string; name: string };
  pd: PdLocation;
  /** Cluster TLS: PD and TiKV speak https and want this client certificate. */
  tls?: TlsSecretRef;
}
