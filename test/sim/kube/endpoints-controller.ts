/**
 * The endpoints and EndpointSlice controllers: for every Service with a selector, an `Endpoints` object of the
 * same name (ready pods under `addresses`, not-ready ones under `notReadyAddresses`, terminating and finished pods
 * left out unless `publishNotReadyAddresses`) and EndpointSlices labelled `kubernetes.io/service-name` (every pod
 * with an IP, with `ready`/`serving`/`terminating` conditions). Target ports resolve per pod, by number or by
 * container port name; pods whose containers do not declare a named port get no address for it, and pods that
 * resolve differently land in separate subsets/slices, as in Kubernetes.
 *
 * ```ts
 * const endpoints = new EndpointsController({ store });
 * endpoints.start();   …   endpoints.stop();
 * ```
 */
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { ObjectStore } from './object-store.ts';
import { StatusError } from './kube-status.ts';
import { WorkQueue } from './work-queue.ts';
import { deepEqual } from './patch.ts';
import { matchesLabels, type LabelSelector } from './selectors.ts';

const Service = { apiVersion: 'v1', kind: 'Service' };
const Pod = { apiVersion: 'v1', kind: 'Pod' };
const Endpoints = { apiVersion: 'v1', kind: 'Endpoints' };
const EndpointSlice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' };

type Obj = Record<string, unknown>;

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

function podReady(pod: KubeObject): boolean {
  return ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function resolvePort(pod: KubeObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const containers = ((pod.spec as { containers?: { ports?: ContainerPort[] }[] } | undefined)?.containers ?? []);
  for (const c of containers) {
    const found = (c.ports ?? []).find((p) => p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
    if (found) return found.containerPort;
  }
  return undefined;
}

/** Maintains Endpoints and EndpointSlices of selector services. See the module comment. */
export class EndpointsController {
  readonly #store: ObjectStore;
  readonly #queue: WorkQueue;
  readonly #stops: (() => void)[] = [];

  constructor(options: { store: ObjectStore }) {
    this.#store = options.store;
    this.#queue = new WorkQueue((key) => this.#reconcile(key), (key, error) => {
      if (error instanceof StatusError && (error.code === 409 || error.code === 404)) {
        this.#queue.add(key);
        return;
      }
      process.emitWarning(`simulated endpoints controller: ${key}: ${(error as Error)?.stack ?? String(error)}`);
    });
  }

  start(): void {
    const services = this.#store.list<KubeObject>(Service);
    for (const s of services.items) this.#queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    this.#stops.push(this.#store.watch(Service, { resourceVersion: services.resourceVersion }, (e) => this.#queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`)));
    const pods = this.#store.list<KubeObject>(Pod);
    this.#stops.push(this.#store.watch(Pod, { resourceVersion: pods.resourceVersion }, (e) => {
      for (const s of this.#store.list<KubeObject>(Service, { namespace: e.object.metadata.namespace }).items) {
        this.#queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
      }
    }));
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
    this.#queue.stop();
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  #reconcile(key: string): void {
    const [namespace, name] = key.split('/');
    const service = this.#store.get<KubeObject>(Service, namespace, name);
    const slices = this.#store.list<KubeObject>(EndpointSlice, { namespace, labelSelector: `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io` }).items;
    if (!service || service.metadata.deletionTimestamp) {
      this.#store.delete(Endpoints, namespace, name);
      for (const s of slices) this.#store.delete(EndpointSlice, namespace, s.metadata.name);
      return;
    }
    const spec = (service.spec ?? {}) as { selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean };
    if (!spec.selector || Object.keys(spec.selector).length === 0) return;
    const selector: LabelSelector = Object.entries(spec.selector).map(([k, v]) => ({ key: k, operator: '=', values: [v] }));
    const publishNotReady = spec.publishNotReadyAddresses === true;
    const pods = this.#store.list<KubeObject>(Pod, { namespace }).items.filter((p) => {
      const status = (p.status ?? {}) as { podIP?: string; phase?: string };
      return matchesLabels(selector, p.metadata.labels) && status.podIP && status.phase !== 'Failed' && status.phase !== 'Succeeded';
    });

    // Group pods by how the service ports resolve on them.
    const groups = new Map<string, { ports: { name?: string; port: number; protocol: string }[]; pods: KubeObject[] }>();
    for (const pod of pods) {
      const ports = (spec.ports ?? []).flatMap((p) => {
        const resolved = resolvePort(pod, p);
        return resolved === undefined ? [] : [{ ...(p.name ? { name: p.name } : {}), port: resolved, protocol: p.protocol ?? 'TCP' }];
      });
      const signature = JSON.stringify(ports);
      const group = groups.get(signature) ?? { ports, pods: [] };
      group.pods.push(pod);
      groups.set(signature, group);
    }

    // Endpoints (legacy).
    const subsets: Obj[] = [];
    for (const group of groups.values()) {
      const addresses: Obj[] = [];
      const notReady: Obj[] = [];
      for (const pod of group.pods) {
        const terminating = pod.metadata.deletionTimestamp !== undefined;
        if (terminating && !publishNotReady) continue;
        const podSpec = (pod.spec ?? {}) as { hostname?: string; subdomain?: string; nodeName?: string };
        const address: Obj = {
          ip: (pod.status as { podIP: string }).podIP,
          ...(podSpec.hostname && podSpec.subdomain === name ? { hostname: podSpec.hostname } : {}),
          ...(podSpec.nodeName ? { nodeName: podSpec.nodeName } : {}),
          targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
        };
        if (publishNotReady || podReady(pod)) addresses.push(address);
        else notReady.push(address);
      }
      if (addresses.length === 0 && notReady.length === 0) continue;
      const byIp = (a: Obj, b: Obj) => String(a.ip).localeCompare(String(b.ip));
      subsets.push({
        ...(addresses.length > 0 ? { addresses: addresses.sort(byIp) } : {}),
        ...(notReady.length > 0 ? { notReadyAddresses: notReady.sort(byIp) } : {}),
        ...(group.ports.length > 0 ? { ports: group.ports } : {}),
      });
    }
    const existing = this.#store.get<KubeObject>(Endpoints, namespace, name);
    const labels = { ...(service.metadata.labels ?? {}) };
    if (!existing) {
      this.#store.create({ ...Endpoints, metadata: { name, namespace, labels }, ...(subsets.length > 0 ? { subsets } : {}) });
    } else if (!deepEqual(existing.subsets ?? [], subsets) || !deepEqual(existing.metadata.labels ?? {}, labels)) {
      existing.metadata.labels = labels;
      if (subsets.length > 0) existing.subsets = subsets;
      else delete existing.subsets;
      this.#store.update(existing);
    }

    // EndpointSlices: one per port signature, reusing existing slices.
    const wanted = [...groups.values()].map((group) => ({
      ports: group.ports,
      endpoints: group.pods.map((pod) => {
        const podSpec = (pod.spec ?? {}) as { hostname?: string; subdomain?: string; nodeName?: string };
        const terminating = pod.metadata.deletionTimestamp !== undefined;
        const ready = podReady(pod);
        return {
          addresses: [(pod.status as { podIP: string }).podIP],
          conditions: { ready: publishNotReady ? true : ready && !terminating, serving: ready, terminating },
          ...(podSpec.hostname && podSpec.subdomain === name ? { hostname: podSpec.hostname } : {}),
          ...(podSpec.nodeName ? { nodeName: podSpec.nodeName } : {}),
          targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
        };
      }).sort((a, b) => a.addresses[0].localeCompare(b.addresses[0])),
    }));
    if (wanted.length === 0) wanted.push({ ports: [], endpoints: [] });
    const sliceLabels = { ...labels, 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const reusable = [...slices];
    for (const w of wanted) {
      const slice = reusable.shift();
      const body = { addressType: 'IPv4', endpoints: w.endpoints, ports: w.ports.length > 0 ? w.ports : null };
      if (!slice) {
        this.#store.create({
          ...EndpointSlice,
          metadata: { name: '', generateName: `${name}-`, namespace, labels: sliceLabels, ownerReferences: [owner] } as KubeObject['metadata'],
          ...body,
        });
      } else if (!deepEqual({ addressType: slice.addressType, endpoints: slice.endpoints ?? [], ports: slice.ports ?? null }, body) || !deepEqual(slice.metadata.labels, sliceLabels)) {
        this.#store.update({ ...slice, ...body, metadata: { ...slice.metadata, labels: sliceLabels } });
      }
    }
    for (const extra of reusable) this.#store.delete(EndpointSlice, namespace, extra.metadata.name);
  }
}
