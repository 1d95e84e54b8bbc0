import type { ApiResource } from './kube.ts';

/** A GET of a discovery path: status and parsed body (404/503 are answers, not errors: a group may be unavailable). */
export type DiscoveryGet = (path: string, accept: string, signal?: AbortSignal) => Promise<{ status: number; body: unknown }>;

/** Aggregated discovery (Kubernetes ≥ 1.26 beta, 1.30 GA): every group and resource in two requests. */
const AGGREGATED_ACCEPT = [
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  'application/json',
].join(',');

const PLAIN_ACCEPT = 'application/json';

/** How many legacy group-version documents are fetched at once. */
const CONCURRENCY = 8;

/**
 * The resources the API server serves, as kubectl discovers them: aggregated discovery when the server offers it
 * (`/api` and `/apis` answer an APIGroupDiscoveryList), otherwise the legacy documents (`/api/v1`, `/apis`, then
 * `/apis/<group>/<version>` for every served version). Subresources are left out. A group whose document is
 * unavailable (an aggregated API server that is down answers 503) is skipped, as kubectl does with a warning.
 */
export async function discoverResources(get: DiscoveryGet, signal?: AbortSignal): Promise<ApiResource[]> {
  const [core, groups] = await Promise.all([get('/api', AGGREGATED_ACCEPT, signal), get('/apis', AGGREGATED_ACCEPT, signal)]);
  if (isAggregated(core.body) && isAggregated(groups.body)) {
    return [...fromAggregated(core.body, true), ...fromAggregated(groups.body, false)];
  }
  const versions: { group: string; version: string; path: string }[] = [];
  for (const version of ((core.body as { versions?: string[] } | undefined)?.versions ?? ['v1'])) {
    versions.push({ group: '', version, path: `/api/${version}` });
  }
  for (const group of ((groups.body as { groups?: { name: string; versions?: { version: string }[] }[] } | undefined)?.groups ?? [])) {
    for (const { version } of group.versions ?? []) versions.push({ group: group.name, version, path: `/apis/${group.name}/${version}` });
  }
  const resources: ApiResource[] = [];
  let next = 0;
  const worker = async () => {
    while (next < versions.length) {
      const item = versions[next++];
      const answer = await get(item.path, PLAIN_ACCEPT, signal);
      if (answer.status !== 200) continue;
      resources.push(...fromResourceList(answer.body, item.group, item.version));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, versions.length) }, worker));
  return resources;
}

interface AggregatedList {
  kind: 'APIGroupDiscoveryList';
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      freshness?: string;
      resources?: { resource: string; responseKind?: { kind?: string }; scope?: string; shortNames?: string[] }[];
    }[];
  }[];
}

function isAggregated(body: unknown): body is AggregatedList {
  return typeof body === 'object' && body !== null && (body as { kind?: string }).kind === 'APIGroupDiscoveryList';
}

function fromAggregated(list: AggregatedList, core: boolean): ApiResource[] {
  const resources: ApiResource[] = [];
  for (const item of list.items ?? []) {
    const group = core ? '' : (item.metadata?.name ?? '');
    for (const version of item.versions ?? []) {
      for (const resource of version.resources ?? []) {
        const kind = resource.responseKind?.kind;
        if (!kind || resource.resource.includes('/')) continue;
        resources.push({
          group,
          version: version.version,
          kind,
          plural: resource.resource,
          namespaced: resource.scope === 'Namespaced',
          shortNames: resource.shortNames ?? [],
        });
      }
    }
  }
  return resources;
}

function fromResourceList(body: unknown, group: string, version: string): ApiResource[] {
  const list = body as { resources?: { name: string; kind: string; namespaced: boolean; shortNames?: string[] }[] } | undefined;
  return (list?.resources ?? [])
    .filter((resource) => !resource.name.includes('/'))
    .map((resource) => ({
      group,
      version,
      kind: resource.kind,
      plural: resource.name,
      namespaced: resource.namespaced,
      shortNames: resource.shortNames ?? [],
    }));
}
