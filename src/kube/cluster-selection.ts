import type { Topology } from '../core/model.ts';

/** How the user narrowed down which TiKV cluster to drive and how to reach its PD (`--cluster`, `--topology` …). */
export interface ClusterSelection {
  /** `--cluster`: TidbCluster / Cluster / tikv.org cluster name, or StatefulSet name (or its `app.kubernetes.io/instance`). */
  clusterName?: string;
  /** `--topology`: skip detection. */
  topology?: Topology;
  /** `--selector` for the plain StatefulSet topology; default `app.kubernetes.io/component=tikv`. */
  selector?: string;
  /** `--pd-service`: PD's service name in the cluster's namespace. */
  pdService?: string;
  /** `--pd-url`: reach PD directly, no port-forward. */
  pdUrl?: string;
}

/** The label selector of TiKV StatefulSets when `--selector` is not given (topologies.md §4). */
export const DEFAULT_TIKV_SELECTOR = 'app.kubernetes.io/component=tikv';
