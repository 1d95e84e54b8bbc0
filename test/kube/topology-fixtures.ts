import type { KubeObject } from '../../src/kube/kube.ts';
import { crdObject, TIDB_CLUSTER_CRD, TIDB_OPERATOR_V2_CRDS, TIKV_OPERATOR_CRDS } from '../sim/controllers/crds.ts';
import { helmReleaseObjects, pdObjects } from '../sim/controllers/helm-statefulsets.ts';
import type { ObjectStore } from '../sim/kube/object-store.ts';

/**
 * The objects each topology of topologies.md leaves in a namespace, created straight in the ObjectStore (no
 * operator runs): enough for detection and the readers, which only read.
 */

function tikvPod(name: string, namespace: string, labels: Record<string, string>, extra: { storeId?: number; owner?: { apiVersion: string; kind: string; name: string; uid: string }; subdomain?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { ...labels, ...(extra.storeId !== undefined ? { 'tidb.pingcap.com/store-id': String(extra.storeId) } : {}) },
      ...(extra.owner ? { ownerReferences: [{ ...extra.owner, controller: true }] } : {}),
    },
    spec: {
      nodeName: 'node-1',
      hostname: name,
      ...(extra.subdomain ? { subdomain: extra.subdomain } : {}),
      containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0', ports: [{ name: 'status', containerPort: 20180 }] }],
    },
  };
}

/** tidb-operator v1: a TidbCluster, its PD service, its TiKV StatefulSet (owned by the TidbCluster) and pods. */
export function addV1(store: ObjectStore, namespace: string, name: string, options: { tls?: boolean; stores?: number } = {}): KubeObject {
  if (!store.list({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }).items.some((c) => c.metadata.name === 'tidbclusters.pingcap.com')) {
    store.create(crdObject(TIDB_CLUSTER_CRD));
  }
  const tc: KubeObject = store.create({
    apiVersion: 'pingcap.com/v1alpha1',
    kind: 'TidbCluster',
    metadata: { name, namespace },
    spec: { version: 'v8.5.0', pd: { replicas: 1 }, tikv: { replicas: options.stores ?? 3 }, ...(options.tls ? { tlsCluster: { enabled: true } } : {}) },
  });
  const labels = { 'app.kubernetes.io/name': 'tidb-cluster', 'app.kubernetes.io/managed-by': 'tidb-operator', 'app.kubernetes.io/instance': name };
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `${name}-pd`, namespace, labels: { ...labels, 'app.kubernetes.io/component': 'pd' } },
    spec: { selector: { ...labels, 'app.kubernetes.io/component': 'pd' }, ports: [{ name: 'client', port: 2379, targetPort: 2379 }] },
  });
  const owner = { apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster', name, uid: tc.metadata.uid as string };
  const tikvLabels = { ...labels, 'app.kubernetes.io/component': 'tikv' };
  const sts: KubeObject = store.create({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `${name}-tikv`, namespace, labels: tikvLabels, ownerReferences: [{ ...owner, controller: true }] },
    spec: { replicas: options.stores ?? 3, serviceName: `${name}-tikv-peer`, selector: { matchLabels: tikvLabels }, template: { metadata: { labels: tikvLabels }, spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] } } },
  });
  for (let i = 0; i < (options.stores ?? 3); i++) {
    store.create(
      tikvPod(`${name}-tikv-${i}`, namespace, tikvLabels, {
        storeId: i + 1,
        owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid: sts.metadata.uid as string },
        subdomain: `${name}-tikv-peer`,
      }),
    );
  }
  return tc;
}

/** tidb-operator v2: Cluster, PDGroup, TiKVGroup, TiKV instances and their pods. */
export function addV2(store: ObjectStore, namespace: string, name: string, options: { tls?: boolean; clientSecret?: string; statusPd?: boolean } = {}): void {
  for (const crd of TIDB_OPERATOR_V2_CRDS) {
    if (!store.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, `${crd.plural}.${crd.group}`)) store.create(crdObject(crd));
  }
  const api = 'core.pingcap.com/v1alpha1';
  store.create({
    apiVersion: api,
    kind: 'Cluster',
    metadata: { name, namespace },
    spec: {
      ...(options.tls ? { tlsCluster: { enabled: true } } : {}),
      ...(options.clientSecret ? { security: { tls: { client: { name: options.clientSecret } } } } : {}),
    },
  });
  if (options.statusPd !== false) {
    store.mutate({ apiVersion: api, kind: 'Cluster' }, namespace, name, (c) => (c.status = { pd: `${options.tls ? 'https' : 'http'}://${name}-pd-pd.${namespace}:2379` }), { subresource: 'status' });
  }
  store.create({ apiVersion: api, kind: 'PDGroup', metadata: { name: `${name}-pd`, namespace }, spec: { cluster: { name }, replicas: 1, template: { spec: { version: 'v8.5.0' } } } });
  store.create({ apiVersion: api, kind: 'TiKVGroup', metadata: { name: `${name}-tikv`, namespace }, spec: { cluster: { name }, replicas: 2, template: { spec: { version: 'v8.5.0' } } } });
  for (const [i, suffix] of ['abc123', 'def456'].entries()) {
    const instance = `${name}-tikv-${suffix}`;
    const labels = {
      'pingcap.com/managed-by': 'tidb-operator',
      'pingcap.com/cluster': name,
      'pingcap.com/component': 'tikv',
      'pingcap.com/group': `${name}-tikv`,
      'pingcap.com/instance': instance,
    };
    store.create({ apiVersion: api, kind: 'TiKV', metadata: { name: instance, namespace, labels }, spec: { cluster: { name }, version: 'v8.5.0' } });
    store.mutate(
      { apiVersion: api, kind: 'TiKV' },
      namespace,
      instance,
      (t) => (t.status = { id: String(i + 4), state: 'Serving', conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }, { type: 'LeadersEvicted', status: 'False', reason: 'NotEvicted' }] }),
      { subresource: 'status' },
    );
    store.create(tikvPod(`${name}-tikv-tikv-${suffix}`, namespace, { ...labels, 'app.kubernetes.io/component': 'tikv' }, { storeId: i + 4 }));
  }
}

/** The seed's tikv-operator: TiKVGroup/TiKV in core.tikv.org, PD from a Helm-style StatefulSet. */
export function addSeed(store: ObjectStore, namespace: string, cluster: string): void {
  for (const crd of TIKV_OPERATOR_CRDS) {
    if (!store.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, `${crd.plural}.${crd.group}`)) store.create(crdObject(crd));
  }
  const api = 'core.tikv.org/v1alpha1';
  for (const object of pdObjects({ release: cluster, namespace, pdReplicas: 1, tikvReplicas: 0, pdVersion: 'v8.5.0', tikvVersion: 'v8.5.0', extraLabels: { 'tikv.org/cluster': cluster } })) {
    store.create(object);
  }
  const labels = { 'tikv.org/cluster': cluster, 'tikv.org/component': 'tikv', 'tikv.org/group': `${cluster}-tikv`, 'app.kubernetes.io/component': 'tikv', 'app.kubernetes.io/instance': cluster };
  store.create({ apiVersion: api, kind: 'TiKVGroup', metadata: { name: `${cluster}-tikv`, namespace, labels }, spec: { cluster: { name: cluster }, replicas: 2, template: { spec: { version: 'v8.5.0' } } } });
  for (let i = 0; i < 2; i++) {
    const name = `${cluster}-tikv-${i}`;
    store.create({ apiVersion: api, kind: 'TiKV', metadata: { name, namespace, labels: { ...labels, 'tikv.org/instance': name } }, spec: { cluster: { name: cluster }, version: 'v8.5.0' } });
    store.mutate({ apiVersion: api, kind: 'TiKV' }, namespace, name, (t) => (t.status = { id: String(i + 1), conditions: [{ type: 'Ready', status: 'True' }] }), { subresource: 'status' });
    store.create(tikvPod(name, namespace, { ...labels, 'tikv.org/instance': name }, { subdomain: `${cluster}-tikv-peer` }));
  }
}

/** A plain Helm-style release: PD and TiKV StatefulSets and services, no operator. */
export function addStatefulSets(store: ObjectStore, namespace: string, release: string): void {
  for (const object of helmReleaseObjects({ release, namespace, pdReplicas: 1, tikvReplicas: 3, pdVersion: 'v8.5.0', tikvVersion: 'v8.5.0' })) store.create(object);
}

/** A secret holding a client certificate (ca.crt, tls.crt, tls.key). */
export function addClientSecret(store: ObjectStore, namespace: string, name: string, pem: { ca: string; cert: string; key: string }): void {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  store.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'ca.crt': b64(pem.ca), 'tls.crt': b64(pem.cert), 'tls.key': b64(pem.key) },
  });
}
