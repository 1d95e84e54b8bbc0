/**
 * tidb-operator v2 (`core.pingcap.com/v1alpha1`, branches main = v2.1 and release-2.0) as far as TiKV maintenance
 * sees it: Cluster, PDGroup/PD and TiKVGroup/TiKV custom resources; instance CRs `<group>-<6 random>` with pods
 * `<group>-<component>-<suffix>`; group revisions and a one-at-a-time updater (maxUnavailable 1); per-instance
 * status (`status.id`, `status.state`, conditions Ready / Synced / LeadersEvicted); PD's store list polled every
 * 30 s; an evict-leader scheduler only while the operator wants one (pod terminating or being recreated), any other
 * removed at the instance's next reconcile; eviction before recreating a pod (v2.1) or, with `operatorVersion
 * '2.0'`, deletion first and the pod's preStop hook (see `prestop-hook.ts`); `Cluster.spec.paused`.
 *
 * Facts from pkg/controllers/{tikv,tikvgroup,pd,pdgroup,cluster} of pingcap/tidb-operator; every delay is the
 * operator's real default scaled by the SimClock. Known simplifications: no scale-in (store offlining), no PD
 * leader transfer before a PD pod is recreated, no upgrade-order check between PD and TiKV groups.
 */
import type { KindRef, KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ObjectStore } from '../kube/object-store.ts';
import { StatusError } from '../kube/object-store.ts';
import { deepEqual } from '../kube/patch.ts';
import { crdObject, TIDB_OPERATOR_V2_CRDS } from './crds.ts';
import { findCondition, rfc3339, setCondition, type Condition } from './conditions.ts';
import { OperatorPdClient, type ClientTls, type OperatorEndpoint, type PdStoreView } from './operator-pd-client.ts';
import { isPodReady, isTerminating, podReadySinceMs } from './pod-state.ts';
import { ReconcileQueue, type ReconcileResult } from './reconcile-queue.ts';
import { randomSuffix, revisionName } from './revision-hash.ts';
import { originOf, serviceAddress, type PodPortResolver } from './service-routing.ts';
import { tlsFromSecret } from './client-tls.ts';
import { installCrd } from './tidb-operator-v1.ts';
import { PRESTOP_CHECKER_COMMAND } from './prestop-hook.ts';

const GROUP = 'core.pingcap.com/v1alpha1';
export const V2_CLUSTER: KindRef = { apiVersion: GROUP, kind: 'Cluster' };
export const V2_PD_GROUP: KindRef = { apiVersion: GROUP, kind: 'PDGroup' };
export const V2_PD: KindRef = { apiVersion: GROUP, kind: 'PD' };
export const V2_TIKV_GROUP: KindRef = { apiVersion: GROUP, kind: 'TiKVGroup' };
export const V2_TIKV: KindRef = { apiVersion: GROUP, kind: 'TiKV' };
const POD: KindRef = { apiVersion: 'v1', kind: 'Pod' };

/** Label keys of tidb-operator v2 (api/core/v1alpha1/common_types.go). */
export const V2_LABELS = {
  managedBy: 'pingcap.com/managed-by',
  cluster: 'pingcap.com/cluster',
  component: 'pingcap.com/component',
  group: 'pingcap.com/group',
  instance: 'pingcap.com/instance',
  revision: 'pingcap.com/instance-revision-hash',
  storeId: 'tidb.pingcap.com/store-id',
  clusterId: 'tidb.pingcap.com/cluster-id',
  memberId: 'tidb.pingcap.com/member-id',
} as const;

/** Group template annotation that triggers a rolling restart when changed. */
export const RESTARTED_AT_ANNOTATION = 'pingcap.com/restartedAt';

/** The operator's real-world timings (pkg/timanager/pd, controllers/tikv/tasks). */
export const V2_DEFAULTS = {
  storePollMs: 30_000,
  taskWaitMs: 5_000,
  minReadySeconds: 15,
  minGracePeriodSeconds: 30,
  regionsPerSecond: 200,
  minRegionCountForLeaderCheck: 100,
} as const;

/** Which v2 release to play: '2.1' (main: evicts before recreating a pod) or '2.0' (deletes; the preStop hook drains). */
export type V2OperatorVersion = '2.0' | '2.1';

type Component = 'pd' | 'tikv';

interface GroupSpec {
  cluster: { name: string };
  replicas?: number;
  minReadySeconds?: number;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: InstanceTemplateSpec };
}

interface InstanceTemplateSpec {
  version?: string;
  image?: string;
  [field: string]: unknown;
}

interface InstanceSpec extends InstanceTemplateSpec {
  cluster: { name: string };
  subdomain: string;
  offline?: boolean;
}

interface InstanceStatus {
  id?: string;
  state?: string;
  isLeader?: boolean;
  observedGeneration?: number;
  currentRevision?: string;
  updateRevision?: string;
  conditions?: Condition[];
}

type Group = KubeObject & { spec: GroupSpec; status?: Record<string, unknown> };
type Instance = KubeObject & { spec: InstanceSpec; status?: InstanceStatus };
type Cluster = KubeObject & {
  spec?: { paused?: boolean; tlsCluster?: { enabled?: boolean }; security?: { tls?: { client?: { name?: string } } } };
  status?: { pd?: string; id?: string; observedGeneration?: number; components?: { kind: string; replicas: number }[]; conditions?: Condition[] };
};

/** Where the simulated operator runs, and which release it plays. */
export interface TidbOperatorV2Options {
  store: ObjectStore;
  clock: SimClock;
  history: History;
  resolvePodPort: PodPortResolver;
  namespace?: string;
  operatorVersion?: V2OperatorVersion;
}

interface ClusterPd {
  client: OperatorPdClient;
  stores: PdStoreView[] | undefined;
  storesAt: number;
}

/** The simulated tidb-operator v2 manager: cluster, group and instance controllers for PD and TiKV. */
export class TidbOperatorV2 {
  static readonly source = 'tidb-operator-v2';
  readonly operatorVersion: V2OperatorVersion;
  readonly #store: ObjectStore;
  readonly #clock: SimClock;
  readonly #history: History;
  readonly #resolve: PodPortResolver;
  readonly #namespace: string | undefined;
  /** One work queue (one worker) per controller, as the manager runs them: cluster, pdgroup, tikvgroup, pd, tikv. */
  readonly #queues = new Map<string, ReconcileQueue>();
  readonly #pd = new Map<string, ClusterPd>();
  readonly #stops: (() => void)[] = [];
  #started = false;
  #stopping = false;

  constructor(options: TidbOperatorV2Options) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#history = options.history;
    this.#resolve = options.resolvePodPort;
    this.#namespace = options.namespace;
    this.operatorVersion = options.operatorVersion ?? '2.1';
    for (const tag of ['cluster', 'pdgroup', 'tikvgroup', 'pd', 'tikv']) {
      this.#queues.set(tag, new ReconcileQueue({
        name: TidbOperatorV2.source,
        clock: this.#clock,
        history: this.#history,
        reconcile: (key) => this.#reconcile(key),
        // controller-runtime's default rate limiter: 5 ms doubling up to 1000 s.
        backoff: { baseDelayMs: 5, maxDelayMs: 1_000_000 },
      }));
    }
  }

  /** Queues `<controller>/<namespace>/<name>` on its controller's queue. */
  #enqueue(key: string): void {
    this.#queues.get(key.slice(0, key.indexOf('/')))?.add(key);
  }

  /** Installs the CRDs when missing, starts the watches and PD's store poller. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const crd of TIDB_OPERATOR_V2_CRDS) installCrd(this.#store, crdObject(crd));
    const ns = this.#namespace;
    const kinds: [KindRef, string][] = [
      [V2_CLUSTER, 'cluster'],
      [V2_PD_GROUP, 'pdgroup'],
      [V2_TIKV_GROUP, 'tikvgroup'],
      [V2_PD, 'pd'],
      [V2_TIKV, 'tikv'],
    ];
    for (const [kind, tag] of kinds) {
      this.#stops.push(
        this.#store.watch(kind, { namespace: ns }, (event) => {
          this.#enqueue(`${tag}/${event.object.metadata.namespace}/${event.object.metadata.name}`);
          this.#enqueueRelated(tag, event.object);
        }),
      );
    }
    this.#stops.push(
      this.#store.watch(POD, { namespace: ns, labelSelector: `${V2_LABELS.managedBy}=tidb-operator` }, (event) => {
        const labels = event.object.metadata.labels ?? {};
        const instance = labels[V2_LABELS.instance];
        const component = labels[V2_LABELS.component];
        if (instance && (component === 'pd' || component === 'tikv')) this.#enqueue(`${component}/${event.object.metadata.namespace}/${instance}`);
      }),
      this.#clock.every(V2_DEFAULTS.storePollMs, () => void this.#pollStores()),
    );
    for (const [kind, tag] of kinds) {
      for (const object of this.#store.list(kind, { namespace: ns }).items) this.#enqueue(`${tag}/${object.metadata.namespace}/${object.metadata.name}`);
    }
  }

  /** Stops everything and closes PD connections. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const stop of this.#stops.splice(0)) stop();
    const queues = Promise.all([...this.#queues.values()].map((queue) => queue.stop()));
    await Promise.all([...this.#pd.values()].map((pd) => pd.client.close()));
    this.#pd.clear();
    await queues;
  }

  #record(type: string, data: Record<string, unknown>): void {
    this.#history.record(TidbOperatorV2.source, type, data);
  }

  /** A group change concerns its instances; an instance change its group; a cluster change everything in it. */
  #enqueueRelated(tag: string, object: KubeObject): void {
    const ns = object.metadata.namespace!;
    if (tag === 'pd' || tag === 'tikv') {
      const group = object.metadata.labels?.[V2_LABELS.group];
      if (group) this.#enqueue(`${tag}group/${ns}/${group}`);
      const cluster = (object.spec as InstanceSpec | undefined)?.cluster?.name;
      if (cluster) this.#enqueue(`cluster/${ns}/${cluster}`);
    } else if (tag === 'pdgroup' || tag === 'tikvgroup') {
      const cluster = (object.spec as GroupSpec | undefined)?.cluster?.name;
      if (cluster) this.#enqueue(`cluster/${ns}/${cluster}`);
    } else if (tag === 'cluster') {
      for (const [kind, t] of [[V2_PD_GROUP, 'pdgroup'], [V2_TIKV_GROUP, 'tikvgroup'], [V2_PD, 'pd'], [V2_TIKV, 'tikv']] as const) {
        for (const o of this.#store.list(kind, { namespace: ns }).items) {
          if ((o.spec as { cluster?: { name?: string } }).cluster?.name === object.metadata.name) this.#enqueue(`${t}/${ns}/${o.metadata.name}`);
        }
      }
    }
  }

  async #reconcile(key: string): Promise<ReconcileResult | void> {
    const [tag, namespace, name] = key.split('/');
    switch (tag) {
      case 'cluster':
        return this.#reconcileCluster(namespace, name);
      case 'pdgroup':
        return this.#reconcileGroup('pd', namespace, name);
      case 'tikvgroup':
        return this.#reconcileGroup('tikv', namespace, name);
      case 'pd':
        return this.#reconcilePd(namespace, name);
      case 'tikv':
        return this.#reconcileTikv(namespace, name);
    }
  }

  // ——— PD access ———

  #cluster(namespace: string, name: string): Cluster | undefined {
    return this.#store.get<Cluster>(V2_CLUSTER, namespace, name);
  }

  #clientTls(cluster: Cluster): ClientTls | undefined {
    if (cluster.spec?.tlsCluster?.enabled !== true) return undefined;
    const secret = cluster.spec.security?.tls?.client?.name ?? `${cluster.metadata.name}-cluster-client-secret`;
    return tlsFromSecret(this.#store, cluster.metadata.namespace!, secret);
  }

  #clusterPd(namespace: string, clusterName: string): ClusterPd {
    if (this.#stopping) throw new Error('the operator is stopping');
    const key = `${namespace}/${clusterName}`;
    let pd = this.#pd.get(key);
    if (!pd) {
      const client = new OperatorPdClient(async () => {
        const cluster = this.#cluster(namespace, clusterName);
        const url = cluster?.status?.pd;
        if (!cluster || !url) throw new Error(`pd client of cluster ${key} is not registered`);
        const host = new URL(url).hostname;
        const service = host.split('.')[0];
        const address = serviceAddress(this.#store, this.#resolve, namespace, service, 2379);
        if (!address) throw new Error(`dial tcp: lookup ${host}: no ready endpoints for service ${service}`);
        return { origin: originOf(address, url.startsWith('https')), tls: this.#clientTls(cluster) };
      });
      pd = { client, stores: undefined, storesAt: 0 };
      this.#pd.set(key, pd);
    }
    return pd;
  }

  /** The store informer: PD's `/stores` every 30 s; a change enqueues the cluster's TiKV instances. */
  async #pollStores(): Promise<void> {
    for (const cluster of this.#store.list<Cluster>(V2_CLUSTER, { namespace: this.#namespace }).items) {
      if (this.#stopping) return;
      if (!cluster.status?.pd || cluster.spec?.paused) continue;
      const ns = cluster.metadata.namespace!;
      const pd = this.#clusterPd(ns, cluster.metadata.name);
      let stores: PdStoreView[];
      try {
        stores = await listStores(pd.client);
      } catch {
        continue;
      }
      const changed = !deepEqual(pd.stores, stores);
      pd.stores = stores;
      pd.storesAt = this.#clock.now();
      if (!changed) continue;
      for (const tikv of this.#store.list<Instance>(V2_TIKV, { namespace: ns }).items) {
        if (tikv.spec?.cluster?.name === cluster.metadata.name) this.#enqueue(`tikv/${ns}/${tikv.metadata.name}`);
      }
    }
  }

  /** The store informer's cache (filled on first use, as the informer's initial list does). */
  async #stores(pd: ClusterPd): Promise<PdStoreView[]> {
    if (pd.stores === undefined) {
      pd.stores = await listStores(pd.client);
      pd.storesAt = this.#clock.now();
    }
    return pd.stores;
  }

  // ——— Cluster ———

  async #reconcileCluster(namespace: string, name: string): Promise<ReconcileResult | void> {
    const cluster = this.#cluster(namespace, name);
    if (!cluster || isTerminating(cluster) || cluster.spec?.paused) return;
    const tls = cluster.spec?.tlsCluster?.enabled === true;
    const pdGroup = this.#store.list<Group>(V2_PD_GROUP, { namespace }).items.find((g) => g.spec?.cluster?.name === name);
    const groups = (kind: KindRef) => this.#store.list<Group>(kind, { namespace }).items.filter((g) => g.spec?.cluster?.name === name);
    const status = structuredClone(cluster.status ?? {});
    status.observedGeneration = cluster.metadata.generation;
    if (pdGroup) status.pd = `${tls ? 'https' : 'http'}://${pdGroup.metadata.name}-pd.${namespace}:2379`;
    status.components = [
      { kind: 'PD', replicas: groups(V2_PD_GROUP).reduce((n, g) => n + (g.spec.replicas ?? 0), 0) },
      { kind: 'TiKV', replicas: groups(V2_TIKV_GROUP).reduce((n, g) => n + (g.spec.replicas ?? 0), 0) },
    ];
    let requeue: ReconcileResult | void = undefined;
    if (status.pd && !status.id) {
      try {
        const members = await this.#clusterPd(namespace, name).client.members();
        if (members.clusterId) status.id = members.clusterId;
      } catch {
        requeue = { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
      }
    }
    const allGroups = [...groups(V2_PD_GROUP), ...groups(V2_TIKV_GROUP)];
    const available = allGroups.length > 0 && allGroups.every((g) => findCondition(g.status?.conditions as Condition[] | undefined, 'Ready')?.status === 'True');
    const progressing = allGroups.some((g) => findCondition(g.status?.conditions as Condition[] | undefined, 'Synced')?.status !== 'True');
    status.conditions ??= [];
    setCondition(status.conditions, {
      type: 'Available',
      status: available ? 'True' : 'False',
      reason: available ? 'ClusterAvailable' : 'Unavailable',
      message: available ? 'cluster is available' : 'not all groups are ready',
      observedGeneration: cluster.metadata.generation,
    }, this.#now());
    setCondition(status.conditions, {
      type: 'Progressing',
      status: progressing ? 'True' : 'False',
      reason: progressing ? 'ClusterCreation' : 'ClusterAvailable',
      message: progressing ? 'cluster is progressing' : 'cluster is not progressing',
      observedGeneration: cluster.metadata.generation,
    }, this.#now());
    this.#writeStatus(V2_CLUSTER, namespace, name, cluster.status, status);
    return requeue;
  }

  #now(): string {
    return rfc3339(this.#clock.now());
  }

  #writeStatus(kind: KindRef, namespace: string, name: string, before: unknown, after: unknown): void {
    if (deepEqual(before, after)) return;
    this.#store.mutate(kind, namespace, name, (o) => {
      o.status = structuredClone(after);
    }, { subresource: 'status' });
  }

  // ——— groups (PDGroup, TiKVGroup) ———

  async #reconcileGroup(component: Component, namespace: string, name: string): Promise<ReconcileResult | void> {
    const kind = component === 'pd' ? V2_PD_GROUP : V2_TIKV_GROUP;
    const instanceKind = component === 'pd' ? V2_PD : V2_TIKV;
    const group = this.#store.get<Group>(kind, namespace, name);
    if (!group || isTerminating(group)) return;
    const cluster = this.#cluster(namespace, group.spec?.cluster?.name ?? '');
    if (!cluster || cluster.spec?.paused) return;
    this.#ensureGroupServices(component, group);
    const template = group.spec.template ?? {};
    const updateRevision = revisionName(name, { metadata: template.metadata ?? {}, spec: template.spec ?? {} });
    const instances = this.#store
      .list<Instance>(instanceKind, { namespace, labelSelector: `${V2_LABELS.group}=${name},${V2_LABELS.component}=${component}` })
      .items.filter((i) => !isTerminating(i));
    const desired = group.spec.replicas ?? 1;
    const minReadyMs = (group.spec.minReadySeconds ?? (component === 'tikv' ? 5 : 0)) * 1000;

    // Scale out: new instances get the update revision at once.
    for (let n = instances.length; n < desired; n++) {
      const instance = this.#newInstance(component, group, cluster, updateRevision);
      instances.push(this.#store.create(instance));
      this.#record('instance-created', { namespace, kind: instanceKind.kind, instance: instance.metadata.name, revision: updateRevision });
    }

    // The updater: maxSurge 0, maxUnavailable 1.
    const available = (i: Instance) => this.#instanceAvailable(i, minReadyMs);
    const unavailable = instances.filter((i) => !available(i));
    const outdated = instances.filter((i) => i.metadata.labels?.[V2_LABELS.revision] !== updateRevision);
    let wait = false;
    if (outdated.length > 0) {
      if (unavailable.length === 0) {
        const next = [...outdated].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0];
        this.#updateInstance(component, group, next, updateRevision);
      }
      wait = true;
    } else if (unavailable.length > 0) wait = true;

    const fresh = this.#store
      .list<Instance>(instanceKind, { namespace, labelSelector: `${V2_LABELS.group}=${name},${V2_LABELS.component}=${component}` })
      .items.filter((i) => !isTerminating(i));
    const previous = (group.status ?? {}) as Record<string, unknown> & { currentRevision?: string; version?: string; conditions?: Condition[] };
    // Updated: the instance is at the update revision and a pod of that revision has been Ready.
    const updated = fresh.filter((i) => i.metadata.labels?.[V2_LABELS.revision] === updateRevision && i.status?.currentRevision === updateRevision);
    const ready = fresh.filter((i) => findCondition(i.status?.conditions, 'Ready')?.status === 'True');
    const allUpdated = updated.length === fresh.length && fresh.length === desired;
    const allReady = ready.length === fresh.length && fresh.length === desired;
    const currentRevision = allUpdated && allReady ? updateRevision : (previous.currentRevision ?? updateRevision);
    const status: Record<string, unknown> = {
      ...previous,
      observedGeneration: group.metadata.generation,
      selector: `${V2_LABELS.cluster}=${group.spec.cluster.name},${V2_LABELS.component}=${component},${V2_LABELS.group}=${name},${V2_LABELS.managedBy}=tidb-operator`,
      replicas: fresh.length,
      readyReplicas: ready.length,
      updatedReplicas: updated.length,
      currentReplicas: fresh.filter((i) => i.status?.currentRevision === currentRevision).length,
      updateRevision,
      currentRevision,
    };
    if (allUpdated && allReady) status.version = template.spec?.version ?? '';
    else if (previous.version === undefined && allUpdated) status.version = template.spec?.version ?? '';
    const conditions = structuredClone(previous.conditions ?? []);
    setCondition(conditions, {
      type: 'Ready',
      status: allReady ? 'True' : 'False',
      reason: allReady ? 'Ready' : 'NotAllInstancesReady',
      message: allReady ? 'all instances are ready' : 'not all instances are ready',
      observedGeneration: group.metadata.generation,
    }, this.#now());
    setCondition(conditions, {
      type: 'Synced',
      status: allUpdated ? 'True' : 'False',
      reason: allUpdated ? 'Synced' : 'NotAllInstancesUpToDate',
      message: allUpdated ? 'all instances are synced' : 'not all instances are up to date',
      observedGeneration: group.metadata.generation,
    }, this.#now());
    status.conditions = conditions;
    this.#writeStatus(kind, namespace, name, group.status, status);
    if (wait && unavailable.length > 0 && unavailable.every((i) => findCondition(i.status?.conditions, 'Ready')?.status === 'True')) {
      // Ready but not yet available for minReadySeconds: nothing will change in the objects, so poll.
      return { requeueAfterMs: Math.max(1000, minReadyMs) };
    }
  }

  #instanceAvailable(instance: Instance, minReadyMs: number): boolean {
    const ready = findCondition(instance.status?.conditions, 'Ready');
    if (ready?.status !== 'True') return false;
    if ((instance.status?.currentRevision ?? '') !== (instance.metadata.labels?.[V2_LABELS.revision] ?? '')) return false;
    const since = Date.parse(ready.lastTransitionTime);
    return !Number.isFinite(since) || this.#clock.now() >= since + this.#clock.scaled(minReadyMs);
  }

  #ensureGroupServices(component: Component, group: Group): void {
    const ns = group.metadata.namespace!;
    const name = group.metadata.name;
    const selector = {
      [V2_LABELS.managedBy]: 'tidb-operator',
      [V2_LABELS.cluster]: group.spec.cluster.name,
      [V2_LABELS.component]: component,
      [V2_LABELS.group]: name,
    };
    const owner = ownerRef(group, component === 'pd' ? 'PDGroup' : 'TiKVGroup');
    const services: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `${name}-${component}-peer`, namespace: ns, labels: selector, ownerReferences: [owner] },
        spec: {
          clusterIP: 'None',
          publishNotReadyAddresses: true,
          selector,
          ports:
            component === 'pd'
              ? [{ name: 'client', port: 2379, targetPort: 2379 }, { name: 'peer', port: 2380, targetPort: 2380 }]
              : [{ name: 'client', port: 20160, targetPort: 20160 }, { name: 'status', port: 20180, targetPort: 20180 }],
        },
      },
    ];
    if (component === 'pd') {
      services.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `${name}-pd`, namespace: ns, labels: selector, ownerReferences: [owner] },
        spec: { type: 'ClusterIP', selector, ports: [{ name: 'client', port: 2379, targetPort: 2379 }] },
      });
    }
    for (const service of services) {
      if (this.#store.get(service, ns, service.metadata.name)) continue;
      try {
        this.#store.create(service);
      } catch (error) {
        if (!(error instanceof StatusError && error.code === 409)) throw error;
      }
    }
  }

  #newInstance(component: Component, group: Group, cluster: Cluster, revision: string): Instance {
    const ns = group.metadata.namespace!;
    let name: string;
    do name = `${group.metadata.name}-${randomSuffix(6)}`;
    while (this.#store.get(component === 'pd' ? V2_PD : V2_TIKV, ns, name));
    const template = group.spec.template ?? {};
    return {
      apiVersion: GROUP,
      kind: component === 'pd' ? 'PD' : 'TiKV',
      metadata: {
        name,
        namespace: ns,
        labels: {
          ...(template.metadata?.labels ?? {}),
          [V2_LABELS.managedBy]: 'tidb-operator',
          [V2_LABELS.component]: component,
          [V2_LABELS.cluster]: cluster.metadata.name,
          [V2_LABELS.group]: group.metadata.name,
          [V2_LABELS.instance]: name,
          [V2_LABELS.revision]: revision,
        },
        ...(template.metadata?.annotations && Object.keys(template.metadata.annotations).length > 0 ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [ownerRef(group, component === 'pd' ? 'PDGroup' : 'TiKVGroup')],
      },
      spec: {
        cluster: { name: cluster.metadata.name },
        subdomain: `${group.metadata.name}-${component}-peer`,
        ...(component === 'tikv' ? { offline: false } : {}),
        ...structuredClone(template.spec ?? {}),
      },
    };
  }

  /** The updater's "update" of one instance: its spec becomes the template's, its revision the update revision. */
  #updateInstance(component: Component, group: Group, instance: Instance, revision: string): void {
    const kind = component === 'pd' ? V2_PD : V2_TIKV;
    const template = group.spec.template ?? {};
    this.#store.mutate<Instance>(kind, instance.metadata.namespace, instance.metadata.name, (o) => {
      o.metadata.labels = { ...(o.metadata.labels ?? {}), ...(template.metadata?.labels ?? {}), [V2_LABELS.revision]: revision };
      if (template.metadata?.annotations && Object.keys(template.metadata.annotations).length > 0) o.metadata.annotations = { ...template.metadata.annotations };
      else delete o.metadata.annotations;
      o.spec = { cluster: o.spec.cluster, subdomain: o.spec.subdomain, ...(component === 'tikv' ? { offline: o.spec.offline ?? false } : {}), ...structuredClone(template.spec ?? {}) };
    });
    this.#record('instance-updated', { namespace: instance.metadata.namespace, kind: kind.kind, instance: instance.metadata.name, revision, version: template.spec?.version });
  }

  // ——— pods of instances ———

  #podName(component: Component, instance: Instance): string {
    const group = instance.metadata.labels?.[V2_LABELS.group] ?? '';
    const suffix = instance.metadata.name.slice(group.length + 1);
    return `${group}-${component}-${suffix}`;
  }

  #newPod(component: Component, instance: Instance, cluster: Cluster, storeId: string | undefined): KubeObject {
    const ns = instance.metadata.namespace!;
    const podName = this.#podName(component, instance);
    const tls = cluster.spec?.tlsCluster?.enabled === true;
    const scheme = tls ? 'https' : 'http';
    const labels: Record<string, string> = {
      ...(instance.metadata.labels ?? {}),
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/instance': cluster.metadata.name,
      'app.kubernetes.io/managed-by': 'tidb-operator',
      'app.kubernetes.io/name': 'tidb-cluster',
    };
    if (cluster.status?.id) labels[V2_LABELS.clusterId] = cluster.status.id;
    if (component === 'tikv' && storeId) labels[V2_LABELS.storeId] = storeId;
    const version = normaliseTag(instance.spec.version);
    const host = `${podName}.${instance.spec.subdomain}.${ns}`;
    const tlsVolume = tls ? [{ name: 'tls', secret: { secretName: `${instance.metadata.labels?.[V2_LABELS.group]}-${component}-cluster-secret` } }] : [];
    const container =
      component === 'pd'
        ? {
            name: 'pd',
            image: `${instance.spec.image ?? 'pingcap/pd'}:${version}`,
            imagePullPolicy: 'IfNotPresent',
            command: ['/pd-server', '--config', '/etc/pd/config.toml'],
            args: [
              `--name=${podName}`,
              `--client-urls=${scheme}://[::]:2379`,
              `--advertise-client-urls=${scheme}://${host}:2379`,
              `--peer-urls=${scheme}://[::]:2380`,
              `--advertise-peer-urls=${scheme}://${host}:2380`,
            ],
            ports: [{ name: 'client', containerPort: 2379 }, { name: 'peer', containerPort: 2380 }],
            readinessProbe: { tcpSocket: { port: 2379 } },
          }
        : {
            name: 'tikv',
            image: `${instance.spec.image ?? 'pingcap/tikv'}:${version}`,
            imagePullPolicy: 'IfNotPresent',
            command: ['/tikv-server', '--config', '/etc/tikv/config.toml'],
            args: [
              `--pd=${cluster.status?.pd ?? ''}`,
              `--advertise-addr=${host}:20160`,
              '--addr=[::]:20160',
              '--status-addr=[::]:20180',
              `--advertise-status-addr=${host}:20180`,
            ],
            ports: [{ name: 'client', containerPort: 20160 }, { name: 'status', containerPort: 20180 }],
            readinessProbe: { tcpSocket: { port: 20160 } },
            lifecycle: {
              preStop: {
                exec: {
                  command: ['/bin/sh', '-c', `${PRESTOP_CHECKER_COMMAND} -mode tikv -pd ${cluster.status?.pd ?? ''} -tikv-status-addr ${host}:20180${tls ? ' -tls' : ''} > /proc/1/fd/1`],
                },
              },
            },
          };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        labels,
        annotations: {
          ...(instance.metadata.annotations ?? {}),
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': component === 'pd' ? '2379' : '20180',
          'prometheus.io/path': '/metrics',
        },
        ownerReferences: [ownerRef(instance, component === 'pd' ? 'PD' : 'TiKV')],
      },
      spec: {
        hostname: podName,
        subdomain: instance.spec.subdomain,
        terminationGracePeriodSeconds: 65535,
        containers: [container],
        volumes: tlsVolume,
      },
    };
  }

  /** The pod no longer matches its instance (revision or image): it must be recreated. */
  #podOutdated(component: Component, instance: Instance, pod: KubeObject): boolean {
    if (pod.metadata.labels?.[V2_LABELS.revision] !== instance.metadata.labels?.[V2_LABELS.revision]) return true;
    const containers = ((pod.spec ?? {}) as { containers?: { name: string; image: string }[] }).containers ?? [];
    const image = containers.find((c) => c.name === component)?.image;
    return image !== `${instance.spec.image ?? `pingcap/${component}`}:${normaliseTag(instance.spec.version)}`;
  }

  /** In-place pod update: labels the operator owns (store id, cluster id) change without a restart. */
  #applyPodLabels(pod: KubeObject, labels: Record<string, string>): void {
    const current = pod.metadata.labels ?? {};
    if (Object.entries(labels).every(([k, v]) => current[k] === v) || isTerminating(pod)) return;
    this.#store.mutate(POD, pod.metadata.namespace, pod.metadata.name, (p) => {
      p.metadata.labels = { ...(p.metadata.labels ?? {}), ...labels };
    });
  }

  #createPod(pod: KubeObject, instance: Instance): void {
    try {
      this.#store.create(pod);
      this.#record('pod-created', { namespace: pod.metadata.namespace, pod: pod.metadata.name, instance: instance.metadata.name });
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 409)) throw error;
    }
  }

  // ——— PD instances ———

  async #reconcilePd(namespace: string, name: string): Promise<ReconcileResult | void> {
    const instance = this.#store.get<Instance>(V2_PD, namespace, name);
    if (!instance) return;
    const cluster = this.#cluster(namespace, instance.spec?.cluster?.name ?? '');
    if (!cluster || cluster.spec?.paused) return;
    const podName = this.#podName('pd', instance);
    const pod = this.#store.get(POD, namespace, podName);
    if (isTerminating(instance)) {
      if (pod && !isTerminating(pod)) this.#store.delete(POD, namespace, podName);
      return;
    }
    if (!pod) this.#createPod(this.#newPod('pd', instance, cluster, undefined), instance);
    else if (!isTerminating(pod) && this.#podOutdated('pd', instance, pod)) {
      this.#store.delete(POD, namespace, podName, { gracePeriodSeconds: V2_DEFAULTS.minGracePeriodSeconds });
      this.#record('pod-deleted', { namespace, pod: podName, instance: name, reason: 'pod is outdated' });
    }
    const current = this.#store.get(POD, namespace, podName);
    const status = structuredClone(instance.status ?? {});
    status.observedGeneration = instance.metadata.generation;
    status.updateRevision = instance.metadata.labels?.[V2_LABELS.revision];
    let requeue: ReconcileResult | void = undefined;
    if (current && isPodReady(current) && !isTerminating(current) && cluster.status?.pd) {
      try {
        const members = await this.#clusterPd(namespace, cluster.metadata.name).client.members();
        const member = members.members.find((m) => m.name === podName);
        if (member) {
          status.id = member.memberId;
          status.isLeader = members.leader?.name === podName;
          this.#applyPodLabels(current, { [V2_LABELS.memberId]: member.memberId });
        }
      } catch {
        requeue = { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
      }
    }
    this.#setSyncedAndReady(instance, status, current, isPodReady(current) && !isTerminating(current));
    this.#writeStatus(V2_PD, namespace, name, instance.status, status);
    if (!requeue && !status.id && current && isPodReady(current)) requeue = { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
    return requeue;
  }

  #setSyncedAndReady(instance: Instance, status: InstanceStatus, pod: KubeObject | undefined, healthy: boolean): void {
    const conditions = (status.conditions ??= []);
    const terminating = isTerminating(pod);
    const upToDate = pod !== undefined && !terminating && pod.metadata.labels?.[V2_LABELS.revision] === instance.metadata.labels?.[V2_LABELS.revision];
    setCondition(conditions, {
      type: 'Synced',
      status: upToDate ? 'True' : 'False',
      reason: upToDate ? 'Synced' : 'PodNotUpToDate',
      message: upToDate ? 'instance is synced' : 'pod is not up to date',
      observedGeneration: instance.metadata.generation,
    }, this.#now());
    let reason = 'Ready';
    if (!pod) reason = 'PodNotCreated';
    else if (terminating) reason = 'PodTerminating';
    else if (!isPodReady(pod)) reason = 'PodNotReady';
    else if (!healthy) reason = 'InstanceNotHealthy';
    const ready = reason === 'Ready';
    const before = findCondition(conditions, 'Ready');
    const podReadyAt = podReadySinceMs(pod);
    if (ready && before?.status === 'True' && podReadyAt !== undefined && podReadyAt > Date.parse(before.lastTransitionTime)) {
      // The pod went unready and ready again unseen: reset the transition time, as the operator does.
      conditions.splice(conditions.indexOf(before), 1);
    }
    setCondition(conditions, {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason,
      message: ready ? 'instance is ready' : `instance is not ready: ${reason}`,
      observedGeneration: instance.metadata.generation,
    }, this.#now());
    if (ready && pod) status.currentRevision = pod.metadata.labels?.[V2_LABELS.revision];
  }

  // ——— TiKV instances ———

  async #reconcileTikv(namespace: string, name: string): Promise<ReconcileResult | void> {
    const instance = this.#store.get<Instance>(V2_TIKV, namespace, name);
    if (!instance) return;
    const cluster = this.#cluster(namespace, instance.spec?.cluster?.name ?? '');
    if (!cluster || cluster.spec?.paused) return;
    if (!cluster.status?.pd) return { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
    const podName = this.#podName('tikv', instance);
    let pod = this.#store.get(POD, namespace, podName);
    if (isTerminating(instance)) {
      if (pod && !isTerminating(pod)) this.#store.delete(POD, namespace, podName);
      return;
    }
    const pd = this.#clusterPd(namespace, cluster.metadata.name);

    // ContextInfoFromPD: the store from the informer's cache, the scheduler state live from PD.
    const stores = await this.#stores(pd);
    const store = stores.find((s) => s.address.startsWith(`${podName}.`) && s.stateName !== 'Tombstone');
    let leaderEvicting = false;
    if (store) leaderEvicting = (await pd.client.evictingStoreIds()).includes(store.id);
    const regionCount = store?.regionCount ?? 0;
    const storeReady = store !== undefined && !store.isBusy && (regionCount < V2_DEFAULTS.minRegionCountForLeaderCheck || store.leaderCount > 0);
    const podAvailable = pod !== undefined && !isTerminating(pod) && (podReadySinceMs(pod) ?? Infinity) + this.#clock.scaled(V2_DEFAULTS.minReadySeconds * 1000) <= this.#clock.now();
    const healthy = storeReady && podAvailable;

    // TaskPod.
    let shouldEvictLeader = false;
    let result: ReconcileResult | void = undefined;
    const status = structuredClone(instance.status ?? {});
    if (!pod) {
      this.#createPod(this.#newPod('tikv', instance, cluster, store ? String(store.id) : undefined), instance);
    } else if (isTerminating(pod)) {
      shouldEvictLeader = true;
    } else if (this.#podOutdated('tikv', instance, pod)) {
      if (this.operatorVersion === '2.0') {
        this.#deletePod(pod, regionCount, 'pod is outdated');
      } else {
        shouldEvictLeader = true;
        const down = await pd.client.downPeerStoreIds();
        const foreignDown = store ? Math.max(0, down.count - down.storeIds.filter((id) => id === store.id).length) : down.count;
        const evicted = findCondition(status.conditions, 'LeadersEvicted');
        if (foreignDown !== 0) {
          this.#record('recreate-waiting', { namespace, instance: name, reason: `down peer is not zero: ${foreignDown}` });
          result = { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
        } else if (evicted?.status !== 'True') {
          result = { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
        } else {
          this.#deletePod(pod, regionCount, 'pod is outdated');
        }
      }
    } else {
      const labels: Record<string, string> = {};
      if (store) labels[V2_LABELS.storeId] = String(store.id);
      if (cluster.status?.id) labels[V2_LABELS.clusterId] = cluster.status.id;
      this.#applyPodLabels(pod, labels);
    }
    pod = this.#store.get(POD, namespace, podName);
    if (pod && isTerminating(pod)) shouldEvictLeader = true;
    if (instance.spec.offline) shouldEvictLeader = true;

    // TaskEvictLeader: the operator wants a scheduler only while it asked for one; any other is removed.
    if (store) {
      if (shouldEvictLeader && !leaderEvicting) {
        await pd.client.beginEvictLeader(store.id);
        leaderEvicting = true;
        this.#record('evict-leader-begin', { namespace, instance: name, pod: podName, storeId: store.id });
      } else if (!shouldEvictLeader && leaderEvicting) {
        await pd.client.endEvictLeader(store.id);
        leaderEvicting = false;
        this.#record('evict-leader-end', { namespace, instance: name, pod: podName, storeId: store.id });
      }
    }
    if (this.operatorVersion !== '2.0') {
      const conditions = (status.conditions ??= []);
      let condition: Omit<Condition, 'lastTransitionTime'>;
      if (!store) condition = { type: 'LeadersEvicted', status: 'True', reason: 'StoreNotExist', message: 'store does not exist' };
      else if (leaderEvicting && store.leaderCount === 0) condition = { type: 'LeadersEvicted', status: 'True', reason: 'Evicted', message: 'all leaders are evicted' };
      else if (leaderEvicting) condition = { type: 'LeadersEvicted', status: 'False', reason: 'Evicting', message: `not all leaders are evicted, still: ${store.leaderCount}` };
      else condition = { type: 'LeadersEvicted', status: 'False', reason: 'NotEvicted', message: 'leaders are not all evicted' };
      setCondition(conditions, { ...condition, observedGeneration: instance.metadata.generation }, this.#now());
    }

    // Status.
    this.#setSyncedAndReady(instance, status, pod, healthy);
    if (store) {
      status.id = String(store.id);
      status.state = store.nodeState ?? nodeStateFromName(store.stateName);
    }
    status.observedGeneration = instance.metadata.generation;
    status.updateRevision = instance.metadata.labels?.[V2_LABELS.revision];
    this.#writeStatus(V2_TIKV, namespace, name, instance.status, status);

    const ready = findCondition(status.conditions, 'Ready')?.status === 'True';
    if (result) return result;
    if (!ready && storeReady && pod && isPodReady(pod) && !isTerminating(pod)) return { requeueAfterMs: V2_DEFAULTS.minReadySeconds * 1000 };
    if (pod && isTerminating(pod)) return { requeueAfterMs: V2_DEFAULTS.taskWaitMs };
  }

  #deletePod(pod: KubeObject, regionCount: number, reason: string): void {
    const grace = Math.max(V2_DEFAULTS.minGracePeriodSeconds, Math.floor(regionCount / V2_DEFAULTS.regionsPerSecond) + 1);
    const current = pod.metadata.deletionGracePeriodSeconds;
    if (current !== undefined && current <= grace) return;
    this.#store.delete(POD, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: grace });
    this.#record('pod-deleted', { namespace: pod.metadata.namespace, pod: pod.metadata.name, gracePeriodSeconds: grace, reason });
  }

  /** The client TLS the cluster's pods mount (for the preStop hook and tests). */
  clientTls(namespace: string, clusterName: string): ClientTls | undefined {
    const cluster = this.#cluster(namespace, clusterName);
    return cluster ? this.#clientTls(cluster) : undefined;
  }

  /** The PD endpoint of a cluster as the operator reaches it (for tests). */
  async pdEndpoint(namespace: string, clusterName: string): Promise<OperatorEndpoint | undefined> {
    const cluster = this.#cluster(namespace, clusterName);
    if (!cluster?.status?.pd) return undefined;
    const host = new URL(cluster.status.pd).hostname.split('.')[0];
    const address = serviceAddress(this.#store, this.#resolve, namespace, host, 2379);
    return address ? { origin: originOf(address, cluster.status.pd.startsWith('https')), tls: this.#clientTls(cluster) } : undefined;
  }
}

/** PD's stores; none before the first TiKV bootstraps the cluster (PD answers 500 "not bootstrapped"). */
async function listStores(client: OperatorPdClient): Promise<PdStoreView[]> {
  try {
    return await client.stores();
  } catch (error) {
    if (/not bootstrapped/i.test((error as Error).message)) return [];
    throw error;
  }
}

function ownerRef(owner: KubeObject, kind: string): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: owner.apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** `v8.5.0` from `8.5.0` or `v8.5.0` (the "v" of `spec.version` is optional; image tags have it). */
export function normaliseTag(version: string | undefined): string {
  if (!version) return 'latest';
  return version.startsWith('v') ? version : `v${version}`;
}

function nodeStateFromName(stateName: string): string {
  if (stateName === 'Tombstone') return 'Removed';
  if (stateName === 'Offline') return 'Removing';
  return 'Serving';
}
