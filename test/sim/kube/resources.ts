/**
 * The resources the simulated API server serves: the built-in kinds kubectl-tikv and its operators touch, and the
 * custom resources registered by creating `CustomResourceDefinition` objects. Discovery documents, RBAC resource
 * names, error messages and URL routing are all derived from these definitions.
 */
import type { KindRef, KubeObject } from '../../../src/kube/kube.ts';

/** A printer column of a CRD version (`additionalPrinterColumns`). */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** One served resource (a kind in one group, served at one or more versions). */
export interface ResourceDef {
  group: string;
  /** Served versions, preferred (storage) first. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served besides the object itself (`status`, `portforward`, `log`, `eviction`, `scale` …). */
  subresources: string[];
  /** Whether `status` is a subresource: main-resource writes ignore status changes and vice versa. */
  statusSubresource: boolean;
  /** Whether `metadata.generation` is tracked (bumped on changes outside metadata and status). */
  tracksGeneration: boolean;
  /** Custom resources: JSON patch and merge patch only; unconditional updates rejected. */
  custom: boolean;
  /** CRD printer columns, by version. */
  printerColumns?: Record<string, PrinterColumn[]>;
  /** Field selector labels beyond metadata.name / metadata.namespace. */
  fieldLabels: string[];
  /** Where the `scale` subresource reads and writes (JSONPaths like `.spec.replicas`). */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

const workloadScale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' };

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(partial: Partial<ResourceDef> & Pick<ResourceDef, 'group' | 'versions' | 'kind' | 'plural'>): ResourceDef {
  return {
    singular: partial.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: allVerbs,
    subresources: [],
    statusSubresource: false,
    tracksGeneration: false,
    custom: false,
    fieldLabels: [],
    ...partial,
  };
}

/** The built-in kinds (Kubernetes 1.32) the simulator serves. */
export function builtinResources(): ResourceDef[] {
  return [
    def({ group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'finalize'], statusSubresource: true, fieldLabels: ['status.phase'] }),
    def({
      group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', shortNames: ['po'], categories: ['all'],
      subresources: ['status', 'portforward', 'log', 'exec', 'attach', 'eviction', 'binding', 'ephemeralcontainers'], statusSubresource: true,
      fieldLabels: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
    }),
    def({ group: '', versions: ['v1'], kind: 'Service', plural: 'services', shortNames: ['svc'], categories: ['all'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], subresources: ['status', 'proxy'], statusSubresource: true }),
    def({ group: '', versions: ['v1'], kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'] }),
    def({ group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', fieldLabels: ['type'] }),
    def({ group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] }),
    def({
      group: '', versions: ['v1'], kind: 'Event', plural: 'events', shortNames: ['ev'],
      fieldLabels: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
    }),
    def({ group: '', versions: ['v1'], kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'], statusSubresource: true, fieldLabels: ['spec.unschedulable'] }),
    def({ group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'], subresources: ['token'] }),
    def({ group: '', versions: ['v1'], kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', shortNames: ['pvc'], subresources: ['status'], statusSubresource: true }),
    def({ group: 'apps', versions: ['v1'], kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'], statusSubresource: true, tracksGeneration: true, scale: workloadScale }),
    def({ group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], statusSubresource: true, tracksGeneration: true, scale: workloadScale }),
    def({ group: 'apps', versions: ['v1'], kind: 'ReplicaSet', plural: 'replicasets', shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'], statusSubresource: true, tracksGeneration: true, scale: workloadScale }),
    def({ group: 'apps', versions: ['v1'], kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], categories: ['all'], subresources: ['status'], statusSubresource: true, tracksGeneration: true }),
    def({ group: 'apps', versions: ['v1'], kind: 'ControllerRevision', plural: 'controllerrevisions' }),
    def({ group: 'discovery.k8s.io', versions: ['v1'], kind: 'EndpointSlice', plural: 'endpointslices' }),
    def({ group: 'coordination.k8s.io', versions: ['v1'], kind: 'Lease', plural: 'leases' }),
    def({ group: 'events.k8s.io', versions: ['v1'], kind: 'Event', plural: 'events', shortNames: ['ev'] }),
    def({ group: 'policy', versions: ['v1'], kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], subresources: ['status'], statusSubresource: true, tracksGeneration: true }),
    def({ group: 'apiextensions.k8s.io', versions: ['v1'], kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'], statusSubresource: true, tracksGeneration: true }),
    def({ group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'Role', plural: 'roles', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }),
    def({ group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'RoleBinding', plural: 'rolebindings' }),
    def({ group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRole', plural: 'clusterroles', namespaced: false }),
    def({ group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false }),
    def({ group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'] }),
    def({ group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'] }),
  ];
}

/** `apps/v1` → `{group: 'apps', version: 'v1'}`; `v1` → core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function joinApiVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** Built-in kinds plus the custom resources of the CRDs created so far. */
export class ResourceRegistry {
  readonly #defs: ResourceDef[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(defs: ResourceDef[] = builtinResources()) {
    for (const d of defs) this.register(d);
  }

  /** Adds (or replaces, same group and plural) a resource. */
  register(resource: ResourceDef): void {
    const at = this.#defs.findIndex((d) => d.group === resource.group && d.plural === resource.plural);
    if (at >= 0) this.#defs[at] = resource;
    else this.#defs.push(resource);
    for (const l of this.#listeners) l();
  }

  unregister(group: string, plural: string): void {
    const at = this.#defs.findIndex((d) => d.group === group && d.plural === plural);
    if (at >= 0) this.#defs.splice(at, 1);
    for (const l of this.#listeners) l();
  }

  /** Every served resource. */
  all(): readonly ResourceDef[] {
    return this.#defs;
  }

  /** The resource of a kind at a served version, or undefined. */
  byKind(kind: KindRef): ResourceDef | undefined {
    const { group, version } = splitApiVersion(kind.apiVersion);
    return this.#defs.find((d) => d.group === group && d.kind === kind.kind && d.versions.includes(version));
  }

  /** Like byKind, but throws a 404 StatusError naming the kind. */
  require(kind: KindRef): ResourceDef {
    const found = this.byKind(kind);
    if (!found) {
      throw new Error(`no kind "${kind.kind}" is registered for version "${kind.apiVersion}"`);
    }
    return found;
  }

  /** The resource served at `/apis/<group>/<version>/<plural>`. */
  byPlural(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.#defs.find((d) => d.group === group && d.plural === plural && d.versions.includes(version));
  }

  /** Group → served versions (preferred first), in registration order; the core group is `''`. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.#defs) {
      const versions = out.get(d.group) ?? [];
      for (const v of d.versions) if (!versions.includes(v)) versions.push(v);
      out.set(d.group, versions);
    }
    return out;
  }

  /** Called after every change (the API server drops cached discovery). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The resource a `CustomResourceDefinition` (apiextensions.k8s.io/v1) declares, or a reason it declares none. */
export function resourceFromCrd(crd: KubeObject): ResourceDef {
  const spec = (crd.spec ?? {}) as {
    group?: string;
    scope?: string;
    names?: { plural?: string; singular?: string; kind?: string; shortNames?: string[]; categories?: string[] };
    versions?: {
      name: string;
      served?: boolean;
      storage?: boolean;
      subresources?: { status?: unknown; scale?: { specReplicasPath?: string; statusReplicasPath?: string; labelSelectorPath?: string } };
      additionalPrinterColumns?: PrinterColumn[];
      selectableFields?: { jsonPath: string }[];
    }[];
  };
  const names = spec.names ?? {};
  if (!spec.group || !names.plural || !names.kind) throw new Error('spec.group, spec.names.plural and spec.names.kind are required');
  const served = (spec.versions ?? []).filter((v) => v.served !== false);
  served.sort((a, b) => Number(b.storage === true) - Number(a.storage === true));
  const printerColumns: Record<string, PrinterColumn[]> = {};
  for (const v of served) if (v.additionalPrinterColumns) printerColumns[v.name] = v.additionalPrinterColumns;
  const storage = served[0];
  const subresources: string[] = [];
  if (storage?.subresources?.status !== undefined) subresources.push('status');
  if (storage?.subresources?.scale !== undefined) subresources.push('scale');
  return {
    group: spec.group,
    versions: served.map((v) => v.name),
    kind: names.kind,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    verbs: allVerbs,
    subresources,
    statusSubresource: subresources.includes('status'),
    tracksGeneration: true,
    custom: true,
    printerColumns,
    fieldLabels: (storage?.selectableFields ?? []).map((f) => f.jsonPath.replace(/^\./, '')),
    ...(storage?.subresources?.scale ? {
      scale: {
        specReplicasPath: storage.subresources.scale.specReplicasPath ?? '.spec.replicas',
        statusReplicasPath: storage.subresources.scale.statusReplicasPath ?? '.status.replicas',
        ...(storage.subresources.scale.labelSelectorPath ? { labelSelectorPath: storage.subresources.scale.labelSelectorPath } : {}),
      },
    } : {}),
  };
}
