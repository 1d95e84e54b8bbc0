/**
 * The seed's "tikv-operator" (seed 000): TiKVGroup and TiKV custom resources in their own API group
 * (`core.tikv.org/v1alpha1`), with no rolling-upgrade logic and no leader eviction.
 *
 * - A TiKVGroup `<cluster>-tikv` creates TiKV instances `<group>-0 … <group>-(N-1)` with the template's version, and a
 *   headless service `<group>-peer`. Changing the group's version does nothing to existing instances.
 * - A TiKV instance runs one pod with the same name (so `kubectl wait pod/<instance>` works, as the seed's script
 *   does); store address `<pod>.<group>-peer.<ns>.svc:20160`. When the instance's `spec.version` differs from its
 *   pod's image, the controller deletes the pod at once (default grace period, no eviction) and recreates it.
 * - `status.id` is the store id (a string) read from PD's `/stores` by address; `status.conditions` has Ready.
 * - Labels: `tikv.org/cluster`, `tikv.org/component`, `tikv.org/group`, `tikv.org/instance` and the
 *   `app.kubernetes.io/*` set with `managed-by=tikv-operator`.
 *
 * PD is not this operator's: the cluster's Helm chart deploys it as a plain StatefulSet `<cluster>-pd` with the
 * client service `<cluster>-pd` (see helm-statefulsets.ts), which is where the seed's runbook port-forwards to.
 */
import type { KindRef, KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ObjectStore } from '../kube/object-store.ts';
import { StatusError } from '../kube/object-store.ts';
import { deepEqual } from '../kube/patch.ts';
import { crdObject, TIKV_OPERATOR_CRDS } from './crds.ts';
import { rfc3339, setCondition, type Condition } from './conditions.ts';
import { OperatorPdClient } from './operator-pd-client.ts';
import { isPodReady, isTerminating } from './pod-state.ts';
import { ReconcileQueue, type ReconcileResult } from './reconcile-queue.ts';
import { originOf, serviceAddress, type PodPortResolver } from './service-routing.ts';
import { tlsFromSecret } from './client-tls.ts';
import { installCrd } from './tidb-operator-v1.ts';

const API_VERSION = 'core.tikv.org/v1alpha1';
export const SEED_TIKV_GROUP: KindRef = { apiVersion: API_VERSION, kind: 'TiKVGroup' };
export const SEED_TIKV: KindRef = { apiVersion: API_VERSION, kind: 'TiKV' };
const POD: KindRef = { apiVersion: 'v1', kind: 'Pod' };

/** The cluster label of the seed's operator. */
export const TIKV_ORG_CLUSTER_LABEL = 'tikv.org/cluster';

interface GroupSpec {
  cluster: { name: string };
  replicas?: number;
  template?: { spec?: { version?: string; image?: string } };
}

interface InstanceSpec {
  cluster: { name: string };
  version?: string;
  image?: string;
  /** The headless service the pod's hostname lives under. */
  subdomain?: string;
}

type Group = KubeObject & { spec: GroupSpec; status?: { replicas?: number; readyReplicas?: number; observedGeneration?: number } };
type Instance = KubeObject & { spec: InstanceSpec; status?: { id?: string; observedGeneration?: number; conditions?: Condition[] } };

/** Where the operator runs. TLS: PD is reached with the `<cluster>-cluster-client-secret` certificate when it exists. */
export interface TikvOperatorOptions {
  store: ObjectStore;
  clock: SimClock;
  history: History;
  resolvePodPort: PodPortResolver;
  namespace?: string;
}

/** The seed's tikv-operator: group and instance controllers for TiKV. */
export class TikvOperator {
  static readonly source = 'tikv-operator';
  readonly #store: ObjectStore;
  readonly #clock: SimClock;
  readonly #history: History;
  readonly #resolve: PodPortResolver;
  readonly #namespace: string | undefined;
  readonly #queue: ReconcileQueue;
  readonly #pd = new Map<string, OperatorPdClient>();
  readonly #stops: (() => void)[] = [];
  #started = false;
  #stopping = false;

  constructor(options: TikvOperatorOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#history = options.history;
    this.#resolve = options.resolvePodPort;
    this.#namespace = options.namespace;
    this.#queue = new ReconcileQueue({
      name: TikvOperator.source,
      clock: this.#clock,
      history: this.#history,
      reconcile: (key) => this.#reconcile(key),
      backoff: { baseDelayMs: 5, maxDelayMs: 1_000_000 },
    });
  }

  /** Installs the CRDs when missing and starts watching groups, instances and their pods. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const crd of TIKV_OPERATOR_CRDS) installCrd(this.#store, crdObject(crd));
    const ns = this.#namespace;
    this.#stops.push(
      this.#store.watch(SEED_TIKV_GROUP, { namespace: ns }, (e) => this.#queue.add(`group/${e.object.metadata.namespace}/${e.object.metadata.name}`)),
      this.#store.watch(SEED_TIKV, { namespace: ns }, (e) => {
        this.#queue.add(`tikv/${e.object.metadata.namespace}/${e.object.metadata.name}`);
        const group = e.object.metadata.labels?.['tikv.org/group'];
        if (group) this.#queue.add(`group/${e.object.metadata.namespace}/${group}`);
      }),
      this.#store.watch(POD, { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=tikv-operator' }, (e) => {
        const instance = e.object.metadata.labels?.['tikv.org/instance'];
        if (instance) this.#queue.add(`tikv/${e.object.metadata.namespace}/${instance}`);
      }),
      // The controller-runtime resync, and the only way store ids appear without a Kubernetes event.
      this.#clock.every(30_000, () => {
        for (const tikv of this.#store.list(SEED_TIKV, { namespace: ns }).items) {
          if (!(tikv.status as Instance['status'])?.id) this.#queue.add(`tikv/${tikv.metadata.namespace}/${tikv.metadata.name}`);
        }
      }),
    );
    for (const group of this.#store.list(SEED_TIKV_GROUP, { namespace: ns }).items) this.#queue.add(`group/${group.metadata.namespace}/${group.metadata.name}`);
    for (const tikv of this.#store.list(SEED_TIKV, { namespace: ns }).items) this.#queue.add(`tikv/${tikv.metadata.namespace}/${tikv.metadata.name}`);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const stop of this.#stops.splice(0)) stop();
    const queue = this.#queue.stop();
    await Promise.all([...this.#pd.values()].map((client) => client.close()));
    this.#pd.clear();
    await queue;
  }

  #record(type: string, data: Record<string, unknown>): void {
    this.#history.record(TikvOperator.source, type, data);
  }

  #pdClient(namespace: string, cluster: string): OperatorPdClient {
    if (this.#stopping) throw new Error('the operator is stopping');
    const key = `${namespace}/${cluster}`;
    let client = this.#pd.get(key);
    if (!client) {
      client = new OperatorPdClient(async () => {
        const address = serviceAddress(this.#store, this.#resolve, namespace, `${cluster}-pd`, 2379);
        if (!address) throw new Error(`dial tcp: lookup ${cluster}-pd.${namespace}: no ready endpoints`);
        const secret = this.#store.get({ apiVersion: 'v1', kind: 'Secret' }, namespace, `${cluster}-cluster-client-secret`);
        return { origin: originOf(address, secret !== undefined), tls: secret ? tlsFromSecret(this.#store, namespace, secret.metadata.name) : undefined };
      });
      this.#pd.set(key, client);
    }
    return client;
  }

  async #reconcile(key: string): Promise<ReconcileResult | void> {
    const [tag, namespace, name] = key.split('/');
    if (tag === 'group') return this.#reconcileGroup(namespace, name);
    return this.#reconcileInstance(namespace, name);
  }

  // ——— TiKVGroup: creates instances; its version is only the template for new ones ———

  #reconcileGroup(namespace: string, name: string): void {
    const group = this.#store.get<Group>(SEED_TIKV_GROUP, namespace, name);
    if (!group || isTerminating(group)) return;
    const cluster = group.spec.cluster.name;
    const labels = groupLabels(cluster, name);
    const service: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-peer`, namespace, labels, ownerReferences: [ownerRef(group, 'TiKVGroup')] },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: labels,
        ports: [{ name: 'server', port: 20160, targetPort: 20160 }, { name: 'status', port: 20180, targetPort: 20180 }],
      },
    };
    if (!this.#store.get(service, namespace, service.metadata.name)) this.#createIgnoringConflict(service);
    const desired = group.spec.replicas ?? 1;
    for (let ordinal = 0; ordinal < desired; ordinal++) {
      const instanceName = `${name}-${ordinal}`;
      if (this.#store.get(SEED_TIKV, namespace, instanceName)) continue;
      this.#createIgnoringConflict({
        apiVersion: API_VERSION,
        kind: 'TiKV',
        metadata: {
          name: instanceName,
          namespace,
          labels: { ...labels, 'tikv.org/instance': instanceName },
          ownerReferences: [ownerRef(group, 'TiKVGroup')],
        },
        spec: {
          cluster: { name: cluster },
          version: group.spec.template?.spec?.version,
          ...(group.spec.template?.spec?.image ? { image: group.spec.template.spec.image } : {}),
          subdomain: `${name}-peer`,
        },
      });
      this.#record('instance-created', { namespace, instance: instanceName });
    }
    const instances = this.#store.list<Instance>(SEED_TIKV, { namespace, labelSelector: `tikv.org/group=${name}` }).items;
    const status = {
      observedGeneration: group.metadata.generation,
      replicas: instances.length,
      readyReplicas: instances.filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length,
    };
    if (!deepEqual(group.status, status)) {
      this.#store.mutate(SEED_TIKV_GROUP, namespace, name, (o) => (o.status = status), { subresource: 'status' });
    }
  }

  // ——— TiKV instance: one pod, recreated at once when the version changes ———

  async #reconcileInstance(namespace: string, name: string): Promise<ReconcileResult | void> {
    const instance = this.#store.get<Instance>(SEED_TIKV, namespace, name);
    if (!instance) return;
    let pod = this.#store.get(POD, namespace, name);
    if (isTerminating(instance)) {
      if (pod && !isTerminating(pod)) this.#store.delete(POD, namespace, name);
      return;
    }
    const image = `${instance.spec.image ?? 'pingcap/tikv'}:${instance.spec.version ?? 'latest'}`;
    if (!pod) {
      pod = this.#createIgnoringConflict(this.#newPod(instance, image));
      if (pod) this.#record('pod-created', { namespace, pod: name, image });
    } else if (!isTerminating(pod) && podImage(pod) !== image) {
      // No eviction: the pod goes at once, with the default grace period (the seed's "what is missing").
      this.#store.delete(POD, namespace, name);
      this.#record('pod-deleted', { namespace, pod: name, from: podImage(pod), to: image, reason: 'instance version changed' });
    }
    pod = this.#store.get(POD, namespace, name);

    const status = structuredClone(instance.status ?? {});
    status.observedGeneration = instance.metadata.generation;
    let requeue: ReconcileResult | void = undefined;
    if (pod && isPodReady(pod) && !status.id) {
      try {
        const stores = await this.#pdClient(namespace, instance.spec.cluster.name).stores();
        const store = stores.find((s) => s.address.startsWith(`${name}.`) && s.stateName !== 'Tombstone');
        if (store) status.id = String(store.id);
        else requeue = { requeueAfterMs: 5_000 };
      } catch {
        requeue = { requeueAfterMs: 5_000 };
      }
    }
    const ready = pod !== undefined && isPodReady(pod) && !isTerminating(pod) && podImage(pod) === image;
    status.conditions ??= [];
    const before = status.conditions.find((c) => c.type === 'Ready');
    setCondition(status.conditions, {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: ready ? 'PodReady' : !pod ? 'PodNotCreated' : isTerminating(pod) ? 'PodTerminating' : 'PodNotReady',
      message: ready ? 'pod is ready' : 'pod is not ready',
    }, before && before.status === (ready ? 'True' : 'False') ? before.lastTransitionTime : rfc3339(this.#clock.now()));
    if (!deepEqual(instance.status, status)) {
      this.#store.mutate(SEED_TIKV, namespace, name, (o) => (o.status = status), { subresource: 'status' });
    }
    if (!requeue && pod && isTerminating(pod)) requeue = { requeueAfterMs: 5_000 };
    return requeue;
  }

  #newPod(instance: Instance, image: string): KubeObject {
    const namespace = instance.metadata.namespace!;
    const name = instance.metadata.name;
    const subdomain = instance.spec.subdomain ?? `${instance.metadata.labels?.['tikv.org/group'] ?? ''}-peer`;
    const secret = this.#store.get({ apiVersion: 'v1', kind: 'Secret' }, namespace, `${instance.spec.cluster.name}-cluster-client-secret`);
    const scheme = secret ? 'https' : 'http';
    const host = `${name}.${subdomain}.${namespace}.svc`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { ...(instance.metadata.labels ?? {}) },
        annotations: { 'tikv.org/version': instance.spec.version ?? '' },
        ownerReferences: [ownerRef(instance, 'TiKV')],
      },
      spec: {
        hostname: name,
        subdomain,
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'tikv',
            image,
            imagePullPolicy: 'IfNotPresent',
            command: ['/tikv-server'],
            args: [
              `--pd=${scheme}://${instance.spec.cluster.name}-pd:2379`,
              '--addr=0.0.0.0:20160',
              `--advertise-addr=${host}:20160`,
              '--status-addr=0.0.0.0:20180',
              `--advertise-status-addr=${host}:20180`,
              '--data-dir=/var/lib/tikv',
            ],
            ports: [{ name: 'server', containerPort: 20160 }, { name: 'status', containerPort: 20180 }],
            readinessProbe: { tcpSocket: { port: 20160 } },
          },
        ],
      },
    };
  }

  #createIgnoringConflict<T extends KubeObject>(object: T): T | undefined {
    try {
      return this.#store.create(object);
    } catch (error) {
      if (error instanceof StatusError && error.code === 409) return undefined;
      throw error;
    }
  }
}

/** Labels of a group's objects (instances, pods, service selector). */
export function groupLabels(cluster: string, group: string): Record<string, string> {
  return {
    [TIKV_ORG_CLUSTER_LABEL]: cluster,
    'tikv.org/component': 'tikv',
    'tikv.org/group': group,
    'app.kubernetes.io/name': 'tikv',
    'app.kubernetes.io/component': 'tikv',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/managed-by': 'tikv-operator',
  };
}

function ownerRef(owner: KubeObject, kind: string): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean } {
  return { apiVersion: API_VERSION, kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function podImage(pod: KubeObject): string {
  const containers = ((pod.spec ?? {}) as { containers?: { name: string; image: string }[] }).containers ?? [];
  return containers.find((c) => c.name === 'tikv')?.image ?? '';
}
