import type { Eviction, Store, StoreStateName } from '../core/model.ts';
import type { StepPhase } from '../core/step-record.ts';
import { describeError } from '../describe-error.ts';
import type { PdMember } from '../pd/pd-client.ts';
import { readClusterSnapshot, type ClusterSession } from './cluster-session.ts';
import { classifyEvictions, readStepRecords } from './evictions.ts';

/** One TiKV: its store in PD and its pod in Kubernetes, side by side. */
export interface StatusStore {
  storeId?: number;
  podName?: string;
  /** PD's state (`Up`, `Disconnected` …), or undefined when PD has no store for the pod. */
  state?: StoreStateName;
  nodeState?: string;
  version?: string;
  address?: string;
  leadersPd?: number;
  /** The TiKV's own count from /metrics; null when it could not be read. */
  leadersTikv?: number | null;
  regions?: number;
  /** Pod Ready condition; undefined when there is no pod (an orphan store). */
  podReady?: boolean;
  podPhase?: string;
  podTerminating?: boolean;
  restarts?: number;
  image?: string;
  /** When the TiKV process started (PD's start_timestamp), ISO 8601. */
  startTime?: string;
  uptime?: string;
  /** Who is evicting its leaders, when someone is. */
  eviction?: Eviction['owner'];
  /** A kubectl-tikv step in progress (or left by a killed run) on this store. */
  step?: { phase: StepPhase; command: string; holder?: string; sinceMs: number };
  instance?: string;
}

/** Everything `kubectl tikv status` shows, also its `-o json|yaml` document. */
export interface StatusReport {
  cluster: { topology: string; namespace: string; name: string; description: string };
  pd: {
    version?: string;
    leader?: string;
    members: { name: string; healthy?: boolean; version: string; clientUrls: string[] }[];
    maxReplicas?: number;
    error?: string;
  };
  stores: StatusStore[];
  evictions: (Eviction & { podName?: string })[];
  regionHealth: { downPeer: number; missPeer: number; pendingPeer: number; offlinePeer: number };
  /** Pods whose store kubectl-tikv cannot tell (the topology and PD disagree). */
  conflicts: { podName: string; reason: string }[];
  warnings: string[];
  /** tidb-operator v1's TiKV phase, when the topology has one. */
  operatorPhase?: string;
  readAt: string;
}

/** Reads cluster, PD and TiKV state in parallel into one report. Reads only. */
export async function readStatus(session: ClusterSession, options: { signal?: AbortSignal; tikvMetrics?: boolean; concurrency?: number } = {}): Promise<StatusReport> {
  const { signal } = options;
  const { pd, cluster } = session;
  const warnings: string[] = [];
  const soft = <T>(promise: Promise<T>, what: string): Promise<T | undefined> =>
    promise.catch((error: unknown) => {
      if (signal?.aborted) throw error;
      warnings.push(`could not read ${what}: ${describeError(error)}`);
      return undefined;
    });
  const [snapshot, version, members, health, replication, downPeer, missPeer, pendingPeer, offlinePeer, evictState] = await Promise.all([
    readClusterSnapshot(session, signal),
    soft(pd.version({ signal }), 'PD version'),
    soft(pd.members({ signal }), 'PD members'),
    soft(pd.health({ signal }), 'PD health'),
    soft(pd.replicationConfig({ signal }), 'PD replication config'),
    soft(pd.regionCheck('down-peer', { signal }), 'down-peer regions'),
    soft(pd.regionCheck('miss-peer', { signal }), 'miss-peer regions'),
    soft(pd.regionCheck('pending-peer', { signal }), 'pending-peer regions'),
    soft(pd.regionCheck('offline-peer', { signal }), 'offline-peer regions'),
    soft(pd.evictLeaderState({ signal }), 'evict-leader schedulers'),
  ]);
  const { records, unreadable } = await readStepRecords(session.kube, cluster, snapshot.mapping.members, signal);
  for (const key of unreadable) warnings.push(`unreadable kubectl-tikv step record ${key}`);
  const evictions = evictState ? classifyEvictions(evictState, records, cluster, snapshot) : [];
  const healthByName = new Map((health ?? []).map((m) => [m.name, m.healthy]));

  const stores: StatusStore[] = snapshot.mapping.members.map((member) => {
    const row: StatusStore = { podName: member.podName, instance: member.instance?.name };
    if (member.pod) {
      row.podReady = member.pod.ready;
      row.podPhase = member.pod.phase;
      row.podTerminating = member.pod.terminating;
      row.restarts = member.pod.restarts;
      row.image = member.pod.image;
    }
    if (member.store) Object.assign(row, storeColumns(member.store));
    return row;
  });
  for (const store of snapshot.mapping.orphanStores) stores.push(storeColumns(store));
  for (const row of stores) {
    const eviction = evictions.find((e) => e.storeId === row.storeId);
    if (eviction) row.eviction = eviction.owner;
    const record = records.find((r) => r.storeId === row.storeId);
    if (record) row.step = { phase: record.phase, command: record.command, holder: record.holder, sinceMs: record.phaseSinceMs };
  }
  if (options.tikvMetrics !== false) await readTikvLeaders(session, stores, options.concurrency ?? 16, signal);

  const podOfStore = new Map(stores.flatMap((s) => (s.storeId !== undefined && s.podName ? [[s.storeId, s.podName] as const] : [])));
  return {
    cluster: { topology: cluster.ref.topology, namespace: cluster.ref.namespace, name: cluster.ref.name, description: cluster.description },
    pd: {
      version,
      leader: members?.leader?.name,
      members: (members?.members ?? health ?? []).map((m: PdMember) => ({ name: m.name, healthy: healthByName.get(m.name) ?? m.healthy, version: m.binaryVersion, clientUrls: m.clientUrls })),
      maxReplicas: replication?.maxReplicas,
      error: members === undefined && version === undefined ? warnings.find((w) => w.includes('PD')) : undefined,
    },
    stores,
    evictions: evictions.map((e) => ({ ...e, podName: podOfStore.get(e.storeId) })),
    regionHealth: { downPeer: downPeer?.count ?? 0, missPeer: missPeer?.count ?? 0, pendingPeer: pendingPeer?.count ?? 0, offlinePeer: offlinePeer?.count ?? 0 },
    conflicts: snapshot.mapping.conflicts,
    warnings,
    operatorPhase: snapshot.v1?.phase,
    readAt: new Date().toISOString(),
  };
}

function storeColumns(store: Store): StatusStore {
  return {
    storeId: store.storeId,
    state: store.stateName,
    nodeState: store.nodeState,
    version: store.version,
    address: store.address,
    leadersPd: store.leaderCount,
    regions: store.regionCount,
    startTime: store.startTimestampSec > 0 ? new Date(store.startTimestampSec * 1000).toISOString() : undefined,
    uptime: store.uptime,
  };
}

/** Reads each running pod's own leader count, a few at a time (one port-forward each). */
async function readTikvLeaders(session: ClusterSession, stores: StatusStore[], concurrency: number, signal?: AbortSignal): Promise<void> {
  const queue = stores.filter((s) => s.podName && s.podPhase === 'Running' && s.storeId !== undefined);
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      row.leadersTikv = await session.tikv.leaderCount(row.podName!, { signal }).catch((error: unknown) => {
        if (signal?.aborted) throw error;
        return null;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
}
