import type { KindRef } from './kube.ts';

/** The Kubernetes kinds kubectl-tikv reads and writes. */
export const KINDS = {
  pod: { apiVersion: 'v1', kind: 'Pod' },
  service: { apiVersion: 'v1', kind: 'Service' },
  secret: { apiVersion: 'v1', kind: 'Secret' },
  event: { apiVersion: 'v1', kind: 'Event' },
  statefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  /** tidb-operator v1. */
  tidbCluster: { apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster' },
  /** tidb-operator v2. */
  v2Cluster: { apiVersion: 'core.pingcap.com/v1alpha1', kind: 'Cluster' },
  v2PdGroup: { apiVersion: 'core.pingcap.com/v1alpha1', kind: 'PDGroup' },
  v2TikvGroup: { apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKVGroup' },
  v2Tikv: { apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKV' },
} as const satisfies Record<string, KindRef>;

/** API groups of tidb-operator: the seed's tikv-operator is "TiKVGroup/TiKV in any other group". */
export const PINGCAP_GROUPS = ['pingcap.com', 'core.pingcap.com'];
