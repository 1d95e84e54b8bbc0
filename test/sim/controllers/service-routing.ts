import type { KubeObject } from '../../../src/kube/kube.ts';
import type { LoopbackAddress } from '../process.ts';
import type { ObjectStore } from '../kube/object-store.ts';
import { isPodReady, isTerminating } from './pod-state.ts';
import { matchesSelectorObject } from '../kube/selectors.ts';

/** The pod network: where a pod's container port is served on loopback (the kubelet's `resolve`). */
export type PodPortResolver = (namespace: string, podName: string, port: number) => LoopbackAddress | undefined;

const SERVICE = { apiVersion: 'v1', kind: 'Service' };
const POD = { apiVersion: 'v1', kind: 'Pod' };

interface ServiceSpecView {
  selector?: Record<string, string>;
  ports?: { name?: string; port: number; targetPort?: number | string }[];
}

interface PodSpecView {
  containers?: { ports?: { name?: string; containerPort: number }[] }[];
}

/**
 * What an in-cluster client gets when it dials `<service>.<namespace>:<port>`, as kube-proxy routes it: one Ready,
 * non-terminating pod selected by the service, its target port. `undefined` when the service or a Ready backend
 * is missing (a real client would see "connection refused").
 */
export function serviceAddress(
  store: ObjectStore,
  resolve: PodPortResolver,
  namespace: string,
  serviceName: string,
  port: number,
): LoopbackAddress | undefined {
  const service = store.get(SERVICE, namespace, serviceName);
  if (!service) return undefined;
  const spec = (service.spec ?? {}) as ServiceSpecView;
  if (!spec.selector || Object.keys(spec.selector).length === 0) return undefined;
  const servicePort = spec.ports?.find((p) => p.port === port);
  if (!servicePort) return undefined;
  const selector = { matchLabels: spec.selector };
  const pods = store
    .list(POD, { namespace })
    .items.filter((pod) => matchesSelectorObject(selector, pod.metadata.labels) && isPodReady(pod) && !isTerminating(pod));
  for (const pod of pods) {
    const target = targetPort(pod, servicePort.targetPort ?? servicePort.port);
    if (target === undefined) continue;
    const address = resolve(namespace, pod.metadata.name, target);
    if (address) return address;
  }
  return undefined;
}

/** The loopback URL origin of a pod's port (`http://127.0.0.1:40123`), or undefined when nothing serves it. */
export function podOrigin(resolve: PodPortResolver, namespace: string, podName: string, port: number, tls: boolean): string | undefined {
  const address = resolve(namespace, podName, port);
  return address ? originOf(address, tls) : undefined;
}

/** `http(s)://host:port` for a loopback address (IPv6 hosts bracketed). */
export function originOf(address: LoopbackAddress, tls: boolean): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}

function targetPort(pod: KubeObject, target: number | string): number | undefined {
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of ((pod.spec ?? {}) as PodSpecView).containers ?? []) {
    const named = container.ports?.find((p) => p.name === target);
    if (named) return named.containerPort;
  }
  return undefined;
}
