import type { Duplex } from 'node:stream';
import { UserError } from '../errors.ts';
import type { HttpTarget } from '../http-target.ts';
import { KubeError } from './kube-error.ts';
import type { Kube, KubeObject } from './kube.ts';

/** A pod and the container port a service port leads to. */
export interface ServiceEndpoint {
  podName: string;
  port: number;
}

type TlsMaterial = NonNullable<HttpTarget['tls']>;

interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
}

type Service = KubeObject & { spec?: { selector?: Record<string, string>; ports?: ServicePortSpec[] } };
type EndpointSlice = KubeObject & {
  ports?: { name?: string; port?: number }[];
  endpoints?: { conditions?: { ready?: boolean; terminating?: boolean }; targetRef?: { kind?: string; name?: string } }[];
};
type Endpoints = KubeObject & {
  subsets?: { addresses?: { targetRef?: { kind?: string; name?: string } }[]; ports?: { name?: string; port: number }[] }[];
};
type Pod = KubeObject & {
  spec?: { containers?: { ports?: { name?: string; containerPort: number }[] }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
};

/** How long a pod whose port-forward failed is passed over when another Ready endpoint exists. */
const SUSPECT_MS = 10_000;

/**
 * An HttpTarget for a service, reached as `kubectl port-forward svc/NAME` does: the service → a Ready endpoint pod
 * (EndpointSlices, then Endpoints, then the selector's Ready pods) → the container port the service port targets.
 * Every connection is its own port-forward stream. When a pod's forward fails (pod gone, process restarting) the
 * next connection re-resolves and prefers another Ready endpoint.
 */
export function serviceHttpTarget(
  kube: Kube,
  options: { namespace: string; service: string; port: number | string; scheme: 'http' | 'https'; tls?: TlsMaterial },
): HttpTarget & { openStream: NonNullable<HttpTarget['openStream']>; resolve(signal?: AbortSignal): Promise<ServiceEndpoint[]> } {
  const { namespace, service } = options;
  const defaultPort = typeof options.port === 'number' ? options.port : 2379;
  let endpoints: ServiceEndpoint[] | undefined;
  let firstResolve: Promise<ServiceEndpoint[]> | undefined;
  let current: ServiceEndpoint | undefined;
  const suspects = new Map<string, number>();

  const resolve = async (signal?: AbortSignal): Promise<ServiceEndpoint[]> => {
    endpoints = await resolveServiceEndpoints(kube, namespace, service, options.port, signal);
    return endpoints;
  };
  // The first connections open together (a command's parallel PD reads): they share one lookup of the service
  // instead of each reading the Service and its EndpointSlices. A failed lookup is not kept.
  const initial = (signal?: AbortSignal): Promise<ServiceEndpoint[]> => {
    if (endpoints) return Promise.resolve(endpoints);
    firstResolve ??= resolve(signal).finally(() => {
      firstResolve = undefined;
    });
    return firstResolve;
  };

  const choose = (list: ServiceEndpoint[]): ServiceEndpoint | undefined => {
    const now = Date.now();
    for (const [pod, at] of suspects) if (now - at > SUSPECT_MS) suspects.delete(pod);
    return list.find((e) => !suspects.has(e.podName)) ?? list[0];
  };

  const target = {
    // With openStream the host only names the server (Host header, TLS name): `<svc>.<ns>.svc` is among the SANs
    // tidb-operator documents for PD's certificate (next to `<svc>`, `<svc>.<ns>` and 127.0.0.1).
    origin: `${options.scheme}://${service}.${namespace}.svc:${defaultPort}`,
    tls: options.tls,
    get description(): string {
      const via = current ? ` (port-forward to ${current.podName}:${current.port})` : '';
      return `PD service ${namespace}/${service}${via}`;
    },
    resolve,
    async openStream(signal?: AbortSignal): Promise<Duplex> {
      let lastError: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        const list = attempt === 0 ? await initial(signal) : await resolve(signal);
        const chosen = choose(list);
        if (!chosen) {
          throw new UserError(`no Ready pod behind service "${service}" in namespace "${namespace}"`, {
            suggestions: [`Check the pods of the service: 'kubectl get endpoints ${service} -n ${namespace}'.`],
          });
        }
        try {
          const stream = await kube.portForward(namespace, chosen.podName, chosen.port, { signal });
          current = chosen;
          stream.once('error', () => suspects.set(chosen.podName, Date.now()));
          return stream;
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          // Credentials and RBAC do not get better with another pod.
          if (error instanceof KubeError && (error.status === 401 || error.status === 403)) throw error;
          suspects.set(chosen.podName, Date.now());
          lastError = error;
        }
      }
      throw lastError;
    },
  };
  return target;
}

/** An HttpTarget for one pod's port (a TiKV status port, 20180), through a port-forward per connection. */
export function podHttpTarget(
  kube: Kube,
  options: { namespace: string; podName: string; port: number; scheme: 'http' | 'https'; host?: string; tls?: TlsMaterial; description?: string },
): HttpTarget {
  return {
    // With openStream the host only names the server (Host header, TLS name): the pod's DNS name
    // (`<pod>.<peer-service>.<ns>.svc`, see podDnsName) matches the documented `*.<peer-service>.<ns>.svc` SAN;
    // without one, 127.0.0.1 matches the documented IP SAN.
    origin: `${options.scheme}://${options.host ?? '127.0.0.1'}:${options.port}`,
    tls: options.tls,
    description: options.description ?? `pod ${options.namespace}/${options.podName} port ${options.port} (port-forward)`,
    openStream: (signal?: AbortSignal) => kube.portForward(options.namespace, options.podName, options.port, { signal }),
  };
}

/** `--pd-url`: PD reached directly, no Kubernetes involved. */
export function urlHttpTarget(url: string, tls?: TlsMaterial): HttpTarget {
  const parsed = new URL(url);
  return { origin: parsed.origin, tls: parsed.protocol === 'https:' ? tls : undefined, description: `PD at ${parsed.origin} (--pd-url)` };
}

/**
 * The Ready pods behind a service and the container port its `port` leads to, sorted by pod name. Follows what
 * kubectl does for `port-forward svc/…`: find the service port (by number or name), then its target port on each
 * pod. EndpointSlices carry the resolved port; without them, Endpoints; without those, the selector's Ready pods.
 */
export async function resolveServiceEndpoints(
  kube: Kube,
  namespace: string,
  serviceName: string,
  wantedPort: number | string,
  signal?: AbortSignal,
): Promise<ServiceEndpoint[]> {
  const service = await kube.get<Service>({ apiVersion: 'v1', kind: 'Service', namespace, name: serviceName }, { signal });
  if (!service) {
    throw new UserError(`service "${serviceName}" not found in namespace "${namespace}"`, {
      suggestions: ['Name PD\'s service with --pd-service, or reach PD with --pd-url.'],
    });
  }
  const ports = service.spec?.ports ?? [];
  const servicePort = ports.find((p) => p.port === wantedPort || (p.name !== undefined && p.name === wantedPort)) ?? (ports.length === 1 ? ports[0] : undefined);
  if (!servicePort) {
    throw new UserError(`service "${serviceName}" in namespace "${namespace}" has no port ${wantedPort}`, {
      suggestions: [`Its ports: ${ports.map((p) => `${p.name ? `${p.name}=` : ''}${p.port}`).join(', ') || 'none'}.`],
    });
  }

  const fromSlices = await endpointsFromSlices(kube, namespace, serviceName, servicePort, signal);
  if (fromSlices !== undefined && fromSlices.length > 0) return sortByPod(fromSlices);
  const fromEndpoints = await endpointsFromEndpoints(kube, namespace, serviceName, servicePort, signal);
  if (fromEndpoints !== undefined && fromEndpoints.length > 0) return sortByPod(fromEndpoints);
  // No endpoint objects (or none Ready): the selector's Ready pods, as kubectl picks a pod for `port-forward svc/…`.
  return sortByPod(await endpointsFromSelector(kube, namespace, service, servicePort, signal));
}

async function endpointsFromSlices(
  kube: Kube,
  namespace: string,
  serviceName: string,
  servicePort: ServicePortSpec,
  signal?: AbortSignal,
): Promise<ServiceEndpoint[] | undefined> {
  let slices: EndpointSlice[];
  try {
    slices = (
      await kube.list<EndpointSlice>(
        { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
        { namespace, labelSelector: `kubernetes.io/service-name=${serviceName}`, signal },
      )
    ).items;
  } catch (error) {
    if (error instanceof KubeError && (error.status === 404 || error.status === 403)) return undefined;
    throw error;
  }
  if (slices.length === 0) return undefined;
  const found: ServiceEndpoint[] = [];
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (servicePort.name ?? ''))?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const ready = endpoint.conditions?.ready !== false && endpoint.conditions?.terminating !== true;
      if (ready && endpoint.targetRef?.kind === 'Pod' && endpoint.targetRef.name) found.push({ podName: endpoint.targetRef.name, port });
    }
  }
  return found;
}

async function endpointsFromEndpoints(
  kube: Kube,
  namespace: string,
  serviceName: string,
  servicePort: ServicePortSpec,
  signal?: AbortSignal,
): Promise<ServiceEndpoint[] | undefined> {
  let endpoints: Endpoints | null;
  try {
    endpoints = await kube.get<Endpoints>({ apiVersion: 'v1', kind: 'Endpoints', namespace, name: serviceName }, { signal });
  } catch (error) {
    if (error instanceof KubeError && error.status === 403) return undefined;
    throw error;
  }
  if (!endpoints) return undefined;
  const found: ServiceEndpoint[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = (subset.ports ?? []).find((p) => (p.name ?? '') === (servicePort.name ?? ''))?.port ?? (subset.ports?.length === 1 ? subset.ports[0].port : undefined);
    if (port === undefined) continue;
    for (const address of subset.addresses ?? []) {
      if (address.targetRef?.kind === 'Pod' && address.targetRef.name) found.push({ podName: address.targetRef.name, port });
    }
  }
  return found;
}

async function endpointsFromSelector(kube: Kube, namespace: string, service: Service, servicePort: ServicePortSpec, signal?: AbortSignal): Promise<ServiceEndpoint[]> {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const labelSelector = Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const pods = (await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod' }, { namespace, labelSelector, signal })).items;
  const found: ServiceEndpoint[] = [];
  for (const pod of pods) {
    const ready = pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || pod.metadata.deletionTimestamp) continue;
    const port = containerPortFor(pod, servicePort);
    if (port !== undefined) found.push({ podName: pod.metadata.name, port });
  }
  return found;
}

/** The container port a service port targets on a pod: a number as is, a name looked up, none = the service port. */
export function containerPortFor(pod: Pod, servicePort: ServicePortSpec): number | undefined {
  const target = servicePort.targetPort;
  if (target === undefined || target === 0 || target === '') return servicePort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of pod.spec?.containers ?? []) {
    const named = (container.ports ?? []).find((p) => p.name === target);
    if (named) return named.containerPort;
  }
  return undefined;
}

function sortByPod(list: ServiceEndpoint[]): ServiceEndpoint[] {
  const seen = new Set<string>();
  return list
    .filter((e) => (seen.has(e.podName) ? false : (seen.add(e.podName), true)))
    .sort((a, b) => a.podName.localeCompare(b.podName, undefined, { numeric: true }));
}
