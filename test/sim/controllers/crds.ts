import type { KubeObject } from '../../../src/kube/kube.ts';

/** An `additionalPrinterColumns` entry of a CRD version. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date' | 'number';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** What a CRD declares, as much as the simulated API server serves. */
export interface CrdSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
  /** Whether `status` is a subresource (tidb-operator v1's TidbCluster has none: status goes with the object). */
  statusSubresource: boolean;
  /** `scale` subresource paths, when the kind has one. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  columns: PrinterColumn[];
}

/** The `CustomResourceDefinition` object for a CrdSpec (apiextensions.k8s.io/v1). */
export function crdObject(spec: CrdSpec): KubeObject {
  const subresources: Record<string, unknown> = {};
  if (spec.statusSubresource) subresources.status = {};
  if (spec.scale) subresources.scale = { ...spec.scale };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${spec.plural}.${spec.group}` },
    spec: {
      group: spec.group,
      names: {
        kind: spec.kind,
        listKind: `${spec.kind}List`,
        plural: spec.plural,
        singular: spec.singular,
        ...(spec.shortNames?.length ? { shortNames: spec.shortNames } : {}),
        ...(spec.categories?.length ? { categories: spec.categories } : {}),
      },
      scope: 'Namespaced',
      versions: [
        {
          name: spec.version,
          served: true,
          storage: true,
          additionalPrinterColumns: spec.columns,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources,
        },
      ],
    },
  };
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** tidb-operator v1 (release-1.6): `tidbclusters.pingcap.com`, short `tc`, no status subresource. */
export const TIDB_CLUSTER_CRD: CrdSpec = {
  group: 'pingcap.com',
  version: 'v1alpha1',
  kind: 'TidbCluster',
  plural: 'tidbclusters',
  singular: 'tidbcluster',
  shortNames: ['tc'],
  statusSubresource: false,
  columns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'PD', type: 'string', jsonPath: '.status.pd.image', description: 'The image for PD cluster' },
    { name: 'Storage', type: 'string', jsonPath: '.spec.pd.requests.storage', description: 'The storage size specified for PD node' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.pd.statefulSet.readyReplicas', description: 'The ready replicas number of PD cluster' },
    { name: 'Desire', type: 'integer', jsonPath: '.spec.pd.replicas', description: 'The desired replicas number of PD cluster' },
    { name: 'TiKV', type: 'string', jsonPath: '.status.tikv.image', description: 'The image for TiKV cluster' },
    { name: 'Storage', type: 'string', jsonPath: '.spec.tikv.requests.storage', description: 'The storage size specified for TiKV node' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.tikv.statefulSet.readyReplicas', description: 'The ready replicas number of TiKV cluster' },
    { name: 'Desire', type: 'integer', jsonPath: '.spec.tikv.replicas', description: 'The desired replicas number of TiKV cluster' },
    { name: 'TiDB', type: 'string', jsonPath: '.status.tidb.image', description: 'The image for TiDB cluster' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.tidb.statefulSet.readyReplicas', description: 'The ready replicas number of TiDB cluster' },
    { name: 'Desire', type: 'integer', jsonPath: '.spec.tidb.replicas', description: 'The desired replicas number of TiDB cluster' },
    { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 },
    AGE,
  ],
};

const GROUP_COLUMNS: PrinterColumn[] = [
  { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' },
  { name: 'Desired', type: 'string', jsonPath: '.spec.replicas' },
  { name: 'Ready', type: 'string', jsonPath: '.status.readyReplicas' },
  { name: 'Updated', type: 'string', jsonPath: '.status.updatedReplicas' },
  { name: 'UpdateRevision', type: 'string', jsonPath: '.status.updateRevision' },
  { name: 'CurrentRevision', type: 'string', jsonPath: '.status.currentRevision' },
  { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  AGE,
];

const GROUP_SCALE = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' };

/** tidb-operator v2 (`core.pingcap.com/v1alpha1`): Cluster, PDGroup, PD, TiKVGroup (`kvg`), TiKV. */
export const TIDB_OPERATOR_V2_CRDS: CrdSpec[] = [
  {
    group: 'core.pingcap.com',
    version: 'v1alpha1',
    kind: 'Cluster',
    plural: 'clusters',
    singular: 'cluster',
    statusSubresource: true,
    columns: [
      { name: 'PD', type: 'integer', jsonPath: '.status.components[?(@.kind=="PD")].replicas' },
      { name: 'TiKV', type: 'integer', jsonPath: '.status.components[?(@.kind=="TiKV")].replicas' },
      { name: 'TiDB', type: 'integer', jsonPath: '.status.components[?(@.kind=="TiDB")].replicas' },
      { name: 'TiFlash', type: 'integer', jsonPath: '.status.components[?(@.kind=="TiFlash")].replicas' },
      { name: 'TiProxy', type: 'integer', jsonPath: '.status.components[?(@.kind=="TiProxy")].replicas' },
      { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' },
      AGE,
    ],
  },
  {
    group: 'core.pingcap.com',
    version: 'v1alpha1',
    kind: 'PDGroup',
    plural: 'pdgroups',
    singular: 'pdgroup',
    shortNames: ['pdg'],
    categories: ['group'],
    statusSubresource: true,
    scale: GROUP_SCALE,
    columns: GROUP_COLUMNS,
  },
  {
    group: 'core.pingcap.com',
    version: 'v1alpha1',
    kind: 'PD',
    plural: 'pds',
    singular: 'pd',
    categories: ['instance'],
    statusSubresource: true,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' },
      { name: 'Leader', type: 'string', jsonPath: '.status.isLeader' },
      { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      AGE,
    ],
  },
  {
    group: 'core.pingcap.com',
    version: 'v1alpha1',
    kind: 'TiKVGroup',
    plural: 'tikvgroups',
    singular: 'tikvgroup',
    shortNames: ['kvg'],
    categories: ['group'],
    statusSubresource: true,
    scale: GROUP_SCALE,
    columns: GROUP_COLUMNS,
  },
  {
    group: 'core.pingcap.com',
    version: 'v1alpha1',
    kind: 'TiKV',
    plural: 'tikvs',
    singular: 'tikv',
    categories: ['instance'],
    statusSubresource: true,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' },
      { name: 'StoreID', type: 'string', jsonPath: '.status.id' },
      { name: 'StoreState', type: 'string', jsonPath: '.status.state' },
      { name: 'Offline', type: 'boolean', jsonPath: '.spec.offline' },
      { name: 'Synced', type: 'string', jsonPath: '.status.conditions[?(@.type=="Synced")].status' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      AGE,
    ],
  },
];

/** The seed's tikv-operator: TiKVGroup and TiKV in their own group, `core.tikv.org/v1alpha1`. */
export const TIKV_OPERATOR_CRDS: CrdSpec[] = [
  {
    group: 'core.tikv.org',
    version: 'v1alpha1',
    kind: 'TiKVGroup',
    plural: 'tikvgroups',
    singular: 'tikvgroup',
    statusSubresource: true,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' },
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Version', type: 'string', jsonPath: '.spec.template.spec.version' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      AGE,
    ],
  },
  {
    group: 'core.tikv.org',
    version: 'v1alpha1',
    kind: 'TiKV',
    plural: 'tikvs',
    singular: 'tikv',
    statusSubresource: true,
    columns: [
      { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster.name' },
      { name: 'StoreID', type: 'string', jsonPath: '.status.id' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      AGE,
    ],
  },
];
