/**
 * The domain model every layer shares. Adapters map wire formats (PD JSON, Kubernetes objects) into these types;
 * core decides on them; services and UI render them. Times are Unix milliseconds unless the name says otherwise.
 */

/** The four ways TiKV runs on Kubernetes (topologies.md). */
export type Topology = 'tidb-operator-v1' | 'tidb-operator-v2' | 'tikv-operator' | 'statefulset';

/** Every topology, in the order `--topology` lists them. */
export const TOPOLOGIES: readonly Topology[] = ['tidb-operator-v1', 'tidb-operator-v2', 'tikv-operator', 'statefulset'];

/** PD's computed store state (`state_name`); PD never answers anything else. */
export type StoreStateName = 'Up' | 'Disconnected' | 'Down' | 'Offline' | 'Tombstone';

/** PD's `node_state` (v6.1+); absent on older PD. */
export type StoreNodeState = 'Preparing' | 'Serving' | 'Removing' | 'Removed';

/** A PD store, normalised from PD's StoreInfo. */
export interface Store {
  storeId: number;
  /** `host:port` of the store's gRPC address, e.g. `basic-tikv-0.basic-tikv-peer.ns.svc:20160`. */
  address: string;
  /** `host:port` of the status (HTTP, /metrics) address; empty when PD does not know it. */
  statusAddress: string;
  /** TiKV version as PD reports it, without a leading `v` (e.g. `8.5.0`). */
  version: string;
  stateName: StoreStateName;
  nodeState?: StoreNodeState;
  /** When this TiKV process started, Unix **seconds**; a restart changes it. */
  startTimestampSec: number;
  /** Last store heartbeat, Unix ms (PD sends ns; precision below 1 ms is dropped). 0 when never. */
  lastHeartbeatMs: number;
  leaderCount: number;
  regionCount: number;
  labels: Record<string, string>;
  capacity?: string;
  available?: string;
  usedSize?: string;
  /** Go duration string; PD omits it right after a restart. */
  uptime?: string;
  slowScore?: number;
  isBusy?: boolean;
  pendingPeerCount?: number;
}

/** The Kubernetes side of one TiKV: its pod, as the plugin needs to see it. */
export interface TikvPod {
  name: string;
  namespace: string;
  uid: string;
  /** Pod phase: Pending, Running, Succeeded, Failed, Unknown. */
  phase: string;
  /** The Ready condition is True. */
  ready: boolean;
  /** `metadata.deletionTimestamp` is set: the pod is terminating. */
  terminating: boolean;
  createdAtMs: number;
  /** Image of the TiKV container (`tikv`, or the first container). */
  image: string;
  /** Store id from the `tidb.pingcap.com/store-id` label, when present. */
  storeIdLabel?: number;
  /** Owner, e.g. `{kind: 'StatefulSet', name: 'basic-tikv'}`, or a TiKV instance CR. */
  owner?: { kind: string; name: string };
  /** Restart count of the TiKV container. */
  restarts: number;
  nodeName?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A TiKV instance custom resource (tidb-operator v2 `TiKV`, the seed's tikv-operator `TiKV`). */
export interface TikvInstance {
  name: string;
  /** Store id from `status.id`, when the instance has registered. */
  storeId?: number;
  /** Version requested in the instance's spec (without a leading `v`), when the topology has one. */
  specVersion?: string;
  /** v2: `status.state` (Preparing, Serving, Removing, Removed). */
  state?: string;
  /** Conditions by type (v2: Ready, Synced, LeadersEvicted), status and reason. */
  conditions: Record<string, { status: string; reason?: string }>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One TiKV of the cluster, its parts joined: pod ↔ store (↔ instance). Any part may be missing. */
export interface Member {
  podName: string;
  pod?: TikvPod;
  store?: Store;
  instance?: TikvInstance;
}

/** The TiKV cluster being driven: which topology, where, and under which name. */
export interface ClusterRef {
  topology: Topology;
  namespace: string;
  /** TidbCluster / Cluster / tikv.org cluster name, or the StatefulSet name for plain StatefulSets. */
  name: string;
}

/** Who added a store to PD's evict-leader scheduler, as far as kubectl-tikv can tell. */
export type EvictionOwner = 'kubectl-tikv' | 'operator' | 'stray';

/** A store currently in PD's evict-leader scheduler. */
export interface Eviction {
  storeId: number;
  owner: EvictionOwner;
  /** Scheduler name it was found under (`evict-leader-scheduler` or legacy `evict-leader-scheduler-<id>`). */
  schedulerName: string;
}
