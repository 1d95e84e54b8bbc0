import { TOPOLOGIES, type Topology } from '../core/model.ts';
import { UsageError } from '../errors.ts';
import { type ClusterSelection, DEFAULT_TIKV_SELECTOR } from './cluster-selection.ts';
import { defaultClientSecretName, type TlsSecretRef } from './cluster-tls.ts';
import type { DetectedCluster, PdLocation } from './detected-cluster.ts';
import { KINDS, PINGCAP_GROUPS } from './kinds.ts';
import { KubeError } from './kube-error.ts';
import type { ApiResource, KindRef, Kube, KubeObject, ObjectRef } from './kube.ts';

const PD_PORT = 2379;
const V2_CLUSTER_LABEL = 'pingcap.com/cluster';
const V2_COMPONENT_LABEL = 'pingcap.com/component';
const SEED_CLUSTER_LABEL = 'tikv.org/cluster';
const INSTANCE_LABEL = 'app.kubernetes.io/instance';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** One TiKV cluster that detection found, before it is read in full. */
interface Candidate {
  topology: Topology;
  name: string;
  /** Other names `--cluster` may use (a Helm release name for a StatefulSet). */
  aliases: string[];
  describe: string;
  build: () => Promise<DetectedCluster>;
}

type TidbCluster = KubeObject & {
  spec?: { tikv?: unknown; tlsCluster?: { enabled?: boolean }; cluster?: { name?: string; namespace?: string } };
};
type V2Cluster = KubeObject & {
  spec?: { tlsCluster?: { enabled?: boolean }; security?: { tls?: { client?: { name?: string; secretName?: string } } } };
  status?: { pd?: string };
};
type Group = KubeObject & { spec?: { cluster?: { name?: string } } };
type StatefulSet = KubeObject & { spec?: { selector?: { matchLabels?: Record<string, string> }; serviceName?: string } };
type Service = KubeObject & { spec?: { clusterIP?: string; ports?: { name?: string; port: number }[] } };

/**
 * Finds the TiKV cluster to drive in the client's namespace: the four topologies of topologies.md through API
 * discovery (TidbCluster `pingcap.com/v1alpha1`; `core.pingcap.com` Cluster + TiKVGroup; TiKVGroup/TiKV in any other
 * group, the seed's operator; plain StatefulSets by `--selector`), narrowed by `--topology` and `--cluster`. None,
 * or several, is a UsageError that lists what was looked for or found. Reads only; changes nothing.
 */
export async function detectCluster(kube: Kube, selection: ClusterSelection, options: { signal?: AbortSignal } = {}): Promise<DetectedCluster> {
  const namespace = kube.namespace;
  const signal = options.signal;
  const wanted = selection.topology ? [selection.topology] : [...TOPOLOGIES];
  const needsDiscovery = wanted.some((t) => t !== 'statefulset');
  const resources = needsDiscovery ? await kube.discover({ signal }) : [];
  const apis = servedApis(resources);

  if (selection.topology && selection.topology !== 'statefulset' && !apis[selection.topology]) {
    throw new UsageError(`--topology ${selection.topology} was given, but the API server does not serve its resources (${TOPOLOGY_KINDS[selection.topology]})`, {
      suggestions: ['Install the operator\'s CRDs, or let kubectl-tikv detect the topology (leave --topology out).'],
    });
  }

  const looked: string[] = [];
  const denied: KubeError[] = [];
  const finders: Record<Topology, () => Promise<Candidate[]>> = {
    'tidb-operator-v1': () => findV1(kube, namespace, selection, signal),
    'tidb-operator-v2': () => findV2(kube, namespace, selection, signal),
    'tikv-operator': () => findSeed(kube, namespace, apis['tikv-operator'] ?? [], selection, signal),
    statefulset: () => findStatefulSets(kube, namespace, selection, signal),
  };
  const searches = wanted
    .filter((topology) => topology === 'statefulset' || apis[topology])
    .map(async (topology) => {
      looked.push(LOOKED_FOR[topology](selection));
      try {
        return await finders[topology]();
      } catch (error) {
        // Missing RBAC for one kind must not hide a cluster of another; it is reported if nothing is found.
        if (error instanceof KubeError && error.status === 403 && !selection.topology) {
          denied.push(error);
          return [];
        }
        throw error;
      }
    });
  const all = (await Promise.all(searches)).flat();
  const matching = selection.clusterName ? all.filter((c) => c.name === selection.clusterName || c.aliases.includes(selection.clusterName as string)) : all;

  if (matching.length === 1) return matching[0].build();
  if (matching.length > 1) {
    throw new UsageError(`found ${matching.length} TiKV clusters in namespace "${namespace}": ${matching.map((c) => c.describe).join(', ')}`, {
      suggestions: [`Choose one with --cluster NAME (${matching.map((c) => c.name).join(', ')})${selection.topology ? '' : ', or narrow with --topology'}.`],
    });
  }
  if (denied.length > 0) throw denied[0];
  if (selection.clusterName && all.length > 0) {
    throw new UsageError(`no TiKV cluster named "${selection.clusterName}" in namespace "${namespace}"; found ${all.map((c) => c.describe).join(', ')}`, {
      suggestions: [`Use --cluster ${all[0].name}, or -n NAMESPACE for another namespace.`],
    });
  }
  const elsewhere = await namespacesWithClusters(kube, apis, signal);
  const named = selection.clusterName ? ` named "${selection.clusterName}"` : '';
  throw new UsageError(`no TiKV cluster${named} found in namespace "${namespace}"`, {
    suggestions: [
      `Looked for ${looked.join('; ')}.`,
      elsewhere.length > 0
        ? `TiKV clusters exist in namespace${elsewhere.length > 1 ? 's' : ''} ${elsewhere.map((n) => `"${n}"`).join(', ')}: use -n NAMESPACE.`
        : 'Use -n NAMESPACE for another namespace, or --selector/--topology if the pods are labelled differently.',
    ],
  });
}

const TOPOLOGY_KINDS: Record<Topology, string> = {
  'tidb-operator-v1': 'TidbCluster in pingcap.com',
  'tidb-operator-v2': 'Cluster and TiKVGroup in core.pingcap.com',
  'tikv-operator': 'TiKVGroup and TiKV in an API group of their own',
  statefulset: 'StatefulSets',
};

const LOOKED_FOR: Record<Topology, (selection: ClusterSelection) => string> = {
  'tidb-operator-v1': () => 'TidbClusters (tidb-operator v1)',
  'tidb-operator-v2': () => 'Clusters with TiKVGroups (tidb-operator v2)',
  'tikv-operator': () => 'TiKVGroups (tikv-operator)',
  statefulset: (selection) => `StatefulSets labelled ${selection.selector ?? DEFAULT_TIKV_SELECTOR}`,
};

/** Which topologies' kinds the API server serves; for the seed's operator, every group that serves TiKVGroup + TiKV. */
function servedApis(resources: ApiResource[]): Partial<Record<Topology, KindRef[]>> {
  const has = (group: string, kind: string) => resources.find((r) => r.group === group && r.kind === kind);
  const apis: Partial<Record<Topology, KindRef[]>> = {};
  const tc = has('pingcap.com', 'TidbCluster');
  if (tc) apis['tidb-operator-v1'] = [{ apiVersion: `${tc.group}/${tc.version}`, kind: 'TidbCluster' }];
  if (has('core.pingcap.com', 'Cluster') && has('core.pingcap.com', 'TiKVGroup')) apis['tidb-operator-v2'] = [KINDS.v2Cluster, KINDS.v2TikvGroup];
  const seedGroups = resources.filter(
    (r) => r.kind === 'TiKVGroup' && !PINGCAP_GROUPS.includes(r.group) && resources.some((i) => i.group === r.group && i.version === r.version && i.kind === 'TiKV'),
  );
  if (seedGroups.length > 0) apis['tikv-operator'] = seedGroups.map((r) => ({ apiVersion: `${r.group}/${r.version}`, kind: 'TiKVGroup' }));
  return apis;
}

// ——— tidb-operator v1 ———

async function findV1(kube: Kube, namespace: string, selection: ClusterSelection, signal?: AbortSignal): Promise<Candidate[]> {
  const { items } = await kube.list<TidbCluster>(KINDS.tidbCluster, { namespace, signal });
  return items
    .filter((tc) => tc.spec?.tikv !== undefined && tc.spec.tikv !== null)
    .map((tc) => ({
      topology: 'tidb-operator-v1' as const,
      name: tc.metadata.name,
      aliases: [],
      describe: `tidb-operator-v1 TidbCluster "${tc.metadata.name}"`,
      build: async () => {
        const name = tc.metadata.name;
        // A TidbCluster with spec.cluster joins another cluster's PD.
        const pdCluster = tc.spec?.cluster?.name ?? name;
        const pdNamespace = tc.spec?.cluster?.name ? (tc.spec.cluster.namespace ?? namespace) : namespace;
        const tls = tc.spec?.tlsCluster?.enabled === true ? { namespace, name: defaultClientSecretName(name) } : undefined;
        return {
          ref: { topology: 'tidb-operator-v1', namespace, name },
          description: `TidbCluster "${name}"`,
          object: { ...KINDS.tidbCluster, namespace, name },
          statefulSet: { ...KINDS.statefulSet, namespace, name: `${name}-tikv` },
          tikvGroups: [],
          tikvPodSelector: `app.kubernetes.io/managed-by=tidb-operator,${INSTANCE_LABEL}=${name},${COMPONENT_LABEL}=tikv`,
          pd: pdLocation(selection, { namespace: pdNamespace, service: `${pdCluster}-pd`, port: PD_PORT, scheme: tls ? 'https' : 'http' }),
          ...(tls ? { tls } : {}),
        };
      },
    }));
}

// ——— tidb-operator v2 ———

async function findV2(kube: Kube, namespace: string, selection: ClusterSelection, signal?: AbortSignal): Promise<Candidate[]> {
  const [clusters, groups] = await Promise.all([
    kube.list<V2Cluster>(KINDS.v2Cluster, { namespace, signal }),
    kube.list<Group>(KINDS.v2TikvGroup, { namespace, signal }),
  ]);
  return clusters.items
    .map((cluster) => ({ cluster, groups: groups.items.filter((g) => g.spec?.cluster?.name === cluster.metadata.name) }))
    .filter(({ groups: own }) => own.length > 0)
    .map(({ cluster, groups: own }) => ({
      topology: 'tidb-operator-v2' as const,
      name: cluster.metadata.name,
      aliases: [],
      describe: `tidb-operator-v2 Cluster "${cluster.metadata.name}"`,
      build: async () => {
        const name = cluster.metadata.name;
        const tlsOn = cluster.spec?.tlsCluster?.enabled === true;
        const client = cluster.spec?.security?.tls?.client;
        const tls = tlsOn ? { namespace, name: client?.name ?? client?.secretName ?? defaultClientSecretName(name) } : undefined;
        let service: { namespace: string; service: string; port: number; scheme: 'http' | 'https' };
        if (cluster.status?.pd) {
          service = serviceFromUrl(cluster.status.pd, namespace);
        } else {
          const pdGroups = await kube.list<Group>(KINDS.v2PdGroup, { namespace, signal });
          const pdGroup = pdGroups.items.find((g) => g.spec?.cluster?.name === name);
          service = { namespace, service: `${pdGroup?.metadata.name ?? 'pd'}-pd`, port: PD_PORT, scheme: tlsOn ? 'https' : 'http' };
        }
        return {
          ref: { topology: 'tidb-operator-v2', namespace, name },
          description: `Cluster "${name}" (TiKVGroup ${own.map((g) => `"${g.metadata.name}"`).join(', ')})`,
          object: { ...KINDS.v2Cluster, namespace, name },
          tikvGroups: own.map((g) => ({ ...KINDS.v2TikvGroup, namespace, name: g.metadata.name })),
          instanceKind: KINDS.v2Tikv,
          instanceSelector: `${V2_CLUSTER_LABEL}=${name},${V2_COMPONENT_LABEL}=tikv`,
          tikvPodSelector: `${V2_CLUSTER_LABEL}=${name},${V2_COMPONENT_LABEL}=tikv`,
          pd: pdLocation(selection, service),
          ...(tls ? { tls } : {}),
        };
      },
    }));
}

/** `http://pd-pd.tidb:2379` → service `pd-pd` in `tidb`, port 2379. */
function serviceFromUrl(url: string, namespace: string): { namespace: string; service: string; port: number; scheme: 'http' | 'https' } {
  const parsed = new URL(url);
  const [service, serviceNamespace] = parsed.hostname.split('.');
  const scheme = parsed.protocol === 'https:' ? 'https' : 'http';
  return { namespace: serviceNamespace || namespace, service, port: parsed.port ? Number(parsed.port) : PD_PORT, scheme };
}

// ——— the seed's tikv-operator ———

async function findSeed(kube: Kube, namespace: string, groupKinds: KindRef[], selection: ClusterSelection, signal?: AbortSignal): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  for (const groupKind of groupKinds) {
    const { items } = await kube.list<Group>(groupKind, { namespace, signal });
    const byCluster = new Map<string, Group[]>();
    for (const group of items) {
      const cluster = group.metadata.labels?.[SEED_CLUSTER_LABEL] ?? group.spec?.cluster?.name;
      if (!cluster) continue;
      byCluster.set(cluster, [...(byCluster.get(cluster) ?? []), group]);
    }
    const instanceKind = { apiVersion: groupKind.apiVersion, kind: 'TiKV' };
    for (const [name, groups] of byCluster) {
      candidates.push({
        topology: 'tikv-operator',
        name,
        aliases: groups.map((g) => g.metadata.name),
        describe: `tikv-operator cluster "${name}"`,
        build: async () => {
          const tls = await existingSecret(kube, namespace, defaultClientSecretName(name), signal);
          const service = (await findPdService(kube, namespace, [`${name}-pd`], `${SEED_CLUSTER_LABEL}=${name}`, signal)) ?? `${name}-pd`;
          return {
            ref: { topology: 'tikv-operator', namespace, name },
            description: `tikv-operator cluster "${name}" (TiKVGroup ${groups.map((g) => `"${g.metadata.name}"`).join(', ')})`,
            object: { ...groupKind, namespace, name: groups[0].metadata.name },
            tikvGroups: groups.map((g) => ({ ...groupKind, namespace, name: g.metadata.name })),
            instanceKind,
            instanceSelector: `${SEED_CLUSTER_LABEL}=${name}`,
            tikvPodSelector: `${SEED_CLUSTER_LABEL}=${name},${COMPONENT_LABEL}=tikv`,
            pd: pdLocation(selection, { namespace, service, port: PD_PORT, scheme: tls ? 'https' : 'http' }),
            ...(tls ? { tls } : {}),
          };
        },
      });
    }
  }
  return candidates;
}

// ——— plain StatefulSets ———

async function findStatefulSets(kube: Kube, namespace: string, selection: ClusterSelection, signal?: AbortSignal): Promise<Candidate[]> {
  const labelSelector = selection.selector ?? DEFAULT_TIKV_SELECTOR;
  const { items } = await kube.list<StatefulSet>(KINDS.statefulSet, { namespace, labelSelector, signal });
  // StatefulSets an operator owns (tidb-operator v1's `<tc>-tikv`) belong to that topology.
  return items
    .filter((sts) => !(sts.metadata.ownerReferences ?? []).some((o) => o.controller))
    .map((sts) => {
      const name = sts.metadata.name;
      const release = sts.metadata.labels?.[INSTANCE_LABEL];
      return {
        topology: 'statefulset' as const,
        name,
        aliases: release && release !== name ? [release] : [],
        describe: `statefulset "${name}"`,
        build: async () => {
          const matchLabels = sts.spec?.selector?.matchLabels ?? {};
          const podSelector = Object.entries(matchLabels)
            .map(([key, value]) => `${key}=${value}`)
            .join(',');
          const clusterName = release ?? name.replace(/-tikv$/, '');
          const tls = await existingSecret(kube, namespace, defaultClientSecretName(clusterName), signal);
          const pdSelector = release ? `${COMPONENT_LABEL}=pd,${INSTANCE_LABEL}=${release}` : `${COMPONENT_LABEL}=pd`;
          const service =
            selection.pdService ?? (await findPdService(kube, namespace, [`${clusterName}-pd`], pdSelector, signal)) ?? (await findPdService(kube, namespace, [], `${COMPONENT_LABEL}=pd`, signal));
          if (!service && !selection.pdUrl) {
            throw new UsageError(`found the TiKV StatefulSet "${name}" but no PD service in namespace "${namespace}"`, {
              suggestions: ['Name it with --pd-service NAME, or reach PD with --pd-url URL.'],
            });
          }
          return {
            ref: { topology: 'statefulset', namespace, name },
            description: `StatefulSet "${name}"`,
            object: { ...KINDS.statefulSet, namespace, name },
            statefulSet: { ...KINDS.statefulSet, namespace, name },
            tikvGroups: [],
            tikvPodSelector: podSelector || labelSelector,
            tikvPodOwner: { kind: 'StatefulSet', name },
            pd: pdLocation(selection, { namespace, service: service ?? '', port: PD_PORT, scheme: tls ? 'https' : 'http' }),
            ...(tls ? { tls } : {}),
          };
        },
      };
    });
}

/**
 * PD's client service: the first of `names` that exists, else a service matching `labelSelector`, preferring one
 * with a cluster IP (the client service) over a headless one (the peer service) and one with port 2379.
 */
async function findPdService(kube: Kube, namespace: string, names: string[], labelSelector: string, signal?: AbortSignal): Promise<string | undefined> {
  for (const name of names) {
    if (await kube.get({ ...KINDS.service, namespace, name }, { signal })) return name;
  }
  const { items } = await kube.list<Service>(KINDS.service, { namespace, labelSelector, signal });
  const score = (s: Service) => (s.spec?.clusterIP === 'None' ? 0 : 2) + ((s.spec?.ports ?? []).some((p) => p.port === PD_PORT) ? 1 : 0);
  const best = [...items].sort((a, b) => score(b) - score(a) || a.metadata.name.localeCompare(b.metadata.name))[0];
  return best?.metadata.name;
}

/**
 * The client secret, when it exists: for topologies without a TLS switch in a CR, its presence means cluster TLS. A
 * user without `get secrets` most likely runs without TLS; should PD speak https, its connection error says so.
 */
async function existingSecret(kube: Kube, namespace: string, name: string, signal?: AbortSignal): Promise<TlsSecretRef | undefined> {
  try {
    const secret = await kube.get({ ...KINDS.secret, namespace, name }, { signal });
    return secret ? { namespace, name } : undefined;
  } catch (error) {
    if (error instanceof KubeError && error.status === 403) return undefined;
    throw error;
  }
}

/** `--pd-url` wins, then `--pd-service` (same namespace and port), then what the topology says. */
function pdLocation(selection: ClusterSelection, found: { namespace: string; service: string; port: number; scheme: 'http' | 'https' }): PdLocation {
  if (selection.pdUrl) return { kind: 'url', url: selection.pdUrl };
  return { kind: 'service', ...found, service: selection.pdService ?? found.service };
}

/** Namespaces where an operator's clusters exist, for the "none here" message; best effort (RBAC may not allow it). */
async function namespacesWithClusters(kube: Kube, apis: Partial<Record<Topology, KindRef[]>>, signal?: AbortSignal): Promise<string[]> {
  const kinds: KindRef[] = [...(apis['tidb-operator-v1'] ?? []), ...(apis['tidb-operator-v2'] ? [KINDS.v2TikvGroup] : []), ...(apis['tikv-operator'] ?? [])];
  const found = new Set<string>();
  await Promise.all(
    kinds.map(async (kind) => {
      try {
        const { items } = await kube.list(kind, { signal });
        for (const item of items) if (item.metadata.namespace) found.add(item.metadata.namespace);
      } catch (error) {
        if (!(error instanceof KubeError)) throw error;
      }
    }),
  );
  return [...found].sort();
}

/** The object a detected cluster is defined by, for messages: `TidbCluster tidb/basic`. */
export function describeObject(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
