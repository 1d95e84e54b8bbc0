/**
 * tidb-operator v1 (release-1.6) as far as TiKV maintenance sees it: the TidbCluster CRD, PD and TiKV
 * StatefulSets and services, `status.pd` / `status.tikv` kept from PD, the pod label `tidb.pingcap.com/store-id`,
 * its own partition-based TiKV rolling upgrade with leader eviction, and the `tidb.pingcap.com/evict-leader` pod
 * annotation (seed 001). Behaviour follows pkg/manager/member/tikv_upgrader.go, tikv_member_manager.go and
 * pkg/controller/tidbcluster/pod_control.go; every delay is the operator's real default scaled by the SimClock.
 *
 * Known simplifications: PD is upgraded by the StatefulSet's own RollingUpdate (no PD leader transfer); no TiKV
 * failover; no TiDB/TiFlash components.
 */
import type { KindRef, KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ObjectStore } from '../kube/object-store.ts';
import { StatusError } from '../kube/object-store.ts';
import { crdObject, TIDB_CLUSTER_CRD } from './crds.ts';
import { findCondition, rfc3339, setCondition, type Condition } from './conditions.ts';
import { parseGoDurationMs } from './go-duration.ts';
import { OperatorPdClient, type OperatorEndpoint, type PdStoreView } from './operator-pd-client.ts';
import { isPodReady, isTerminating, podReadySinceMs } from './pod-state.ts';
import { ReconcileQueue, type ReconcileResult } from './reconcile-queue.ts';
import { originOf, serviceAddress, type PodPortResolver } from './service-routing.ts';
import { tlsFromSecret } from './client-tls.ts';
import { deepEqual } from '../kube/patch.ts';

export const TIDB_CLUSTER: KindRef = { apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster' };
const STATEFUL_SET: KindRef = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const POD: KindRef = { apiVersion: 'v1', kind: 'Pod' };

/** Pod annotation that asks the operator for a graceful restart (seed 001): `delete-pod` or `none`. */
export const EVICT_LEADER_ANNOTATION = 'tidb.pingcap.com/evict-leader';
/** Optional RFC 3339 expiry of that request. */
export const EVICT_LEADER_EXPIRATION_ANNOTATION = 'tidb.pingcap.com/tikv-evict-leader-expiration-time';
/** The upgrader's record of when it began evicting a pod's store (RFC 3339). */
export const EVICT_LEADER_BEGIN_TIME_ANNOTATION = 'evictLeaderBeginTime';
/** The upgrader's record of when it ended the eviction after the pod was upgraded. */
export const EVICT_LEADER_END_AT_ANNOTATION = 'tidb.pingcap.com/tikv-evict-leader-end-at';
const MIN_READY_SECONDS_ANNOTATION = 'tidb.pingcap.com/tikv-min-ready-seconds';
const STORE_STATE_CHECK_ANNOTATION = 'tidb.pingcap.com/tikv-check-all-stores-up-before-upgrade';
const LAST_APPLIED_ANNOTATION = 'pingcap.com/last-applied-configuration';
const STORE_ID_LABEL = 'tidb.pingcap.com/store-id';
const CLUSTER_ID_LABEL = 'tidb.pingcap.com/cluster-id';
const MEMBER_ID_LABEL = 'tidb.pingcap.com/member-id';
const REVISION_LABEL = 'controller-revision-hash';

/** tidb-operator's defaults (pkg/apis/pingcap/v1alpha1/tidbcluster.go, pod_control.go), real-world ms. */
export const V1_DEFAULTS = {
  resyncMs: 30_000,
  evictLeaderTimeoutMs: 1500 * 60_000,
  waitLeaderTransferBackTimeoutMs: 400_000,
  retryEvictLeaderIntervalMs: 10 * 60_000,
  recheckLeaderCountMs: 15_000,
  recheckClusterStableMs: 60_000,
} as const;

/** The parts of a TidbCluster spec the simulated operator reads. */
export interface TidbClusterSpec {
  version?: string;
  paused?: boolean;
  clusterDomain?: string;
  tlsCluster?: { enabled?: boolean };
  pd?: { baseImage?: string; version?: string; replicas?: number; requests?: { storage?: string } };
  tikv?: {
    baseImage?: string;
    version?: string;
    replicas?: number;
    requests?: { storage?: string };
    evictLeaderTimeout?: string;
    waitLeaderTransferBackTimeout?: string;
    statefulSetUpdateStrategy?: 'RollingUpdate' | 'OnDelete';
    terminationGracePeriodSeconds?: number;
  };
}

/** `status.tikv.stores[<id>]`. */
export interface TikvStoreStatus {
  id: string;
  podName: string;
  ip: string;
  leaderCount: number;
  state: string;
  lastTransitionTime?: string;
  leaderCountBeforeUpgrade?: number;
}

interface StatefulSetStatusView {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
}

interface PdMemberStatus {
  name: string;
  id: string;
  clientURL: string;
  health: boolean;
  lastTransitionTime?: string;
}

/** `status` of a TidbCluster as the simulated operator writes it. */
export interface TidbClusterStatus {
  clusterID?: string;
  pd?: {
    synced: boolean;
    phase?: string;
    statefulSet?: StatefulSetStatusView;
    members?: Record<string, PdMemberStatus>;
    peerMembers?: Record<string, PdMemberStatus>;
    leader?: PdMemberStatus;
    image?: string;
  };
  tikv?: {
    synced?: boolean;
    phase?: string;
    bootStrapped?: boolean;
    statefulSet?: StatefulSetStatusView;
    stores?: Record<string, TikvStoreStatus>;
    peerStores?: Record<string, TikvStoreStatus>;
    tombstoneStores?: Record<string, TikvStoreStatus>;
    image?: string;
    evictLeader?: Record<string, { podCreateTime?: string; beginTime?: string; value?: string }>;
  };
  conditions?: Condition[];
}

type TidbCluster = KubeObject & { spec: TidbClusterSpec; status?: TidbClusterStatus };
type StatefulSet = KubeObject & {
  spec: {
    replicas: number;
    template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    [field: string]: unknown;
  };
  status?: StatefulSetStatusView;
};

/** Where the simulated operator runs: the cluster's objects, time, record, and the pod network. */
export interface OperatorOptions {
  store: ObjectStore;
  clock: SimClock;
  history: History;
  resolvePodPort: PodPortResolver;
  /** Reconcile only this namespace (default: every namespace). */
  namespace?: string;
}

/** Thrown (and caught) to requeue with backoff, like tidb-operator's RequeueError. */
class RequeueError extends Error {}

interface SyncContext {
  tc: TidbCluster;
  namespace: string;
  name: string;
  spec: TidbClusterSpec;
  status: TidbClusterStatus;
  pd: OperatorPdClient;
  tls: boolean;
}

/** The simulated tidb-operator v1 controller manager (TidbCluster controller and TiKV pod controller). */
export class TidbOperatorV1 {
  static readonly source = 'tidb-operator-v1';
  readonly #store: ObjectStore;
  readonly #clock: SimClock;
  readonly #history: History;
  readonly #resolve: PodPortResolver;
  readonly #namespace: string | undefined;
  readonly #clusters: ReconcileQueue;
  readonly #pods: ReconcileQueue;
  readonly #pdClients = new Map<string, OperatorPdClient>();
  /** The last requeue reason per TidbCluster, so History records each wait once rather than every retry. */
  readonly #waiting = new Map<string, string>();
  readonly #stops: (() => void)[] = [];
  #started = false;
  #stopping = false;

  constructor(options: OperatorOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#history = options.history;
    this.#resolve = options.resolvePodPort;
    this.#namespace = options.namespace;
    this.#clusters = new ReconcileQueue({
      name: TidbOperatorV1.source,
      clock: this.#clock,
      history: this.#history,
      reconcile: (key) => this.#reconcileCluster(key),
      backoff: { baseDelayMs: 1000, maxDelayMs: 100_000 },
    });
    this.#pods = new ReconcileQueue({
      name: TidbOperatorV1.source,
      clock: this.#clock,
      history: this.#history,
      reconcile: (key) => this.#reconcilePod(key),
      backoff: { baseDelayMs: 1000, maxDelayMs: 100_000 },
    });
  }

  /** Installs the CRD when missing and starts watching (TidbClusters, their StatefulSets and pods). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    installCrd(this.#store, crdObject(TIDB_CLUSTER_CRD));
    const ns = this.#namespace;
    this.#stops.push(
      this.#store.watch(TIDB_CLUSTER, { namespace: ns }, (event) => {
        this.#clusters.add(keyOf(event.object));
      }),
      this.#store.watch(STATEFUL_SET, { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=tidb-operator' }, (event) => {
        const instance = event.object.metadata.labels?.['app.kubernetes.io/instance'];
        if (instance) this.#clusters.add(`${event.object.metadata.namespace}/${instance}`);
      }),
      this.#store.watch(POD, { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=tidb-operator' }, (event) => {
        const labels = event.object.metadata.labels ?? {};
        const instance = labels['app.kubernetes.io/instance'];
        if (!instance) return;
        this.#clusters.add(`${event.object.metadata.namespace}/${instance}`);
        if (labels['app.kubernetes.io/component'] === 'tikv' && event.type !== 'DELETED') this.#pods.add(keyOf(event.object));
      }),
      this.#clock.every(V1_DEFAULTS.resyncMs, () => this.#resync()),
    );
    this.#resync();
  }

  /** Stops watching and reconciling, and closes PD connections. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const stop of this.#stops.splice(0)) stop();
    const queues = Promise.all([this.#clusters.stop(), this.#pods.stop()]);
    await Promise.all([...this.#pdClients.values()].map((client) => client.close()));
    this.#pdClients.clear();
    await queues;
  }

  /** Reconciles a TidbCluster now (tests use it to avoid waiting for the resync). */
  enqueue(namespace: string, name: string): void {
    this.#clusters.add(`${namespace}/${name}`);
  }

  #resync(): void {
    for (const tc of this.#store.list(TIDB_CLUSTER, { namespace: this.#namespace }).items) this.#clusters.add(keyOf(tc));
    const pods = this.#store.list(POD, { namespace: this.#namespace, labelSelector: 'app.kubernetes.io/managed-by=tidb-operator,app.kubernetes.io/component=tikv' });
    for (const pod of pods.items) this.#pods.add(keyOf(pod));
  }

  #record(type: string, data: Record<string, unknown>): void {
    this.#history.record(TidbOperatorV1.source, type, data);
  }

  #pdClient(namespace: string, name: string): OperatorPdClient {
    if (this.#stopping) throw new Error('the operator is stopping');
    const key = `${namespace}/${name}`;
    let client = this.#pdClients.get(key);
    if (!client) {
      client = new OperatorPdClient(async () => this.#pdEndpoint(namespace, name));
      this.#pdClients.set(key, client);
    }
    return client;
  }

  /** `<tc>-pd:2379` as seen from the operator's pod, with the cluster client certificate when TLS is on. */
  #pdEndpoint(namespace: string, name: string): OperatorEndpoint {
    const tc = this.#store.get<TidbCluster>(TIDB_CLUSTER, namespace, name);
    const tls = tc?.spec.tlsCluster?.enabled === true;
    const address = serviceAddress(this.#store, this.#resolve, namespace, `${name}-pd`, 2379);
    if (!address) throw new Error(`dial tcp: lookup ${name}-pd.${namespace}: no ready endpoints for service ${name}-pd`);
    return {
      origin: originOf(address, tls),
      tls: tls ? tlsFromSecret(this.#store, namespace, `${name}-cluster-client-secret`) : undefined,
    };
  }

  #tikvEndpoint(ctx: SyncContext, podName: string): OperatorEndpoint {
    const address = this.#resolve(ctx.namespace, podName, 20180);
    if (!address) throw new Error(`dial tcp ${podName}.${ctx.name}-tikv-peer.${ctx.namespace}:20180: connection refused`);
    return {
      origin: originOf(address, ctx.tls),
      tls: ctx.tls ? tlsFromSecret(this.#store, ctx.namespace, `${ctx.name}-cluster-client-secret`) : undefined,
    };
  }

  // ——— TidbCluster controller ———

  async #reconcileCluster(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/');
    const tc = this.#store.get<TidbCluster>(TIDB_CLUSTER, namespace, name);
    if (!tc || isTerminating(tc)) return;
    const ctx: SyncContext = {
      tc,
      namespace,
      name,
      spec: tc.spec ?? {},
      status: structuredClone(tc.status ?? {}),
      pd: this.#pdClient(namespace, name),
      tls: tc.spec?.tlsCluster?.enabled === true,
    };
    const errors: Error[] = [];
    let requeue: string | undefined;
    try {
      this.#ensureServices(ctx);
      await this.#syncPd(ctx);
      await this.#syncTikv(ctx);
      this.#syncPodMeta(ctx);
    } catch (error) {
      if (error instanceof RequeueError) requeue = error.message;
      else errors.push(error as Error);
    }
    this.#updateReadyCondition(ctx);
    this.#writeStatus(ctx);
    if (errors.length > 0) throw errors[0];
    if (requeue !== undefined) {
      if (this.#waiting.get(key) !== requeue) this.#record('requeue', { namespace, tidbCluster: name, reason: requeue });
      this.#waiting.set(key, requeue);
      return { requeue: true };
    }
    this.#waiting.delete(key);
  }

  #ensureServices(ctx: SyncContext): void {
    const { name } = ctx;
    const pdLabels = componentLabels(name, 'pd');
    const tikvLabels = componentLabels(name, 'tikv');
    this.#ensure(ctx, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-pd`, namespace: ctx.namespace, labels: { ...pdLabels, 'app.kubernetes.io/used-by': 'end-user' }, ownerReferences: [ownerRef(ctx.tc)] },
      spec: { type: 'ClusterIP', selector: pdLabels, ports: [{ name: 'client', port: 2379, protocol: 'TCP', targetPort: 2379 }] },
    });
    this.#ensure(ctx, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-pd-peer`, namespace: ctx.namespace, labels: { ...pdLabels, 'app.kubernetes.io/used-by': 'peer' }, ownerReferences: [ownerRef(ctx.tc)] },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: pdLabels,
        ports: [
          { name: 'tcp-peer-2380', port: 2380, protocol: 'TCP', targetPort: 2380 },
          { name: 'tcp-peer-2379', port: 2379, protocol: 'TCP', targetPort: 2379 },
        ],
      },
    });
    this.#ensure(ctx, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-tikv-peer`, namespace: ctx.namespace, labels: { ...tikvLabels, 'app.kubernetes.io/used-by': 'peer' }, ownerReferences: [ownerRef(ctx.tc)] },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: tikvLabels,
        ports: [{ name: 'peer', port: 20160, protocol: 'TCP', targetPort: 20160 }],
      },
    });
  }

  #ensure(ctx: SyncContext, object: KubeObject): void {
    if (this.#store.get(object, ctx.namespace, object.metadata.name)) return;
    try {
      this.#store.create(object);
      this.#record('object-created', { namespace: ctx.namespace, kind: object.kind, name: object.metadata.name });
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 409)) throw error;
    }
  }

  // ——— PD ———

  async #syncPd(ctx: SyncContext): Promise<void> {
    const setName = `${ctx.name}-pd`;
    const desired = pdStatefulSet(ctx.tc);
    let set = this.#store.get<StatefulSet>(STATEFUL_SET, ctx.namespace, setName);
    if (!set) {
      if (ctx.spec.paused) return;
      withLastApplied(desired);
      set = this.#store.create(desired);
      this.#record('statefulset-created', { namespace: ctx.namespace, statefulSet: setName });
    } else if (!ctx.spec.paused && (!templateEqual(desired, set) || set.spec.replicas !== desired.spec.replicas)) {
      const next = structuredClone(set);
      next.spec.template = desired.spec.template;
      next.spec.replicas = desired.spec.replicas;
      next.spec.updateStrategy = desired.spec.updateStrategy;
      withLastApplied(next);
      set = this.#store.update(next);
      this.#record('statefulset-updated', { namespace: ctx.namespace, statefulSet: setName, image: containerImage(next, 'pd') });
    }
    const pd = (ctx.status.pd ??= { synced: false });
    pd.statefulSet = statefulSetStatus(set);
    pd.image = containerImage(set, 'pd');
    pd.phase = set.spec.replicas !== (ctx.spec.pd?.replicas ?? 1) ? 'Scale' : statefulSetIsUpgrading(set) ? 'Upgrade' : 'Normal';
    try {
      const [members, health] = await Promise.all([ctx.pd.members(), ctx.pd.health()]);
      const healthy = new Map(health.map((m) => [m.name, m.health === true]));
      const previous = pd.members ?? {};
      const next: Record<string, PdMemberStatus> = {};
      for (const member of members.members) {
        const status: PdMemberStatus = {
          name: member.name,
          id: member.memberId,
          clientURL: member.clientUrls[0] ?? '',
          health: healthy.get(member.name) ?? false,
          lastTransitionTime: rfc3339(this.#clock.now()),
        };
        const before = previous[member.name];
        if (before && before.health === status.health && before.lastTransitionTime) status.lastTransitionTime = before.lastTransitionTime;
        next[member.name] = status;
      }
      pd.members = next;
      pd.leader = members.leader ? next[members.leader.name] : undefined;
      if (members.clusterId) ctx.status.clusterID = members.clusterId;
      pd.synced = true;
    } catch (error) {
      pd.synced = false;
      throw error;
    }
  }

  // ——— TiKV ———

  async #syncTikv(ctx: SyncContext): Promise<void> {
    const setName = `${ctx.name}-tikv`;
    const oldSet = this.#store.get<StatefulSet>(STATEFUL_SET, ctx.namespace, setName);
    const tikv = (ctx.status.tikv ??= {});
    if (oldSet) await this.#syncTikvStatus(ctx, oldSet);
    if (ctx.spec.paused) return;
    const newSet = tikvStatefulSet(ctx.tc);
    if (!oldSet) {
      withLastApplied(newSet);
      this.#store.create(newSet);
      tikv.statefulSet = {};
      this.#record('statefulset-created', { namespace: ctx.namespace, statefulSet: setName });
      return;
    }
    // Scaling out needs nothing more than the new replicas (the StatefulSet controller adds the highest ordinals);
    // scaling in takes the highest ordinal's store offline first and shrinks the set once it is Tombstone.
    if (newSet.spec.replicas < oldSet.spec.replicas) newSet.spec.replicas = await this.#scaleInOne(ctx, oldSet);
    let requeue: RequeueError | undefined;
    if (!templateEqual(newSet, oldSet) || tikv.phase === 'Upgrade') {
      try {
        await this.#upgrade(ctx, oldSet, newSet);
      } catch (error) {
        if (!(error instanceof RequeueError)) throw error;
        requeue = error;
      }
    }
    this.#updateStatefulSet(ctx, oldSet, newSet);
    if (requeue) throw requeue;
  }

  /** tikvScaler.ScaleIn for one ordinal: the replicas the StatefulSet may have now. */
  async #scaleInOne(ctx: SyncContext, set: StatefulSet): Promise<number> {
    const ordinal = set.spec.replicas - 1;
    const podName = `${ctx.name}-tikv-${ordinal}`;
    const tikv = ctx.status.tikv ?? {};
    if (!tikv.synced) throw new Error(`tidbcluster: [${ctx.namespace}/${ctx.name}]'s tikv status sync failed, can't scale in now`);
    const store = storeOfPod(tikv.stores ?? {}, podName);
    if (!store) {
      this.#record('scale-in', { namespace: ctx.namespace, tidbCluster: ctx.name, pod: podName, replicas: ordinal });
      return ordinal;
    }
    if (store.state !== 'Offline') {
      await ctx.pd.deleteStore(Number(store.id));
      this.#record('store-deleted', { namespace: ctx.namespace, tidbCluster: ctx.name, pod: podName, storeId: Number(store.id) });
    }
    // The set shrinks on a later sync, once the store shows up among the Tombstones.
    throw new RequeueError(`TiKV ${ctx.namespace}/${podName} store ${store.id} is still ${store.state === 'Offline' ? 'Offline' : 'being deleted'}`);
  }

  async #syncTikvStatus(ctx: SyncContext, set: StatefulSet): Promise<void> {
    const tikv = ctx.status.tikv!;
    tikv.statefulSet = statefulSetStatus(set);
    const upgrading = this.#tikvIsUpgrading(ctx, set);
    // When the upgrade is over, end the last store's eviction and every eviction of the cluster's stores.
    if (!upgrading && tikv.phase === 'Upgrade') {
      await this.#endEvictLeaderOfOrdinal(ctx, 0);
      await this.#endEvictLeaderForAllStores(ctx);
      this.#record('upgrade-finished', { namespace: ctx.namespace, tidbCluster: ctx.name, image: containerImage(set, 'tikv') });
    }
    const desiredReplicas = ctx.spec.tikv?.replicas ?? 1;
    if (desiredReplicas !== set.spec.replicas) tikv.phase = 'Scale';
    else if (upgrading && ctx.status.pd?.phase !== 'Upgrade') tikv.phase = 'Upgrade';
    else tikv.phase = 'Normal';

    let stores: PdStoreView[];
    let tombstones: PdStoreView[];
    try {
      stores = await ctx.pd.stores();
      tombstones = await ctx.pd.stores({ tombstone: true });
    } catch (error) {
      if (/not bootstrapped/.test((error as Error).message)) {
        tikv.synced = true;
        tikv.bootStrapped = false;
        return;
      }
      tikv.synced = false;
      throw error;
    }
    const pattern = storeAddressPattern(ctx.name, ctx.namespace, ctx.spec.clusterDomain);
    const previous = { ...(tikv.peerStores ?? {}), ...(tikv.stores ?? {}) };
    const next: Record<string, TikvStoreStatus> = {};
    for (const store of stores) {
      if (!pattern.test(store.address)) continue;
      const status = storeStatus(store, this.#clock.now());
      const before = previous[status.id];
      if (before && before.state === status.state && before.lastTransitionTime) status.lastTransitionTime = before.lastTransitionTime;
      if (before?.leaderCountBeforeUpgrade !== undefined) status.leaderCountBeforeUpgrade = before.leaderCountBeforeUpgrade;
      next[status.id] = status;
    }
    const previousTombstones = tikv.tombstoneStores ?? {};
    const nextTombstones: Record<string, TikvStoreStatus> = {};
    for (const store of tombstones) {
      if (!pattern.test(store.address)) continue;
      const status = storeStatus(store, this.#clock.now());
      const before = previousTombstones[status.id];
      if (before && before.state === status.state && before.lastTransitionTime) status.lastTransitionTime = before.lastTransitionTime;
      nextTombstones[status.id] = status;
    }
    tikv.synced = true;
    tikv.stores = next;
    tikv.peerStores = {};
    tikv.tombstoneStores = nextTombstones;
    tikv.bootStrapped = true;
    tikv.image = containerImage(set, 'tikv');
  }

  /** The StatefulSet is mid-rollout, or a pod is not at its update revision (tikvStatefulSetIsUpgrading). */
  #tikvIsUpgrading(ctx: SyncContext, set: StatefulSet): boolean {
    if (statefulSetIsUpgrading(set)) return true;
    const updateRevision = set.status?.updateRevision ?? '';
    for (const pod of this.#tikvPods(ctx)) {
      const revision = pod.metadata.labels?.[REVISION_LABEL];
      if (revision === undefined) return false;
      if (updateRevision !== '' && revision !== updateRevision) return true;
    }
    return false;
  }

  #tikvPods(ctx: SyncContext): KubeObject[] {
    return this.#store.list(POD, {
      namespace: ctx.namespace,
      labelSelector: `app.kubernetes.io/instance=${ctx.name},app.kubernetes.io/component=tikv,app.kubernetes.io/managed-by=tidb-operator`,
    }).items;
  }

  /** tikvUpgrader.Upgrade: highest ordinal first, one pod at a time through the partition. */
  async #upgrade(ctx: SyncContext, oldSet: StatefulSet, newSet: StatefulSet): Promise<void> {
    const tikv = ctx.status.tikv!;
    const pdPhase = ctx.status.pd?.phase;
    if (pdPhase === 'Upgrade' || pdPhase === 'Scale' || tikv.phase === 'Scale') {
      // isTiKVReadyToUpgrade: keep the old template until PD / scaling is done.
      newSet.spec.template = structuredClone(lastAppliedTemplate(oldSet) ?? oldSet.spec.template);
      return;
    }
    if (oldSet.spec.replicas < 2 && Object.keys(tikv.peerStores ?? {}).length === 0) {
      // A single TiKV: upgraded without eviction.
      tikv.phase = 'Upgrade';
      setPartition(newSet, 0);
      return;
    }
    if (!tikv.synced) throw new Error(`cluster: [${ctx.namespace}/${ctx.name}]'s tikv status sync failed, can not to be upgraded`);
    tikv.phase = 'Upgrade';
    if (!templateEqual(newSet, oldSet)) return;
    if (oldSet.spec.updateStrategy?.type === 'OnDelete' || oldSet.spec.updateStrategy?.rollingUpdate === undefined) {
      // The StatefulSet was switched to OnDelete: the operator steps aside and lets whoever deletes pods upgrade them.
      newSet.spec.updateStrategy = structuredClone(oldSet.spec.updateStrategy);
      return;
    }
    setPartition(newSet, oldSet.spec.updateStrategy.rollingUpdate.partition ?? 0);
    const updateRevision = tikv.statefulSet?.updateRevision ?? '';
    for (let ordinal = oldSet.spec.replicas - 1; ordinal >= 0; ordinal--) {
      const podName = `${ctx.name}-tikv-${ordinal}`;
      const store = storeOfPod(tikv.stores ?? {}, podName);
      if (!store) {
        setPartition(newSet, ordinal);
        continue;
      }
      const pod = this.#store.get(POD, ctx.namespace, podName);
      if (!pod) throw new Error(`tikvUpgrader.Upgrade: failed to get pods ${podName} for cluster ${ctx.namespace}/${ctx.name}, error: pods "${podName}" not found`);
      const revision = pod.metadata.labels?.[REVISION_LABEL];
      if (revision === undefined) throw new RequeueError(`tidbcluster: [${ctx.namespace}/${ctx.name}]'s tikv pod: [${podName}] has no label: ${REVISION_LABEL}`);
      if (revision === updateRevision) {
        if (!this.#podAvailable(ctx, pod)) throw new RequeueError(`tidbcluster: [${ctx.namespace}/${ctx.name}]'s upgraded tikv pod: [${podName}] is not ready`);
        if (store.state !== 'Up') throw new RequeueError(`tidbcluster: [${ctx.namespace}/${ctx.name}]'s upgraded tikv pod: [${podName}] is not all ready`);
        if (!(await this.#endEvictLeaderAfterUpgrade(ctx, store, pod))) {
          throw new RequeueError(`waiting to end evict leader of pod ${podName} for tc ${ctx.namespace}/${ctx.name}`);
        }
        continue;
      }
      if (ctx.tc.metadata.annotations?.[STORE_STATE_CHECK_ANNOTATION] === 'true') {
        const unstable = unstableReason(tikv.stores ?? {});
        if (unstable) throw new RequeueError(`cluster is unstable: ${unstable}`);
      }
      const evicted = await this.#evictLeaderBeforeUpgrade(ctx, store, pod);
      if (!evicted) throw new RequeueError(`upgradeTiKVPod: evicting leader of pod ${podName} for tc ${ctx.namespace}/${ctx.name}`);
      if ((oldSet.spec.updateStrategy.rollingUpdate.partition ?? 0) > ordinal) {
        this.#record('upgrade-pod', { namespace: ctx.namespace, tidbCluster: ctx.name, pod: podName, storeId: Number(store.id), partition: ordinal, evicted });
      }
      setPartition(newSet, ordinal);
      return;
    }
  }

  /** `true` when the pod may go: leaders 0 by its own /metrics, or the eviction timed out (`'timeout'`). */
  async #evictLeaderBeforeUpgrade(ctx: SyncContext, store: TikvStoreStatus, pod: KubeObject): Promise<boolean | 'timeout'> {
    const storeId = Number(store.id);
    const beginText = pod.metadata.annotations?.[EVICT_LEADER_BEGIN_TIME_ANNOTATION];
    if (beginText === undefined) {
      await this.#beginEvictLeader(ctx, store, pod);
      return false;
    }
    if (store.leaderCountBeforeUpgrade === undefined) store.leaderCountBeforeUpgrade = store.leaderCount;
    const beginMs = Date.parse(beginText);
    if (!Number.isFinite(beginMs)) return false;
    const now = this.#clock.now();
    const timeoutMs = durationSpec(ctx.spec.tikv?.evictLeaderTimeout, V1_DEFAULTS.evictLeaderTimeoutMs);
    if (now > beginMs + this.#clock.scaled(timeoutMs)) return 'timeout';
    if (now > beginMs + this.#clock.scaled(V1_DEFAULTS.retryEvictLeaderIntervalMs)) {
      // The scheduler may have vanished (removed by hand, PD leader change): add it again.
      const evicting = await ctx.pd.evictingStoreIds();
      if (!evicting.includes(storeId)) {
        this.#record('evict-leader-retried', { namespace: ctx.namespace, pod: pod.metadata.name, storeId });
        await this.#beginEvictLeader(ctx, store, pod);
      }
    }
    let leaderCount: number;
    try {
      leaderCount = await ctx.pd.tikvLeaderCount(this.#tikvEndpoint(ctx, pod.metadata.name));
    } catch (error) {
      this.#record('leader-count-failed', { namespace: ctx.namespace, pod: pod.metadata.name, message: (error as Error).message });
      return false;
    }
    return leaderCount === 0;
  }

  async #beginEvictLeader(ctx: SyncContext, store: TikvStoreStatus, pod: KubeObject): Promise<void> {
    store.leaderCountBeforeUpgrade = store.leaderCount;
    await ctx.pd.beginEvictLeader(Number(store.id));
    this.#record('evict-leader-begin', { namespace: ctx.namespace, pod: pod.metadata.name, storeId: Number(store.id), leaderCount: store.leaderCount });
    this.#store.mutate(POD, ctx.namespace, pod.metadata.name, (p) => {
      p.metadata.annotations = { ...(p.metadata.annotations ?? {}), [EVICT_LEADER_BEGIN_TIME_ANNOTATION]: rfc3339(this.#clock.now()) };
    });
  }

  /** Removes the store's scheduler once its pod is upgraded, then waits for ≥ 2/3 of its leaders (if it had ≥ 200). */
  async #endEvictLeaderAfterUpgrade(ctx: SyncContext, store: TikvStoreStatus, pod: KubeObject): Promise<boolean> {
    const storeId = Number(store.id);
    const result = await ctx.pd.endEvictLeader(storeId);
    if (result === 'removed') this.#record('evict-leader-end', { namespace: ctx.namespace, pod: pod.metadata.name, storeId });
    let endText = pod.metadata.annotations?.[EVICT_LEADER_END_AT_ANNOTATION];
    if (endText === undefined) {
      endText = rfc3339(this.#clock.now());
      const stamp = endText;
      this.#store.mutate(POD, ctx.namespace, pod.metadata.name, (p) => {
        p.metadata.annotations = { ...(p.metadata.annotations ?? {}), [EVICT_LEADER_END_AT_ANNOTATION]: stamp };
      });
    }
    const before = store.leaderCountBeforeUpgrade;
    if (before === undefined) return true;
    let done: boolean;
    if (before < 200) done = true;
    else {
      const endMs = Date.parse(endText);
      const timeoutMs = durationSpec(ctx.spec.tikv?.waitLeaderTransferBackTimeout, V1_DEFAULTS.waitLeaderTransferBackTimeoutMs);
      if (!Number.isFinite(endMs) || this.#clock.now() > endMs + this.#clock.scaled(timeoutMs)) done = true;
      else done = store.leaderCount >= Math.floor((before * 2) / 3);
    }
    if (done) {
      delete store.leaderCountBeforeUpgrade;
      this.#record('leaders-returned', { namespace: ctx.namespace, pod: pod.metadata.name, storeId, leaderCount: store.leaderCount, before });
    }
    return done;
  }

  async #endEvictLeaderOfOrdinal(ctx: SyncContext, ordinal: number): Promise<void> {
    const podName = `${ctx.name}-tikv-${ordinal}`;
    const pod = this.#store.get(POD, ctx.namespace, podName);
    if (!pod) throw new Error(`endEvictLeader: failed to get pods ${podName} for cluster ${ctx.namespace}/${ctx.name}`);
    if (!this.#podAvailable(ctx, pod)) throw new RequeueError(`tidbcluster: [${ctx.namespace}/${ctx.name}]'s upgraded tikv pod: [${podName}] is not ready`);
    const store = storeOfPod(ctx.status.tikv?.stores ?? {}, podName);
    if (!store) return;
    if ((await ctx.pd.endEvictLeader(Number(store.id))) === 'removed') {
      this.#record('evict-leader-end', { namespace: ctx.namespace, pod: podName, storeId: Number(store.id) });
    }
  }

  async #endEvictLeaderForAllStores(ctx: SyncContext): Promise<void> {
    const tikv = ctx.status.tikv ?? {};
    const ours = new Set([...Object.keys(tikv.stores ?? {}), ...Object.keys(tikv.tombstoneStores ?? {})].map(Number));
    const evicting = await ctx.pd.evictingStoreIds();
    for (const storeId of evicting) {
      if (!ours.has(storeId)) continue;
      if ((await ctx.pd.endEvictLeader(storeId)) === 'removed') {
        this.#record('evict-leader-end', { namespace: ctx.namespace, tidbCluster: ctx.name, storeId, reason: 'upgrade finished' });
      }
    }
  }

  #podAvailable(ctx: SyncContext, pod: KubeObject): boolean {
    const readySince = podReadySinceMs(pod);
    if (readySince === undefined) return false;
    const minReadySeconds = Number(ctx.tc.metadata.annotations?.[MIN_READY_SECONDS_ANNOTATION] ?? 0) || 0;
    return this.#clock.now() >= readySince + this.#clock.scaled(minReadySeconds * 1000);
  }

  /** UpdateStatefulSetWithPrecheck: writes replicas, template and strategy onto the latest object (retrying conflicts). */
  #updateStatefulSet(ctx: SyncContext, oldSet: StatefulSet, newSet: StatefulSet): void {
    const before = oldSet.metadata.resourceVersion;
    const updated = this.#store.mutate<StatefulSet>(STATEFUL_SET, ctx.namespace, oldSet.metadata.name, (set) => {
      set.spec.replicas = newSet.spec.replicas;
      set.spec.template = structuredClone(newSet.spec.template);
      set.spec.updateStrategy = structuredClone(newSet.spec.updateStrategy);
      withLastApplied(set);
    });
    if (!updated || deepEqual(updated.spec, oldSet.spec) || updated.metadata.resourceVersion === before) return;
    const partition = (set: StatefulSet) => set.spec.updateStrategy?.rollingUpdate?.partition;
    if (containerImage(updated, 'tikv') === containerImage(oldSet, 'tikv') && partition(updated) === partition(oldSet) && updated.spec.replicas === oldSet.spec.replicas) return;
    this.#record('statefulset-updated', {
      namespace: ctx.namespace,
      statefulSet: updated.metadata.name,
      image: containerImage(updated, 'tikv'),
      replicas: updated.spec.replicas,
      partition: partition(updated),
    });
  }

  /** The meta manager: cluster-id / member-id / store-id labels on the pods. */
  #syncPodMeta(ctx: SyncContext): void {
    const clusterId = ctx.status.clusterID;
    const stores = ctx.status.tikv?.stores ?? {};
    for (const pod of this.#tikvPods(ctx)) {
      const labels: Record<string, string> = {};
      if (clusterId) labels[CLUSTER_ID_LABEL] = clusterId;
      const store = storeOfPod(stores, pod.metadata.name);
      if (store) labels[STORE_ID_LABEL] = store.id;
      this.#labelPod(ctx, pod, labels);
    }
    const members = ctx.status.pd?.members ?? {};
    const pdPods = this.#store.list(POD, {
      namespace: ctx.namespace,
      labelSelector: `app.kubernetes.io/instance=${ctx.name},app.kubernetes.io/component=pd,app.kubernetes.io/managed-by=tidb-operator`,
    }).items;
    for (const pod of pdPods) {
      const labels: Record<string, string> = {};
      if (clusterId) labels[CLUSTER_ID_LABEL] = clusterId;
      const member = members[pod.metadata.name];
      if (member?.id) labels[MEMBER_ID_LABEL] = member.id;
      this.#labelPod(ctx, pod, labels);
    }
  }

  #labelPod(ctx: SyncContext, pod: KubeObject, labels: Record<string, string>): void {
    const current = pod.metadata.labels ?? {};
    if (Object.entries(labels).every(([k, v]) => current[k] === v) || isTerminating(pod)) return;
    this.#store.mutate(POD, ctx.namespace, pod.metadata.name, (p) => {
      p.metadata.labels = { ...(p.metadata.labels ?? {}), ...labels };
    });
  }

  #updateReadyCondition(ctx: SyncContext): void {
    const conditions = (ctx.status.conditions ??= []);
    const sets = [ctx.status.pd?.statefulSet, ctx.status.tikv?.statefulSet];
    const stsUpToDate = sets.every((s) => s !== undefined && s.currentRevision === s.updateRevision && (s.readyReplicas ?? 0) === (s.replicas ?? 0));
    const pdMembers = Object.values(ctx.status.pd?.members ?? {});
    const pdHealthy = ctx.status.pd?.synced === true && pdMembers.length > 0 && pdMembers.every((m) => m.health);
    const stores = Object.values(ctx.status.tikv?.stores ?? {});
    const storesUp = stores.length >= (ctx.spec.tikv?.replicas ?? 1) && stores.every((s) => s.state === 'Up');
    let status: 'True' | 'False' = 'False';
    let reason: string;
    let message: string;
    if (!stsUpToDate) [reason, message] = ['StatfulSetNotUpToDate', 'Statefulset(s) are in progress'];
    else if (!pdHealthy) [reason, message] = ['PDUnhealthy', 'PD(s) are not healthy'];
    else if (!storesUp) [reason, message] = ['TiKVStoreNotUp', 'TiKV store(s) are not up'];
    else [status, reason, message] = ['True', 'Ready', 'TiDB cluster is fully up and running'];
    const before = findCondition(conditions, 'Ready');
    setCondition(conditions, { type: 'Ready', status, reason, message }, before?.status === status ? before.lastTransitionTime : rfc3339(this.#clock.now()));
  }

  /** Writes what this sync computed; `evictLeader` belongs to the pod controller and is kept as stored. */
  #writeStatus(ctx: SyncContext): void {
    this.#store.mutate<TidbCluster>(TIDB_CLUSTER, ctx.namespace, ctx.name, (tc) => {
      const current = tc.status ?? {};
      const next = structuredClone(ctx.status);
      if (next.tikv) {
        if (current.tikv?.evictLeader) next.tikv.evictLeader = current.tikv.evictLeader;
        else delete next.tikv.evictLeader;
      }
      tc.status = next;
    });
  }

  // ——— TiKV pod controller: the `tidb.pingcap.com/evict-leader` annotation (seed 001) ———

  async #reconcilePod(key: string): Promise<ReconcileResult | void> {
    const [namespace, podName] = key.split('/');
    const pod = this.#store.get(POD, namespace, podName);
    if (!pod) return;
    const tcName = pod.metadata.labels?.['app.kubernetes.io/instance'];
    if (!tcName) return;
    const tc = this.#store.get<TidbCluster>(TIDB_CLUSTER, namespace, tcName);
    if (!tc || tc.spec?.paused) return;
    const annotations = pod.metadata.annotations ?? {};
    const value = annotations[EVICT_LEADER_ANNOTATION];
    const pd = this.#pdClient(namespace, tcName);
    const tls = tc.spec?.tlsCluster?.enabled === true;
    const storeId = Number(storeOfPod(tc.status?.tikv?.stores ?? {}, podName)?.id ?? NaN);

    if (value !== undefined) {
      if (value !== 'none' && value !== 'delete-pod') {
        this.#record('evict-leader-annotation-ignored', { namespace, pod: podName, value });
        return;
      }
      const expiry = annotations[EVICT_LEADER_EXPIRATION_ANNOTATION];
      if (expiry !== undefined && !(Date.parse(expiry) > this.#clock.now())) {
        this.#store.mutate(POD, namespace, podName, (p) => {
          const next = { ...(p.metadata.annotations ?? {}) };
          delete next[EVICT_LEADER_ANNOTATION];
          delete next[EVICT_LEADER_EXPIRATION_ANNOTATION];
          p.metadata.annotations = next;
        });
        this.#record('evict-leader-annotation-expired', { namespace, pod: podName });
        return;
      }
      const current = tc.status?.tikv?.evictLeader?.[podName];
      const wanted = {
        podCreateTime: pod.metadata.creationTimestamp,
        beginTime: current?.beginTime ?? rfc3339(this.#clock.now()),
        value,
      };
      if (!deepEqual(current, wanted)) {
        this.#store.mutate<TidbCluster>(TIDB_CLUSTER, namespace, tcName, (o) => {
          const status = (o.status ??= {});
          const tikv = (status.tikv ??= {});
          tikv.evictLeader = { ...(tikv.evictLeader ?? {}), [podName]: wanted };
        });
      }
      if (!Number.isFinite(storeId)) throw new Error(`failed to get tikv store id from status for pod ${namespace}/${podName}`);
      const stores = Object.values(tc.status?.tikv?.stores ?? {});
      const unstable = stores.find((s) => s.state !== 'Up' && s.state !== 'Tombstone');
      if (unstable) {
        this.#record('evict-leader-waiting', { namespace, pod: podName, reason: `store ${unstable.id} is ${unstable.state}` });
        return { requeueAfterMs: V1_DEFAULTS.recheckClusterStableMs };
      }
      await pd.beginEvictLeader(storeId);
      if (current === undefined) this.#record('evict-leader-begin', { namespace, pod: podName, storeId, annotation: value });
      if (value === 'delete-pod') {
        const address = this.#resolve(namespace, podName, 20180);
        if (!address) throw new Error(`failed to get leader count for pod ${namespace}/${podName}: connection refused`);
        const leaderCount = await pd.tikvLeaderCount({
          origin: originOf(address, tls),
          tls: tls ? tlsFromSecret(this.#store, namespace, `${tcName}-cluster-client-secret`) : undefined,
        });
        if (leaderCount === 0) {
          if (!isTerminating(pod)) {
            this.#store.delete(POD, namespace, podName);
            this.#record('pod-deleted', { namespace, pod: podName, storeId, reason: EVICT_LEADER_ANNOTATION });
          }
          return;
        }
        return { requeueAfterMs: V1_DEFAULTS.recheckLeaderCountMs };
      }
      return;
    }

    const evictStatus = tc.status?.tikv?.evictLeader?.[podName];
    if (!evictStatus) return;
    if (evictStatus.value === 'delete-pod' && !isPodReady(pod)) return;
    if (Number.isFinite(storeId) && (await pd.endEvictLeader(storeId)) === 'removed') {
      this.#record('evict-leader-end', { namespace, pod: podName, storeId, annotation: evictStatus.value });
    }
    this.#store.mutate<TidbCluster>(TIDB_CLUSTER, namespace, tcName, (o) => {
      const evictLeader = { ...(o.status?.tikv?.evictLeader ?? {}) };
      delete evictLeader[podName];
      if (o.status?.tikv) o.status.tikv.evictLeader = evictLeader;
    });
  }
}

// ——— object builders ———

/** `app.kubernetes.io/*` labels tidb-operator v1 puts on a component's objects. */
export function componentLabels(tcName: string, component: 'pd' | 'tikv'): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'tidb-cluster',
    'app.kubernetes.io/managed-by': 'tidb-operator',
    'app.kubernetes.io/instance': tcName,
    'app.kubernetes.io/component': component,
  };
}

function ownerRef(tc: KubeObject): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: TIDB_CLUSTER.apiVersion, kind: TIDB_CLUSTER.kind, name: tc.metadata.name, uid: tc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function imageOf(baseImage: string | undefined, fallback: string, version: string | undefined): string {
  const base = baseImage ?? fallback;
  return version ? `${base}:${version}` : base;
}

/** The PD StatefulSet `<tc>-pd` (PD upgrades go through its own RollingUpdate in the simulator). */
export function pdStatefulSet(tc: TidbCluster): StatefulSet {
  const name = tc.metadata.name;
  const namespace = tc.metadata.namespace!;
  const labels = componentLabels(name, 'pd');
  const spec = tc.spec ?? {};
  const tls = spec.tlsCluster?.enabled === true;
  const scheme = tls ? 'https' : 'http';
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `${name}-pd`, namespace, labels, ownerReferences: [ownerRef(tc)] },
    spec: {
      replicas: spec.pd?.replicas ?? 1,
      selector: { matchLabels: labels },
      serviceName: `${name}-pd-peer`,
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      template: {
        metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '2379', 'prometheus.io/path': '/metrics' } },
        spec: {
          containers: [
            {
              name: 'pd',
              image: imageOf(spec.pd?.baseImage, 'pingcap/pd', spec.pd?.version ?? spec.version),
              imagePullPolicy: 'IfNotPresent',
              // The start script derives --name and the advertised URLs from the pod's hostname and subdomain.
              command: ['/bin/sh', '/usr/local/bin/pd_start_script.sh'],
              args: [`--client-urls=${scheme}://0.0.0.0:2379`, `--peer-urls=${scheme}://0.0.0.0:2380`, '--data-dir=/var/lib/pd', '--config=/etc/pd/pd.toml'],
              ports: [
                { name: 'server', containerPort: 2380, protocol: 'TCP' },
                { name: 'client', containerPort: 2379, protocol: 'TCP' },
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'PEER_SERVICE_NAME', value: `${name}-pd-peer` },
                { name: 'SERVICE_NAME', value: `${name}-pd` },
                { name: 'SET_NAME', value: `${name}-pd` },
                { name: 'TZ', value: 'UTC' },
              ],
              readinessProbe: { tcpSocket: { port: 2379 }, periodSeconds: 10 },
              volumeMounts: [
                { name: 'pd', mountPath: '/var/lib/pd' },
                ...(tls ? [{ name: 'pd-tls', mountPath: '/var/lib/pd-tls', readOnly: true }] : []),
              ],
            },
          ],
          volumes: tls ? [{ name: 'pd-tls', secret: { secretName: `${name}-pd-cluster-secret` } }] : [],
          terminationGracePeriodSeconds: 30,
        },
      },
      volumeClaimTemplates: [
        { metadata: { name: 'pd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: spec.pd?.requests?.storage ?? '10Gi' } } } },
      ],
    },
  };
}

/** The TiKV StatefulSet `<tc>-tikv`: RollingUpdate with the partition at `replicas` (the upgrader lowers it), or OnDelete. */
export function tikvStatefulSet(tc: TidbCluster): StatefulSet {
  const name = tc.metadata.name;
  const namespace = tc.metadata.namespace!;
  const labels = componentLabels(name, 'tikv');
  const spec = tc.spec ?? {};
  const tls = spec.tlsCluster?.enabled === true;
  const scheme = tls ? 'https' : 'http';
  const replicas = spec.tikv?.replicas ?? 1;
  const onDelete = spec.tikv?.statefulSetUpdateStrategy === 'OnDelete';
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `${name}-tikv`, namespace, labels, ownerReferences: [ownerRef(tc)] },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      serviceName: `${name}-tikv-peer`,
      podManagementPolicy: 'Parallel',
      updateStrategy: onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: replicas } },
      template: {
        metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '20180', 'prometheus.io/path': '/metrics' } },
        spec: {
          containers: [
            {
              name: 'tikv',
              image: imageOf(spec.tikv?.baseImage, 'pingcap/tikv', spec.tikv?.version ?? spec.version),
              imagePullPolicy: 'IfNotPresent',
              // The start script adds --advertise-addr=<pod>.<tc>-tikv-peer.<ns>.svc[.<domain>]:20160 from the hostname.
              command: ['/bin/sh', '/usr/local/bin/tikv_start_script.sh'],
              args: [`--pd=${scheme}://${name}-pd:2379`, '--addr=0.0.0.0:20160', '--status-addr=0.0.0.0:20180', '--data-dir=/var/lib/tikv', '--capacity=0', '--config=/etc/tikv/tikv.toml'],
              ports: [
                { name: 'server', containerPort: 20160, protocol: 'TCP' },
                { name: 'status', containerPort: 20180, protocol: 'TCP' },
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'CLUSTER_NAME', value: name },
                { name: 'HEADLESS_SERVICE_NAME', value: `${name}-tikv-peer` },
                { name: 'CAPACITY', value: '0' },
                { name: 'TZ', value: 'UTC' },
              ],
              readinessProbe: { tcpSocket: { port: 20160 }, periodSeconds: 10 },
              volumeMounts: [
                { name: 'tikv', mountPath: '/var/lib/tikv' },
                ...(tls ? [{ name: 'tikv-tls', mountPath: '/var/lib/tikv-tls', readOnly: true }] : []),
              ],
            },
          ],
          volumes: tls ? [{ name: 'tikv-tls', secret: { secretName: `${name}-tikv-cluster-secret` } }] : [],
          terminationGracePeriodSeconds: spec.tikv?.terminationGracePeriodSeconds ?? 30,
        },
      },
      volumeClaimTemplates: [
        { metadata: { name: 'tikv' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: spec.tikv?.requests?.storage ?? '100Gi' } } } },
      ],
    },
  };
}

// ——— small pure helpers ———

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace}/${object.metadata.name}`;
}

/** Creates a CRD unless one with that name is already there. */
export function installCrd(store: ObjectStore, crd: KubeObject): void {
  if (store.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, crd.metadata.name)) return;
  store.create(crd);
}

function withLastApplied(set: StatefulSet): void {
  set.metadata.annotations = { ...(set.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: JSON.stringify(set.spec) };
}

function lastAppliedTemplate(set: StatefulSet): StatefulSet['spec']['template'] | undefined {
  const text = set.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as StatefulSet['spec']).template;
  } catch {
    return undefined;
  }
}

/** tidb-operator's templateEqual: the new pod spec against the last applied one. */
function templateEqual(newSet: StatefulSet, oldSet: StatefulSet): boolean {
  const applied = lastAppliedTemplate(oldSet);
  return applied !== undefined && deepEqual(applied.spec, newSet.spec.template.spec);
}

function setPartition(set: StatefulSet, partition: number): void {
  set.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition } };
}

/** mngerutils.StatefulSetIsUpgrading. */
function statefulSetIsUpgrading(set: StatefulSet): boolean {
  const status = set.status ?? {};
  if ((status.currentRevision ?? '') !== (status.updateRevision ?? '')) return true;
  return (set.metadata.generation ?? 0) > (status.observedGeneration ?? 0) && set.spec.replicas === (status.replicas ?? 0);
}

function statefulSetStatus(set: StatefulSet): StatefulSetStatusView {
  const s = set.status ?? {};
  const out: StatefulSetStatusView = {
    observedGeneration: s.observedGeneration,
    replicas: s.replicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    currentReplicas: s.currentReplicas ?? 0,
    updatedReplicas: s.updatedReplicas ?? 0,
    currentRevision: s.currentRevision,
    updateRevision: s.updateRevision,
    collisionCount: s.collisionCount,
  };
  for (const key of Object.keys(out) as (keyof StatefulSetStatusView)[]) if (out[key] === undefined) delete out[key];
  return out;
}

function containerImage(set: StatefulSet, container: string): string {
  const containers = (set.spec.template.spec.containers ?? []) as { name: string; image: string }[];
  return containers.find((c) => c.name === container)?.image ?? '';
}

function storeAddressPattern(tcName: string, namespace: string, clusterDomain?: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const domain = clusterDomain ? `(\\.${escape(clusterDomain)})?` : '(\\.[a-z0-9.-]+)?';
  return new RegExp(`^${escape(tcName)}-tikv-\\d+\\.${escape(tcName)}-tikv-peer\\.${escape(namespace)}\\.svc${domain}:\\d+$`);
}

function storeStatus(store: PdStoreView, nowMs: number): TikvStoreStatus {
  const host = store.address.split(':')[0];
  return {
    id: String(store.id),
    podName: host.split('.')[0],
    ip: host,
    leaderCount: store.leaderCount,
    state: store.stateName,
    lastTransitionTime: rfc3339(nowMs),
  };
}

function storeOfPod(stores: Record<string, TikvStoreStatus>, podName: string): TikvStoreStatus | undefined {
  return Object.values(stores).find((s) => s.podName === podName);
}

function unstableReason(stores: Record<string, TikvStoreStatus>): string | undefined {
  const bad = Object.values(stores).find((s) => s.state !== 'Up' && s.state !== 'Tombstone');
  return bad ? `store ${bad.id} is ${bad.state}` : undefined;
}

function durationSpec(text: string | undefined, fallbackMs: number): number {
  if (text === undefined || text === '') return fallbackMs;
  try {
    return parseGoDurationMs(text);
  } catch {
    return fallbackMs;
  }
}
