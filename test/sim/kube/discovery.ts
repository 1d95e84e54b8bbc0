/**
 * API discovery documents derived from the ResourceRegistry: the legacy ones (`/api`, `/apis`, `/api/v1`,
 * `/apis/<group>[/<version>]`) and the aggregated `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList` that kubectl
 * ≥ 1.30 and client-go ask `/api` and `/apis` for first.
 */
import type { ResourceDef, ResourceRegistry } from './resources.ts';
import { joinApiVersion } from './resources.ts';

interface SubresourceInfo {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

/** What each subresource answers with, as the real API server declares it. */
function subresourceInfo(resource: ResourceDef, sub: string): SubresourceInfo {
  switch (sub) {
    case 'status': return { name: sub, kind: resource.kind, verbs: ['get', 'patch', 'update'] };
    case 'scale': return { name: sub, kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
    case 'portforward': return { name: sub, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'exec': return { name: sub, kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach': return { name: sub, kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'log': return { name: sub, kind: 'Pod', verbs: ['get'] };
    case 'eviction': return { name: sub, kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] };
    case 'binding': return { name: sub, kind: 'Binding', verbs: ['create'] };
    case 'ephemeralcontainers': return { name: sub, kind: resource.kind, verbs: ['get', 'patch', 'update'] };
    case 'proxy': return { name: sub, kind: resource.kind === 'Node' ? 'NodeProxyOptions' : 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    case 'finalize': return { name: sub, kind: 'Namespace', verbs: ['update'] };
    case 'token': return { name: sub, kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] };
    default: return { name: sub, kind: resource.kind, verbs: ['get'] };
  }
}

/** `/api` */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((v) => ({ groupVersion: joinApiVersion(group, v), version: v }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

/** `/apis` */
export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  const groups = [...registry.groups()].filter(([g]) => g !== '').map(([g, versions]) => groupDoc(g, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `/apis/<group>`, or undefined when no such group is served. */
export function apiGroup(registry: ResourceRegistry, group: string): Record<string, unknown> | undefined {
  const versions = registry.groups().get(group);
  if (!versions || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, versions) };
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined when that group/version is not served. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const served = registry.all().filter((r) => r.group === group && r.versions.includes(version));
  if (served.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of served) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    });
    for (const sub of r.subresources) {
      const info = subresourceInfo(r, sub);
      resources.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(info.group !== undefined ? { group: info.group, version: info.version } : {}),
        kind: info.kind,
        verbs: info.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: joinApiVersion(group, version), resources };
}

function discoveryResource(r: ResourceDef, version: string): Record<string, unknown> {
  return {
    resource: r.plural,
    responseKind: { group: r.group, version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    ...(r.subresources.length > 0 ? {
      subresources: r.subresources.map((sub) => {
        const info = subresourceInfo(r, sub);
        return { subresource: sub, responseKind: { group: info.group ?? r.group, version: info.version ?? version, kind: info.kind }, verbs: info.verbs };
      }),
    } : {}),
  };
}

/** The aggregated discovery document for `/api` (`core: true`) or `/apis`. */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): Record<string, unknown> {
  const items: Record<string, unknown>[] = [];
  for (const [group, versions] of registry.groups()) {
    if ((group === '') !== core) continue;
    items.push({
      metadata: group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
      versions: versions.map((version) => ({
        version,
        resources: registry.all().filter((r) => r.group === group && r.versions.includes(version)).map((r) => discoveryResource(r, version)),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

/** The Content-Type of an aggregated discovery answer. */
export const aggregatedDiscoveryContentType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
