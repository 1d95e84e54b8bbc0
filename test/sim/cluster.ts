/**
 * The whole simulated cluster for one topology (simulator.md): the fake API server, kubelet, StatefulSet and
 * endpoints controllers (test/sim/kube), one PD/TiKV simulation per TiKV cluster (test/sim/pd, tikv), and the
 * operator of the topology (test/sim/controllers), all on one SimClock and one History.
 *
 * ```ts
 * const sim = await startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.01 });
 * sim.writeKubeconfig('/tmp/x/kubeconfig');          // current context → the cluster's namespace
 * …  run kubectl or the plugin against it  …
 * assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history)), 1);
 * await sim.stop();
 * ```
 *
 * What each topology creates (names for clusterName `basic`, namespace `tidb`):
 * - `tidb-operator-v1`: TidbCluster `basic` → StatefulSets `basic-pd`, `basic-tikv`; pods `basic-tikv-<i>`.
 * - `tidb-operator-v2`: Cluster `basic`, PDGroup `pd`, TiKVGroup `tikv` (extra clusters: `<name>-pd`, `<name>-tikv`)
 *   → instances `tikv-<6 random>`, pods `tikv-tikv-<suffix>`.
 * - `tikv-operator`: PD StatefulSet `basic-pd` (Helm) + TiKVGroup `basic-tikv` → instances and pods `basic-tikv-<i>`.
 * - `statefulset`: Helm release `basic` → StatefulSets `basic-pd`, `basic-tikv`; `clusterName` is the release.
 *
 * History sources besides the kube/kubelet/statefulset/pd/tikv ones: `tidb-operator-v1`, `tidb-operator-v2`,
 * `tikv-operator` (what each operator did: 'evict-leader-begin', 'evict-leader-end', 'upgrade-pod',
 * 'leaders-returned', 'upgrade-finished', 'pod-deleted', 'instance-updated', 'requeue', 'reconcile-error' …) and
 * `prestop-hook` ('prestop-started', 'prestop-finished' with its outcome). Extra clusters share the History:
 * their PD events carry store ids that overlap the primary's, so key by pod name (as storeUnavailability does).
 * With `tls`, PD and TiKV use one server certificate (SANs: the services, `*.<ns>[.svc]`, localhost, 127.0.0.1,
 * ::1) and the client certificate is in `<cluster>-cluster-client-secret`; `sim.tls` has the PEMs.
 */
import type { KubeObject } from '../../src/kube/kube.ts';
import type { Topology } from '../../src/core/model.ts';
import { History, type HistoryEntry } from './history.ts';
import { SimClock } from './sim-clock.ts';
import type { ContainerStart, ProcessFactory, SimProcess } from './process.ts';
import { ObjectStore } from './kube/object-store.ts';
import { startApiServer, type ApiServer } from './kube/api-server.ts';
import { KubeFaults } from './kube/kube-faults.ts';
import { Kubelet, type KubeletTimings } from './kube/kubelet.ts';
import { StatefulSetController } from './kube/statefulset-controller.ts';
import { EndpointsController } from './kube/endpoints-controller.ts';
import type { PolicyRule } from './kube/rbac.ts';
import { PdCluster, type PdClusterOptions, type TikvFault } from './pd/pd-cluster.ts';
import { issueCert, makeCa } from './tls.ts';
import { TidbOperatorV1, TIDB_CLUSTER, type TidbClusterSpec } from './controllers/tidb-operator-v1.ts';
import { TidbOperatorV2, V2_CLUSTER, V2_PD_GROUP, V2_TIKV, V2_TIKV_GROUP, type V2OperatorVersion } from './controllers/tidb-operator-v2.ts';
import { SEED_TIKV, SEED_TIKV_GROUP, TikvOperator } from './controllers/tikv-operator.ts';
import { helmReleaseObjects, pdObjects } from './controllers/helm-statefulsets.ts';
import { PreStopHookFactory } from './controllers/prestop-hook.ts';
import { isPodReady, isTerminating } from './controllers/pod-state.ts';
import { findCondition, type Condition } from './controllers/conditions.ts';

/** A user of the API server: a bearer token, and (optionally) the only rules it is allowed. */
export interface SimUser {
  name: string;
  token: string;
  groups?: string[];
  /** RBAC rules; absent: allowed everything (the simulator's default for unbound users). */
  rules?: PolicyRule[];
}

/** Another TiKV cluster of the same topology in the same namespace (for `--cluster` / ambiguity tests). */
export interface ExtraCluster {
  clusterName: string;
  stores?: number;
  pdReplicas?: number;
  tikvVersion?: string;
  pdVersion?: string;
}

export interface SimClusterOptions {
  topology: Topology;
  /** TiKV stores (default 3). */
  stores?: number;
  /** PD members, 1..3 (default 1). */
  pdReplicas?: number;
  /** PD image tag and the PD behaviour profile (default `v8.5.0`). */
  pdVersion?: string;
  /** TiKV image tag (default `v8.5.0`). */
  tikvVersion?: string;
  /** Default 0.01 (a hundred times faster than real time). */
  timeScale?: number;
  /** PD and TiKV speak https with client certificates (`<cluster>-cluster-client-secret`). */
  tls?: boolean;
  /** The API server speaks https (default true: kubectl sends bearer tokens only over TLS). */
  apiTls?: boolean;
  namespace?: string;
  clusterName?: string;
  regionsPerStore?: number;
  maxReplicas?: number;
  /**
   * TiKV StatefulSet update strategy: v1 → `spec.tikv.statefulSetUpdateStrategy`; statefulset topology → the
   * StatefulSet's. Default RollingUpdate.
   */
  updateStrategy?: 'RollingUpdate' | 'OnDelete';
  /** tidb-operator v2 release to play (default '2.1'). */
  operatorVersion?: V2OperatorVersion;
  /** More clusters of the same topology in the same namespace. */
  extraClusters?: ExtraCluster[];
  users?: SimUser[];
  /** Extra TidbCluster spec fields for v1 (e.g. `{ tikv: { evictLeaderTimeout: '1m' } }`), merged into the default. */
  tidbClusterSpec?: TidbClusterSpec;
  /** TidbCluster annotations (v1), e.g. `tidb.pingcap.com/tikv-min-ready-seconds`. */
  tidbClusterAnnotations?: Record<string, string>;
  /** Kubelet timing overrides (real-world ms). */
  kubeletTimings?: Partial<KubeletTimings>;
  /** Other PdCluster knobs (seed, timing …). */
  pd?: Partial<Omit<PdClusterOptions, 'clock' | 'history' | 'pdVersion' | 'maxReplicas' | 'regionsPerStore' | 'tls'>>;
  /** Wait until settled before returning (default true). */
  waitSettled?: boolean;
  /** Wall-clock limit of the initial wait (default 60 s). */
  settleTimeoutMs?: number;
}

/** TLS material of a TLS cluster (PEM): what a client of PD/TiKV needs. */
export interface SimClusterTls {
  ca: string;
  clientCert: string;
  clientKey: string;
}

/** The operator running for the topology, if any. */
export type SimOperator = TidbOperatorV1 | TidbOperatorV2 | TikvOperator;

/** A running simulated cluster. */
export interface SimCluster {
  readonly topology: Topology;
  readonly clock: SimClock;
  readonly history: History;
  readonly store: ObjectStore;
  /** The primary cluster's PD/TiKV simulation. */
  readonly pd: PdCluster;
  /** Every cluster's PD/TiKV simulation by cluster name (primary and extras). */
  readonly pdClusters: ReadonlyMap<string, PdCluster>;
  readonly apiServer: ApiServer;
  /** The API server's URL. */
  readonly url: string;
  readonly kubelet: Kubelet;
  readonly operator: SimOperator | undefined;
  readonly namespace: string;
  readonly clusterName: string;
  /** Every cluster name in the namespace, primary first. */
  readonly clusterNames: readonly string[];
  readonly tls: SimClusterTls | undefined;
  /** Loopback URL of the primary cluster's PD leader (changes when it does). */
  readonly pdDirectUrl: string | undefined;
  readonly faults: SimFaults;
  /**
   * Writes a kubeconfig whose current context's namespace holds the cluster. `user` names one of the `users`
   * (default: the admin).
   */
  writeKubeconfig(path: string, options?: { user?: string; namespace?: string; context?: string }): void;
  /** TiKV pod names of a cluster (default the primary), sorted. */
  tikvPodNames(clusterName?: string): string[];
  /** PD pod names of a cluster (default the primary), sorted. */
  pdPodNames(clusterName?: string): string[];
  /** Resolves when every cluster is settled: all pods Ready, all stores Up, leaders balanced, operator status in step. */
  waitUntilSettled(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
  /** What is not settled yet (empty when settled), for messages. */
  unsettledReasons(): string[];
  /** Stops every controller, process, server and timer. */
  stop(): Promise<void>;
}

/** Fault knobs of every layer. */
export interface SimFaults {
  /** API server faults (500/429/409, slow answers, dropped port-forwards, pods never Ready / crash-looping). */
  kube: KubeFaults;
  /** The primary PD's faults (PD down, no leader, 500s, slow, leader change …). */
  pd: PdCluster['faults'];
  /** Knobs of the TiKV that runs (or will run) in a pod of the primary cluster. */
  tikv(podName: string): TikvFault;
}

const POD = { apiVersion: 'v1', kind: 'Pod' };

/** Starts the cluster; see the module comment. Stops everything it started when starting fails. */
export async function startSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const topology = options.topology;
  const namespace = options.namespace ?? 'tidb';
  const clusterName = options.clusterName ?? 'basic';
  const stores = options.stores ?? 3;
  const pdReplicas = options.pdReplicas ?? 1;
  const pdVersion = options.pdVersion ?? 'v8.5.0';
  const tikvVersion = options.tikvVersion ?? 'v8.5.0';
  if (pdReplicas < 1 || pdReplicas > 3) throw new Error(`pdReplicas must be 1..3, got ${pdReplicas}`);
  if (stores < 1) throw new Error(`stores must be ≥ 1, got ${stores}`);
  const clusters: Required<ExtraCluster>[] = [
    { clusterName, stores, pdReplicas, tikvVersion, pdVersion },
    ...(options.extraClusters ?? []).map((c) => ({
      clusterName: c.clusterName,
      stores: c.stores ?? stores,
      pdReplicas: c.pdReplicas ?? pdReplicas,
      tikvVersion: c.tikvVersion ?? tikvVersion,
      pdVersion: c.pdVersion ?? pdVersion,
    })),
  ];
  if (new Set(clusters.map((c) => c.clusterName)).size !== clusters.length) throw new Error('cluster names must differ');

  const clock = new SimClock(options.timeScale ?? 0.01);
  const history = new History();
  const store = new ObjectStore({ history });
  const kubeFaults = new KubeFaults();
  const stops: (() => Promise<void> | void)[] = [() => clock.stop()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch {
        // Keep stopping the rest: a failed stop must not leave servers or timers behind.
      }
    }
  };

  try {
    const apiServer = await startApiServer({ store, history, tls: options.apiTls ?? true, faults: kubeFaults });
    stops.push(() => apiServer.close());
    const users = new Map<string, SimUser>();
    for (const user of options.users ?? []) {
      users.set(user.name, user);
      apiServer.addToken(user.token, { name: user.name, groups: user.groups });
      if (user.rules) apiServer.authz.bind(user.name, user.rules);
    }

    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, {});

    // TLS: one CA; a server certificate shared by PD and TiKV (with the loopback IPs, so verification works
    // through a port-forward, as the documented certificates do); a client certificate for the client secret.
    let tls: SimClusterTls | undefined;
    let serverTls: { ca: string; cert: string; key: string } | undefined;
    if (options.tls) {
      const ca = makeCa('kubectl-tikv simulator cluster CA');
      const dnsNames = ['localhost', `*.${namespace}`, `*.${namespace}.svc`];
      for (const c of clusters) {
        for (const suffix of ['pd', 'pd-peer', 'tikv-peer']) dnsNames.push(`${c.clusterName}-${suffix}`, `*.${c.clusterName}-${suffix}.${namespace}.svc`);
      }
      const server = issueCert({ ca, commonName: 'TiDB', dnsNames, ips: ['127.0.0.1', '::1'] });
      const client = issueCert({ ca, commonName: 'TiDB Client', client: true });
      tls = { ca: ca.cert, clientCert: client.cert, clientKey: client.key };
      serverTls = { ca: ca.cert, cert: server.cert, key: server.key };
    }

    const pdClusters = new Map<string, PdCluster>();
    for (const c of clusters) {
      const pd = new PdCluster({
        ...options.pd,
        clock,
        history,
        pdVersion: c.pdVersion,
        maxReplicas: options.maxReplicas,
        regionsPerStore: options.regionsPerStore,
        tls: serverTls ? { ca: serverTls.ca, cert: serverTls.cert, key: serverTls.key, clientCert: tls!.clientCert, clientKey: tls!.clientKey } : undefined,
      });
      pdClusters.set(c.clusterName, pd);
      stops.push(() => pd.stop());
    }

    // Containers go to the PD/TiKV simulation of the cluster their pod belongs to.
    const routing: ProcessFactory = {
      start: async (container: ContainerStart): Promise<SimProcess | undefined> => {
        const pd = pdClusters.get(clusterOfPod(topology, container.labels) ?? '');
        return pd ? pd.processFactory().start(container) : undefined;
      },
    };
    const processes = new PreStopHookFactory({ inner: routing, store, clock, history });
    const kubelet = new Kubelet({ store, clock, history, processes, faults: kubeFaults, timings: options.kubeletTimings });
    kubelet.start();
    stops.push(() => kubelet.stop());
    apiServer.setPortForwardResolver(kubelet);
    const statefulSets = new StatefulSetController({ store, history });
    statefulSets.start();
    stops.push(() => statefulSets.stop());
    const endpoints = new EndpointsController({ store });
    endpoints.start();
    stops.push(() => endpoints.stop());

    if (tls) {
      for (const c of clusters) createTlsSecrets(store, topology, namespace, c.clusterName, tls, serverTls!, v2GroupNames(c.clusterName, c.clusterName === clusterName));
    }

    const resolvePodPort = (ns: string, pod: string, port: number) => kubelet.resolve(ns, pod, port);
    let operator: SimOperator | undefined;
    if (topology === 'tidb-operator-v1') operator = new TidbOperatorV1({ store, clock, history, resolvePodPort });
    else if (topology === 'tidb-operator-v2') operator = new TidbOperatorV2({ store, clock, history, resolvePodPort, operatorVersion: options.operatorVersion });
    else if (topology === 'tikv-operator') operator = new TikvOperator({ store, clock, history, resolvePodPort });
    if (operator) {
      operator.start();
      const running = operator;
      stops.push(() => running.stop());
    }

    for (const c of clusters) {
      for (const object of topologyObjects(topology, namespace, c, options, c.clusterName === clusterName)) store.create(object);
    }

    const clusterNames = clusters.map((c) => c.clusterName);
    const expected = new Map(clusters.map((c) => [c.clusterName, c]));
    const podsOf = (name: string, component: 'pd' | 'tikv'): KubeObject[] =>
      store
        .list(POD, { namespace })
        .items.filter((p) => clusterOfPod(topology, p.metadata.labels ?? {}) === name && componentOfPod(p.metadata.labels ?? {}) === component)
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true }));

    const unsettledReasons = (): string[] => {
      const reasons: string[] = [];
      for (const [name, initial] of expected) {
        const pd = pdClusters.get(name)!;
        // Scaling changes what "settled" means: count what the topology's objects ask for now.
        const desired = desiredReplicas(store, topology, namespace, name, v2GroupNames(name, name === clusterName));
        const c = { ...initial, pdReplicas: desired.pdReplicas ?? initial.pdReplicas, stores: desired.stores ?? initial.stores };
        for (const [component, count] of [['pd', c.pdReplicas], ['tikv', c.stores]] as const) {
          const pods = podsOf(name, component).filter((p) => !isTerminating(p));
          if (pods.length !== count) reasons.push(`${name}: ${pods.length}/${count} ${component} pods`);
          const notReady = pods.filter((p) => !isPodReady(p)).map((p) => p.metadata.name);
          if (notReady.length) reasons.push(`${name}: pods not Ready: ${notReady.join(', ')}`);
        }
        const live = pd.storeViews().filter((s) => s.stateName !== 'Tombstone');
        if (live.length !== c.stores) reasons.push(`${name}: ${live.length}/${c.stores} stores registered`);
        const notUp = live.filter((s) => s.stateName !== 'Up' || !s.running).map((s) => `${s.storeId}:${s.stateName}`);
        if (notUp.length) reasons.push(`${name}: stores not Up: ${notUp.join(', ')}`);
        if (!pd.isSettled()) reasons.push(`${name}: PD not settled (leader, transfers or leader balance)`);
        reasons.push(...operatorUnsettled(store, topology, namespace, name, c, v2GroupNames(name, name === clusterName)));
      }
      return reasons;
    };

    const waitUntilSettled = async (wait: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> => {
      const deadline = Date.now() + (wait.timeoutMs ?? 60_000);
      for (;;) {
        const reasons = unsettledReasons();
        if (reasons.length === 0) return;
        if (Date.now() > deadline) throw new Error(`simulated cluster did not settle: ${reasons.join('; ')}`);
        await new Promise<void>((resolve, reject) => {
          if (wait.signal?.aborted) return reject(wait.signal.reason);
          const timer = setTimeout(resolve, Math.max(5, clock.scaled(1000)));
          wait.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(wait.signal!.reason);
          }, { once: true });
        });
      }
    };

    const primaryPd = pdClusters.get(clusterName)!;
    const sim: SimCluster = {
      topology,
      clock,
      history,
      store,
      pd: primaryPd,
      pdClusters,
      apiServer,
      url: apiServer.url,
      kubelet,
      operator,
      namespace,
      clusterName,
      clusterNames,
      tls,
      get pdDirectUrl() {
        return primaryPd.directUrl();
      },
      faults: { kube: kubeFaults, pd: primaryPd.faults, tikv: (podName: string) => primaryPd.tikvFault(podName) },
      writeKubeconfig(path, kubeconfig = {}) {
        const user = kubeconfig.user === undefined ? undefined : users.get(kubeconfig.user);
        if (kubeconfig.user !== undefined && !user) throw new Error(`no simulated user ${kubeconfig.user}`);
        apiServer.writeKubeconfig(path, {
          token: user?.token ?? apiServer.adminToken,
          ...(user ? { user: user.name } : {}),
          namespace: kubeconfig.namespace ?? namespace,
          ...(kubeconfig.context ? { context: kubeconfig.context } : {}),
        });
      },
      tikvPodNames: (name = clusterName) => podsOf(name, 'tikv').map((p) => p.metadata.name),
      pdPodNames: (name = clusterName) => podsOf(name, 'pd').map((p) => p.metadata.name),
      waitUntilSettled,
      unsettledReasons,
      stop: stopAll,
    };
    if (options.waitSettled ?? true) await waitUntilSettled({ timeoutMs: options.settleTimeoutMs });
    return sim;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Which cluster a pod belongs to, by the labels its topology puts on it. */
export function clusterOfPod(topology: Topology, labels: Record<string, string>): string | undefined {
  switch (topology) {
    case 'tidb-operator-v2':
      return labels['pingcap.com/cluster'];
    case 'tikv-operator':
      return labels['tikv.org/cluster'];
    default:
      return labels['app.kubernetes.io/instance'];
  }
}

function componentOfPod(labels: Record<string, string>): string | undefined {
  return labels['pingcap.com/component'] ?? labels['app.kubernetes.io/component'];
}

/** v2 group names: the primary cluster uses the documented `pd` / `tikv`; extra clusters `<name>-pd` / `<name>-tikv`. */
function v2GroupNames(clusterName: string, primary: boolean): { pd: string; tikv: string } {
  return primary ? { pd: 'pd', tikv: 'tikv' } : { pd: `${clusterName}-pd`, tikv: `${clusterName}-tikv` };
}

/** The objects a user (or Helm) creates for one cluster of the topology. */
function topologyObjects(topology: Topology, namespace: string, c: Required<ExtraCluster>, options: SimClusterOptions, primary: boolean): KubeObject[] {
  const name = c.clusterName;
  switch (topology) {
    case 'tidb-operator-v1': {
      const extra = options.tidbClusterSpec ?? {};
      const spec: TidbClusterSpec = {
        ...extra,
        version: c.tikvVersion,
        tlsCluster: { enabled: options.tls === true },
        pd: { baseImage: 'pingcap/pd', replicas: c.pdReplicas, requests: { storage: '10Gi' }, ...(extra.pd ?? {}), version: c.pdVersion },
        tikv: {
          baseImage: 'pingcap/tikv',
          replicas: c.stores,
          requests: { storage: '100Gi' },
          ...(options.updateStrategy === 'OnDelete' ? { statefulSetUpdateStrategy: 'OnDelete' as const } : {}),
          ...(extra.tikv ?? {}),
        },
      };
      return [{ apiVersion: TIDB_CLUSTER.apiVersion, kind: TIDB_CLUSTER.kind, metadata: { name, namespace, annotations: options.tidbClusterAnnotations }, spec }];
    }
    case 'tidb-operator-v2': {
      const groups = v2GroupNames(name, primary);
      return [
        { apiVersion: V2_CLUSTER.apiVersion, kind: 'Cluster', metadata: { name, namespace }, spec: options.tls ? { tlsCluster: { enabled: true } } : {} },
        {
          apiVersion: V2_PD_GROUP.apiVersion,
          kind: 'PDGroup',
          metadata: { name: groups.pd, namespace },
          spec: { cluster: { name }, replicas: c.pdReplicas, template: { spec: { version: c.pdVersion, volumes: [{ name: 'data', mounts: [{ type: 'data' }], storage: '10Gi' }] } } },
        },
        {
          apiVersion: V2_TIKV_GROUP.apiVersion,
          kind: 'TiKVGroup',
          metadata: { name: groups.tikv, namespace },
          spec: { cluster: { name }, replicas: c.stores, template: { spec: { version: c.tikvVersion, volumes: [{ name: 'data', mounts: [{ type: 'data' }], storage: '100Gi' }] } } },
        },
      ];
    }
    case 'tikv-operator':
      return [
        ...pdObjects({
          release: name,
          namespace,
          pdReplicas: c.pdReplicas,
          tikvReplicas: 0,
          pdVersion: c.pdVersion,
          tikvVersion: c.tikvVersion,
          tls: options.tls,
          extraLabels: { 'tikv.org/cluster': name },
        }),
        {
          apiVersion: SEED_TIKV_GROUP.apiVersion,
          kind: 'TiKVGroup',
          metadata: { name: `${name}-tikv`, namespace, labels: { 'tikv.org/cluster': name } },
          spec: { cluster: { name }, replicas: c.stores, template: { spec: { version: c.tikvVersion } } },
        },
      ];
    case 'statefulset':
      return helmReleaseObjects({
        release: name,
        namespace,
        pdReplicas: c.pdReplicas,
        tikvReplicas: c.stores,
        pdVersion: c.pdVersion,
        tikvVersion: c.tikvVersion,
        updateStrategy: options.updateStrategy,
        tls: options.tls,
      });
  }
}

/** Secrets as the TLS documentation of each topology has users create them. */
function createTlsSecrets(
  store: ObjectStore,
  topology: Topology,
  namespace: string,
  clusterName: string,
  tls: SimClusterTls,
  server: { ca: string; cert: string; key: string },
  groups: { pd: string; tikv: string },
): void {
  const secret = (name: string, cert: string, key: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: {
      'ca.crt': Buffer.from(tls.ca).toString('base64'),
      'tls.crt': Buffer.from(cert).toString('base64'),
      'tls.key': Buffer.from(key).toString('base64'),
    },
  });
  const serverSecrets =
    topology === 'tidb-operator-v1'
      ? [`${clusterName}-pd-cluster-secret`, `${clusterName}-tikv-cluster-secret`]
      : topology === 'tidb-operator-v2'
        ? [`${groups.pd}-pd-cluster-secret`, `${groups.tikv}-tikv-cluster-secret`]
        : [`${clusterName}-pd-tls`, `${clusterName}-tikv-tls`];
  for (const name of serverSecrets) store.create(secret(name, server.cert, server.key));
  store.create(secret(`${clusterName}-cluster-client-secret`, tls.clientCert, tls.clientKey));
}

/** The PD and TiKV replicas a cluster's objects ask for now (what scaling changes). */
function desiredReplicas(store: ObjectStore, topology: Topology, namespace: string, name: string, groups: { pd: string; tikv: string }): { pdReplicas?: number; stores?: number } {
  const replicas = (kind: { apiVersion: string; kind: string }, objectName: string, path: (spec: Record<string, unknown>) => unknown): number | undefined => {
    const object = store.get(kind, namespace, objectName);
    const value = object ? path((object.spec ?? {}) as Record<string, unknown>) : undefined;
    return typeof value === 'number' ? value : undefined;
  };
  const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
  const specReplicas = (spec: Record<string, unknown>) => spec.replicas;
  switch (topology) {
    case 'tidb-operator-v1':
      return {
        pdReplicas: replicas(TIDB_CLUSTER, name, (spec) => (spec.pd as { replicas?: number } | undefined)?.replicas),
        stores: replicas(TIDB_CLUSTER, name, (spec) => (spec.tikv as { replicas?: number } | undefined)?.replicas),
      };
    case 'tidb-operator-v2':
      return { pdReplicas: replicas(V2_PD_GROUP, groups.pd, specReplicas), stores: replicas(V2_TIKV_GROUP, groups.tikv, specReplicas) };
    case 'tikv-operator':
      return { pdReplicas: replicas(sts, `${name}-pd`, specReplicas), stores: replicas(SEED_TIKV_GROUP, `${name}-tikv`, specReplicas) };
    case 'statefulset':
      return { pdReplicas: replicas(sts, `${name}-pd`, specReplicas), stores: replicas(sts, `${name}-tikv`, specReplicas) };
  }
}

/** What the topology's operator (or the StatefulSet controller) has not caught up with yet. */
function operatorUnsettled(
  store: ObjectStore,
  topology: Topology,
  namespace: string,
  name: string,
  c: Required<ExtraCluster>,
  groups: { pd: string; tikv: string },
): string[] {
  const reasons: string[] = [];
  if (topology === 'tidb-operator-v1') {
    const tc = store.get<KubeObject & { spec?: TidbClusterSpec; status?: { tikv?: { phase?: string; stores?: Record<string, { state: string }> } } }>(TIDB_CLUSTER, namespace, name);
    const tikv = tc?.status?.tikv;
    const up = Object.values(tikv?.stores ?? {}).filter((s) => s.state === 'Up').length;
    if (up !== c.stores) reasons.push(`${name}: TidbCluster status shows ${up}/${c.stores} stores Up`);
    if (tikv?.phase !== 'Normal') reasons.push(`${name}: TidbCluster tikv phase ${tikv?.phase ?? '(none)'}`);
    const version = tc?.spec?.tikv?.version ?? tc?.spec?.version;
    reasons.push(...statefulSetUnsettled(store, namespace, `${name}-tikv`, version ? `${tc?.spec?.tikv?.baseImage ?? 'pingcap/tikv'}:${version}` : undefined));
    const unlabelled = store
      .list(POD, { namespace, labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=tikv` })
      .items.filter((p) => !p.metadata.labels?.['tidb.pingcap.com/store-id']);
    if (unlabelled.length) reasons.push(`${name}: pods without store-id label: ${unlabelled.map((p) => p.metadata.name).join(', ')}`);
  } else if (topology === 'tidb-operator-v2') {
    const instances = store.list<KubeObject & { status?: { id?: string; conditions?: Condition[] } }>(V2_TIKV, { namespace, labelSelector: `pingcap.com/group=${groups.tikv}` }).items;
    const ready = instances.filter((i) => i.status?.id && findCondition(i.status.conditions, 'Ready')?.status === 'True');
    if (ready.length !== c.stores) reasons.push(`${name}: ${ready.length}/${c.stores} TiKV instances Ready with a store id`);
    const notServing = instances.filter((i) => (i.status as { state?: string } | undefined)?.state !== 'Serving').map((i) => i.metadata.name);
    if (notServing.length) reasons.push(`${name}: TiKV instances not Serving yet: ${notServing.join(', ')}`);
    const unsynced = instances.filter((i) => findCondition(i.status?.conditions, 'Synced')?.status !== 'True').map((i) => i.metadata.name);
    if (unsynced.length) reasons.push(`${name}: TiKV instances not Synced: ${unsynced.join(', ')}`);
    for (const kind of [V2_PD_GROUP, V2_TIKV_GROUP]) {
      const groupName = kind === V2_PD_GROUP ? groups.pd : groups.tikv;
      const group = store.get<KubeObject & { spec?: { replicas?: number }; status?: { observedGeneration?: number; readyReplicas?: number; updatedReplicas?: number; updateRevision?: string; currentRevision?: string } }>(kind, namespace, groupName);
      const s = group?.status;
      const replicas = group?.spec?.replicas ?? 0;
      if (!s || s.observedGeneration !== group?.metadata.generation) reasons.push(`${name}: ${kind.kind} ${groupName} not observed yet`);
      else if (s.readyReplicas !== replicas || s.updatedReplicas !== replicas || s.updateRevision !== s.currentRevision) {
        reasons.push(`${name}: ${kind.kind} ${groupName} ready ${s.readyReplicas ?? 0}/${replicas}, updated ${s.updatedReplicas ?? 0}/${replicas}`);
      }
    }
  } else if (topology === 'tikv-operator') {
    const instances = store.list<KubeObject & { spec?: { version?: string }; status?: { id?: string } }>(SEED_TIKV, { namespace, labelSelector: `tikv.org/cluster=${name}` }).items;
    const withId = instances.filter((i) => i.status?.id);
    if (withId.length !== c.stores) reasons.push(`${name}: ${withId.length}/${c.stores} TiKV instances with a store id`);
    for (const instance of instances) {
      const pod = store.get(POD, namespace, instance.metadata.name);
      const image = ((pod?.spec ?? {}) as { containers?: { image: string }[] }).containers?.[0]?.image;
      if (!image?.endsWith(`:${instance.spec?.version}`)) reasons.push(`${name}: pod ${instance.metadata.name} does not run ${instance.spec?.version}`);
    }
    reasons.push(...statefulSetUnsettled(store, namespace, `${name}-pd`));
  } else {
    reasons.push(...statefulSetUnsettled(store, namespace, `${name}-pd`), ...statefulSetUnsettled(store, namespace, `${name}-tikv`));
  }
  return reasons;
}

/** A StatefulSet whose controller has not observed its spec or not finished rolling it out (OnDelete sets excepted). */
function statefulSetUnsettled(store: ObjectStore, namespace: string, name: string, expectedImage?: string): string[] {
  const set = store.get<KubeObject & {
    spec?: { replicas?: number; updateStrategy?: { type?: string }; template?: { spec?: { containers?: { image: string }[] } } };
    status?: { observedGeneration?: number; updatedReplicas?: number; currentRevision?: string; updateRevision?: string };
  }>({ apiVersion: 'apps/v1', kind: 'StatefulSet' }, namespace, name);
  if (!set) return [`StatefulSet ${name} does not exist`];
  const reasons: string[] = [];
  if (expectedImage && set.spec?.template?.spec?.containers?.[0]?.image !== expectedImage) reasons.push(`StatefulSet ${name} does not run ${expectedImage} yet`);
  const s = set.status ?? {};
  if (s.observedGeneration !== set.metadata.generation) reasons.push(`StatefulSet ${name} not observed yet`);
  else if (set.spec?.updateStrategy?.type !== 'OnDelete' && (s.currentRevision !== s.updateRevision || (s.updatedReplicas ?? 0) !== (set.spec?.replicas ?? 1))) {
    reasons.push(`StatefulSet ${name} is rolling out`);
  }
  return reasons;
}

/** One interval during which a store's TiKV was not running (from `store-stopped` to `store-running`). */
export interface UnavailabilityInterval {
  storeId: number;
  podName: string | null;
  /** Wall-clock Unix ms. */
  from: number;
  /** Wall-clock Unix ms; undefined while still unavailable. */
  to?: number;
  reason: string;
}

/**
 * The store-unavailability timeline from History: per TiKV (keyed by pod name, so clusters sharing one History do
 * not mix), every interval from `store-stopped` to the next `store-running`. Pass `podNames` to restrict it to one
 * cluster's pods.
 */
export function storeUnavailability(history: History | readonly HistoryEntry[], options: { podNames?: readonly string[] } = {}): UnavailabilityInterval[] {
  const entries = history instanceof History ? history.entries : history;
  const open = new Map<string, UnavailabilityInterval>();
  const intervals: UnavailabilityInterval[] = [];
  const wanted = options.podNames ? new Set(options.podNames) : undefined;
  for (const entry of entries) {
    if (entry.source !== 'tikv' || (entry.type !== 'store-stopped' && entry.type !== 'store-running')) continue;
    const storeId = Number(entry.data.storeId);
    const podName = (entry.data.podName as string | null | undefined) ?? null;
    if (wanted && (podName === null || !wanted.has(podName))) continue;
    const key = podName ?? `store-${storeId}`;
    if (entry.type === 'store-stopped') {
      if (open.has(key)) continue;
      const interval: UnavailabilityInterval = { storeId, podName, from: entry.at, reason: String(entry.data.reason ?? '') };
      open.set(key, interval);
      intervals.push(interval);
    } else {
      const interval = open.get(key);
      if (interval) {
        interval.to = entry.at;
        open.delete(key);
      }
    }
  }
  return intervals;
}

/** The most stores unavailable at the same moment in a timeline (0 when none ever was). */
export function maxConcurrentUnavailable(intervals: readonly UnavailabilityInterval[]): number {
  const points: [number, number][] = [];
  for (const interval of intervals) {
    points.push([interval.from, 1]);
    points.push([interval.to ?? Number.POSITIVE_INFINITY, -1]);
  }
  // At equal times, a store coming back counts before another one going away.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of points) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
