import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History } from '../history.ts';
import { ObjectStore, StatusError, type StoreEvent } from './object-store.ts';

const Pod = { apiVersion: 'v1', kind: 'Pod' };
const StatefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const Secret = { apiVersion: 'v1', kind: 'Secret' };
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };
const TidbCluster = { apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster' };

function pod(name: string, labels: Record<string, string> = {}, namespace = 'tidb'): KubeObject {
  return { ...Pod, metadata: { name, namespace, labels }, spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] } };
}

function sts(name: string): KubeObject {
  return {
    ...StatefulSet,
    metadata: { name, namespace: 'tidb' },
    spec: {
      replicas: 3,
      serviceName: `${name}-peer`,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] } },
    },
  };
}

const tidbClusterCrd: KubeObject = {
  ...CRD,
  metadata: { name: 'tidbclusters.pingcap.com' },
  spec: {
    group: 'pingcap.com',
    scope: 'Namespaced',
    names: { plural: 'tidbclusters', singular: 'tidbcluster', kind: 'TidbCluster', shortNames: ['tc'] },
    versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

function statusError(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof StatusError, `expected a StatusError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a StatusError');
}

function collect(store: ObjectStore, kind: typeof Pod, options: Parameters<ObjectStore['watch']>[1] = {}) {
  const events: StoreEvent[] = [];
  const stop = store.watch(kind, options, (e) => events.push(e));
  return { events, stop };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ObjectStore', () => {
  describe('create and get', () => {
    it('assigns uid, resourceVersion and creationTimestamp, and defaults a pod like the API server', () => {
      const store = new ObjectStore();
      const created = store.create(pod('basic-tikv-0'));
      assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
      assert.match(created.metadata.resourceVersion!, /^\d+$/);
      assert.match(created.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(created.status, { phase: 'Pending', qosClass: 'BestEffort' });
      const spec = created.spec as { restartPolicy: string; terminationGracePeriodSeconds: number; containers: { imagePullPolicy: string }[] };
      assert.equal(spec.restartPolicy, 'Always');
      assert.equal(spec.terminationGracePeriodSeconds, 30);
      assert.equal(spec.containers[0].imagePullPolicy, 'IfNotPresent');
      assert.deepEqual(store.get(Pod, 'tidb', 'basic-tikv-0'), created);
    });

    it('hands out one increasing resourceVersion across kinds', () => {
      const store = new ObjectStore();
      const a = Number(store.create(pod('a')).metadata.resourceVersion);
      const b = Number(store.create(sts('b')).metadata.resourceVersion);
      const c = Number(store.create(pod('c')).metadata.resourceVersion);
      assert.ok(a < b && b < c);
    });

    it('returns deep copies: mutating a result does not change the store', () => {
      const store = new ObjectStore();
      const created = store.create(pod('p'));
      created.metadata.labels!.changed = 'yes';
      const fetched = store.get(Pod, 'tidb', 'p')!;
      assert.equal(fetched.metadata.labels!.changed, undefined);
      fetched.metadata.labels!.again = 'yes';
      assert.equal(store.get(Pod, 'tidb', 'p')!.metadata.labels!.again, undefined);
    });

    it('rejects a duplicate with 409 AlreadyExists worded as Kubernetes does', () => {
      const store = new ObjectStore();
      store.create(sts('basic-tikv'));
      const error = statusError(() => store.create(sts('basic-tikv')));
      assert.equal(error.code, 409);
      assert.equal(error.status.reason, 'AlreadyExists');
      assert.equal(error.message, 'statefulsets.apps "basic-tikv" already exists');
      assert.deepEqual(error.status.details, { name: 'basic-tikv', group: 'apps', kind: 'statefulsets' });
    });

    it('rejects an invalid name with 422 Invalid', () => {
      const store = new ObjectStore();
      const error = statusError(() => store.create(pod('Bad_Name')));
      assert.equal(error.code, 422);
      assert.equal(error.status.reason, 'Invalid');
      assert.match(error.message, /^Pod "Bad_Name" is invalid: metadata.name: Invalid value/);
    });

    it('fills generateName with a random suffix', () => {
      const store = new ObjectStore();
      const created = store.create({ ...Pod, metadata: { name: '', generateName: 'tikv-', namespace: 'tidb' } as KubeObject['metadata'], spec: { containers: [{ name: 'c', image: 'x:1' }] } });
      assert.match(created.metadata.name, /^tikv-[a-z0-9]{5}$/);
    });

    it('creates a missing namespace for in-process callers but answers 404 when strict', () => {
      const store = new ObjectStore();
      store.create(pod('p', {}, 'auto-ns'));
      assert.ok(store.get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, 'auto-ns'));
      const error = statusError(() => store.create(pod('q', {}, 'missing'), { strictNamespace: true }));
      assert.equal(error.code, 404);
      assert.equal(error.message, 'namespaces "missing" not found');
    });

    it('answers 404 for an unknown kind', () => {
      const store = new ObjectStore();
      const error = statusError(() => store.get(TidbCluster, 'tidb', 'basic'));
      assert.equal(error.code, 404);
      assert.match(error.message, /no matches for kind "TidbCluster" in version "pingcap.com\/v1alpha1"/);
    });

    it('folds Secret stringData into base64 data and defaults the type', () => {
      const store = new ObjectStore();
      const created = store.create<KubeObject>({ ...Secret, metadata: { name: 's', namespace: 'tidb' }, stringData: { 'ca.crt': 'PEM' } });
      assert.equal(created.type, 'Opaque');
      assert.deepEqual(created.data, { 'ca.crt': Buffer.from('PEM').toString('base64') });
      assert.equal(created.stringData, undefined);
    });
  });

  describe('list with selectors', () => {
    function seeded(): ObjectStore {
      const store = new ObjectStore();
      store.create(pod('basic-tikv-0', { 'app.kubernetes.io/component': 'tikv', 'app.kubernetes.io/instance': 'basic', tier: '1' }));
      store.create(pod('basic-tikv-1', { 'app.kubernetes.io/component': 'tikv', 'app.kubernetes.io/instance': 'basic', tier: '3' }));
      store.create(pod('basic-pd-0', { 'app.kubernetes.io/component': 'pd', 'app.kubernetes.io/instance': 'basic' }));
      store.create(pod('other-tikv-0', { 'app.kubernetes.io/component': 'tikv', 'app.kubernetes.io/instance': 'other' }, 'other'));
      return store;
    }
    const names = (store: ObjectStore, options: Parameters<ObjectStore['list']>[1]) => store.list(Pod, options).items.map((p) => p.metadata.name);

    it('filters by namespace and sorts by name', () => {
      assert.deepEqual(names(seeded(), { namespace: 'tidb' }), ['basic-pd-0', 'basic-tikv-0', 'basic-tikv-1']);
      assert.deepEqual(names(seeded(), {}), ['other-tikv-0', 'basic-pd-0', 'basic-tikv-0', 'basic-tikv-1'], 'namespace "other" sorts before "tidb"');
    });

    it('supports equality, inequality, set, existence and numeric label requirements', () => {
      const store = seeded();
      assert.deepEqual(names(store, { labelSelector: 'app.kubernetes.io/component=tikv,app.kubernetes.io/instance==basic' }), ['basic-tikv-0', 'basic-tikv-1']);
      assert.deepEqual(names(store, { namespace: 'tidb', labelSelector: 'app.kubernetes.io/component!=tikv' }), ['basic-pd-0']);
      assert.deepEqual(names(store, { labelSelector: 'app.kubernetes.io/instance in (other, nobody)' }), ['other-tikv-0']);
      assert.deepEqual(names(store, { namespace: 'tidb', labelSelector: 'app.kubernetes.io/component notin (tikv)' }), ['basic-pd-0']);
      assert.deepEqual(names(store, { labelSelector: 'tier' }), ['basic-tikv-0', 'basic-tikv-1']);
      assert.deepEqual(names(store, { namespace: 'tidb', labelSelector: '!tier' }), ['basic-pd-0']);
      assert.deepEqual(names(store, { labelSelector: 'tier>2' }), ['basic-tikv-1']);
    });

    it('rejects a malformed label selector with 400', () => {
      const error = statusError(() => seeded().list(Pod, { labelSelector: 'a in (b' }));
      assert.equal(error.code, 400);
      assert.equal(error.status.reason, 'BadRequest');
    });

    it('supports the pod field selectors and rejects unknown fields', () => {
      const store = seeded();
      store.mutate(Pod, 'tidb', 'basic-tikv-1', (p) => { p.status = { phase: 'Running' }; }, { subresource: 'status' });
      assert.deepEqual(names(store, { fieldSelector: 'status.phase=Running' }), ['basic-tikv-1']);
      assert.deepEqual(names(store, { namespace: 'tidb', fieldSelector: 'metadata.name!=basic-pd-0,status.phase!=Running' }), ['basic-tikv-0']);
      const error = statusError(() => store.list(Pod, { fieldSelector: 'spec.containers=x' }));
      assert.equal(error.code, 400);
      assert.match(error.message, /field label not supported: spec.containers/);
    });

    it('selects events by involvedObject and secrets by type', () => {
      const store = new ObjectStore();
      store.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'tidb' }, involvedObject: { kind: 'Pod', name: 'basic-tikv-0' }, reason: 'Killing' });
      store.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e2', namespace: 'tidb' }, involvedObject: { kind: 'Pod', name: 'basic-tikv-1' }, reason: 'Started' });
      assert.deepEqual(store.list({ apiVersion: 'v1', kind: 'Event' }, { fieldSelector: 'involvedObject.name=basic-tikv-0' }).items.map((e) => e.metadata.name), ['e1']);
      store.create({ ...Secret, metadata: { name: 'tls', namespace: 'tidb' }, type: 'kubernetes.io/tls', data: {} });
      store.create({ ...Secret, metadata: { name: 'plain', namespace: 'tidb' }, data: {} });
      assert.deepEqual(store.list(Secret, { fieldSelector: 'type=kubernetes.io/tls' }).items.map((e) => e.metadata.name), ['tls']);
    });
  });

  describe('update and optimistic concurrency', () => {
    it('rejects a stale resourceVersion with 409 Conflict', () => {
      const store = new ObjectStore();
      const first = store.create(sts('basic-tikv'));
      store.update({ ...first, metadata: { ...first.metadata, labels: { a: 'b' } } });
      const error = statusError(() => store.update({ ...first, metadata: { ...first.metadata, labels: { c: 'd' } } }));
      assert.equal(error.code, 409);
      assert.equal(error.status.reason, 'Conflict');
      assert.equal(error.message, 'Operation cannot be fulfilled on statefulsets.apps "basic-tikv": the object has been modified; please apply your changes to the latest version and try again');
    });

    it('bumps generation on spec changes only', () => {
      const store = new ObjectStore();
      const created = store.create(sts('basic-tikv'));
      assert.equal(created.metadata.generation, 1);
      const relabelled = store.patch(StatefulSet, 'tidb', 'basic-tikv', { metadata: { labels: { x: 'y' } } }, 'merge');
      assert.equal(relabelled.metadata.generation, 1);
      const scaled = store.patch(StatefulSet, 'tidb', 'basic-tikv', { spec: { replicas: 4 } }, 'merge');
      assert.equal(scaled.metadata.generation, 2);
    });

    it('keeps status on main-resource writes and everything else on status writes', () => {
      const store = new ObjectStore();
      store.create(sts('basic-tikv'));
      store.patch(StatefulSet, 'tidb', 'basic-tikv', { status: { replicas: 3, readyReplicas: 3 } }, 'merge', { subresource: 'status' });
      const ignored = store.patch(StatefulSet, 'tidb', 'basic-tikv', { status: { replicas: 9 }, spec: { replicas: 5 } }, 'merge');
      assert.equal((ignored.status as { replicas: number }).replicas, 3);
      assert.equal((ignored.spec as { replicas: number }).replicas, 5);
      const statusWrite = store.patch(StatefulSet, 'tidb', 'basic-tikv', { status: { readyReplicas: 2 }, spec: { replicas: 1 } }, 'merge', { subresource: 'status' });
      assert.equal((statusWrite.spec as { replicas: number }).replicas, 5);
      assert.equal((statusWrite.status as { readyReplicas: number }).readyReplicas, 2);
      assert.equal(statusWrite.metadata.generation, 2, 'status writes do not bump generation');
    });

    it('does not bump resourceVersion for a no-op update', () => {
      const store = new ObjectStore();
      const created = store.create(sts('basic-tikv'));
      const same = store.update(created);
      assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
    });

    it('rejects an unconditional update of a custom resource with 422', () => {
      const store = new ObjectStore();
      store.create(tidbClusterCrd);
      const tc = store.create<KubeObject>({ ...TidbCluster, metadata: { name: 'basic', namespace: 'tidb' }, spec: { version: 'v8.5.0' } });
      delete tc.metadata.resourceVersion;
      const error = statusError(() => store.update(tc));
      assert.equal(error.code, 422);
      assert.match(error.message, /metadata.resourceVersion: Invalid value: 0: must be specified for an update/);
    });

    it('forbids pod spec changes other than images', () => {
      const store = new ObjectStore();
      store.create(pod('p'));
      const imageChange = store.patch(Pod, 'tidb', 'p', { spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.1' }] } }, 'strategic');
      assert.equal((imageChange.spec as { containers: { image: string }[] }).containers[0].image, 'pingcap/tikv:v8.5.1');
      const error = statusError(() => store.patch(Pod, 'tidb', 'p', { spec: { hostname: 'other' } }, 'merge'));
      assert.equal(error.code, 422);
      assert.match(error.message, /pod updates may not change fields other than/);
    });

    it('validates StatefulSets: selector matching the template, immutable fields', () => {
      const store = new ObjectStore();
      const bad = sts('bad');
      (bad.spec as { selector: unknown }).selector = { matchLabels: { app: 'other' } };
      const error = statusError(() => store.create(bad));
      assert.equal(error.code, 422);
      assert.match(error.message, /spec.template.metadata.labels: Invalid value: .*`selector` does not match template `labels`/);
      store.create(sts('s'));
      const immutable = statusError(() => store.patch(StatefulSet, 'tidb', 's', { spec: { serviceName: 'other' } }, 'merge'));
      assert.equal(immutable.code, 422);
      assert.match(immutable.message, /updates to statefulset spec for fields other than/);
      store.patch(StatefulSet, 'tidb', 's', { spec: { replicas: 5, updateStrategy: { rollingUpdate: { partition: 5 } } } }, 'merge');
    });

    it('rejects Lease times without six fractional digits, as the API server cannot decode them', () => {
      const store = new ObjectStore();
      const Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
      const good = '2026-01-02T03:04:05.123456Z';
      store.create({ ...Lease, metadata: { name: 'kubectl-tikv', namespace: 'tidb' }, spec: { holderIdentity: 'a', acquireTime: good, renewTime: good, leaseDurationSeconds: 30 } });
      const error = statusError(() => store.patch(Lease, 'tidb', 'kubectl-tikv', { spec: { renewTime: '2026-01-02T03:04:05.123Z' } }, 'merge'));
      assert.equal(error.code, 400);
      assert.equal(error.message, 'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-01-02T03:04:05.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"');
    });

    it('validates label keys and values and annotation keys and size', () => {
      const store = new ObjectStore();
      store.create(pod('p'));
      const badValue = statusError(() => store.patch(Pod, 'tidb', 'p', { metadata: { labels: { 'tidb.pingcap.com/store-id': 'store 4' } } }, 'merge'));
      assert.equal(badValue.code, 422);
      assert.match(badValue.message, /^Pod "p" is invalid: metadata.labels: Invalid value: "store 4": a valid label must be an empty string/);
      const badKey = statusError(() => store.patch(Pod, 'tidb', 'p', { metadata: { annotations: { 'kubectl-tikv/step/1': 'x' } } }, 'merge'));
      assert.equal(badKey.code, 422);
      assert.match(badKey.message, /metadata.annotations: Invalid value: "kubectl-tikv\/step\/1": a qualified name must consist of/);
      const tooBig = statusError(() => store.patch(Pod, 'tidb', 'p', { metadata: { annotations: { 'tikv.org/record': 'x'.repeat(262145) } } }, 'merge'));
      assert.match(tooBig.message, /metadata.annotations: Too long: must have at most 262144 bytes/);
      store.patch(Pod, 'tidb', 'p', { metadata: { labels: { 'tidb.pingcap.com/store-id': '4' }, annotations: { 'tidb.pingcap.com/evict-leader': 'delete-pod' } } }, 'merge');
    });

    it('mutate retries and returns undefined when the object is gone', () => {
      const store = new ObjectStore();
      store.create(pod('p'));
      const changed = store.mutate(Pod, 'tidb', 'p', (p) => { p.metadata.annotations = { a: '1' }; });
      assert.equal(changed?.metadata.annotations?.a, '1');
      assert.equal(store.mutate(Pod, 'tidb', 'gone', () => {}), undefined);
    });
  });

  describe('patch formats', () => {
    it('merge patch deletes keys with null and replaces lists', () => {
      const store = new ObjectStore();
      store.create(pod('p', { a: '1', b: '2' }));
      const patched = store.patch(Pod, 'tidb', 'p', { metadata: { labels: { a: null, c: '3' } } }, 'merge');
      assert.deepEqual(patched.metadata.labels, { b: '2', c: '3' });
    });

    it('JSON patch applies add/replace/remove/test and fails a failing test with 422', () => {
      const store = new ObjectStore();
      store.create(sts('s'));
      const patched = store.patch(StatefulSet, 'tidb', 's', [
        { op: 'test', path: '/spec/replicas', value: 3 },
        { op: 'replace', path: '/spec/updateStrategy/rollingUpdate/partition', value: 2 },
        { op: 'add', path: '/metadata/annotations', value: { 'a/b': 'c' } },
        { op: 'add', path: '/metadata/annotations/x~1y', value: 'z' },
        { op: 'remove', path: '/metadata/annotations/a~1b' },
      ], 'json');
      assert.equal((patched.spec as { updateStrategy: { rollingUpdate: { partition: number } } }).updateStrategy.rollingUpdate.partition, 2);
      assert.deepEqual(patched.metadata.annotations, { 'x/y': 'z' });
      const error = statusError(() => store.patch(StatefulSet, 'tidb', 's', [{ op: 'test', path: '/spec/replicas', value: 7 }], 'json'));
      assert.equal(error.code, 422);
    });

    it('strategic merge patch merges containers by name and env by name', () => {
      const store = new ObjectStore();
      const s = sts('s');
      (s.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [
        { name: 'tikv', image: 'pingcap/tikv:v8.5.0', env: [{ name: 'A', value: '1' }] },
        { name: 'sidecar', image: 'busybox:1' },
      ];
      store.create(s);
      const patched = store.patch(StatefulSet, 'tidb', 's', {
        spec: { template: { spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.1', env: [{ name: 'B', value: '2' }] }] } } },
      }, 'strategic');
      const containers = (patched.spec as { template: { spec: { containers: { name: string; image: string; env?: unknown[] }[] } } }).template.spec.containers;
      assert.deepEqual(containers.map((c) => [c.name, c.image]), [['tikv', 'pingcap/tikv:v8.5.1'], ['sidecar', 'busybox:1']]);
      assert.deepEqual(containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
      const deleted = store.patch(StatefulSet, 'tidb', 's', { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } }, 'strategic');
      assert.deepEqual((deleted.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map((c) => c.name), ['tikv']);
    });

    it('rejects strategic merge patch on custom resources with 415', () => {
      const store = new ObjectStore();
      store.create(tidbClusterCrd);
      store.create({ ...TidbCluster, metadata: { name: 'basic', namespace: 'tidb' }, spec: {} });
      const error = statusError(() => store.patch(TidbCluster, 'tidb', 'basic', { spec: { version: 'x' } }, 'strategic'));
      assert.equal(error.code, 415);
    });

    it('treats a resourceVersion inside a patch as a precondition', () => {
      const store = new ObjectStore();
      store.create(pod('p'));
      const error = statusError(() => store.patch(Pod, 'tidb', 'p', { metadata: { resourceVersion: '1', labels: { a: 'b' } } }, 'merge'));
      assert.equal(error.code, 409);
    });
  });

  describe('deletion', () => {
    it('gives a scheduled pod a deletionTimestamp and grace period; remove() takes it away', () => {
      const history = new History();
      const store = new ObjectStore({ history });
      store.create(pod('p'));
      store.patch(Pod, 'tidb', 'p', { spec: { nodeName: 'node-1' } }, 'merge');
      const deleting = store.delete(Pod, 'tidb', 'p')!;
      assert.ok(deleting.metadata.deletionTimestamp);
      assert.equal(deleting.metadata.deletionGracePeriodSeconds, 30);
      assert.ok(store.get(Pod, 'tidb', 'p'));
      const shorter = store.delete(Pod, 'tidb', 'p', { gracePeriodSeconds: 5 })!;
      assert.equal(shorter.metadata.deletionGracePeriodSeconds, 5);
      store.remove(Pod, 'tidb', 'p');
      assert.equal(store.get(Pod, 'tidb', 'p'), undefined);
      assert.deepEqual(history.entries.filter((e) => e.type.startsWith('pod-')).map((e) => e.type), ['pod-created', 'pod-deleting', 'pod-removed']);
    });

    it('deletes an unscheduled pod or a zero grace period at once', () => {
      const store = new ObjectStore();
      store.create(pod('p'));
      assert.equal(store.delete(Pod, 'tidb', 'p')!.metadata.name, 'p');
      assert.equal(store.get(Pod, 'tidb', 'p'), undefined);
      store.create(pod('q'));
      store.patch(Pod, 'tidb', 'q', { spec: { nodeName: 'node-1' } }, 'merge');
      store.delete(Pod, 'tidb', 'q', { gracePeriodSeconds: 0 });
      assert.equal(store.get(Pod, 'tidb', 'q'), undefined);
    });

    it('returns undefined for a missing object and checks uid/resourceVersion preconditions', () => {
      const store = new ObjectStore();
      assert.equal(store.delete(Pod, 'tidb', 'nope'), undefined);
      store.create(pod('p'));
      const error = statusError(() => store.delete(Pod, 'tidb', 'p', { preconditions: { uid: 'other' } }));
      assert.equal(error.code, 409);
      assert.match(error.message, /Precondition failed: UID in precondition: other/);
    });

    it('keeps an object with finalizers until the last one is removed', () => {
      const store = new ObjectStore();
      store.create({ ...sts('s'), metadata: { name: 's', namespace: 'tidb', finalizers: ['example.com/hold'] } });
      const deleting = store.delete(StatefulSet, 'tidb', 's')!;
      assert.ok(deleting.metadata.deletionTimestamp);
      const error = statusError(() => store.patch(StatefulSet, 'tidb', 's', { metadata: { finalizers: ['example.com/hold', 'new'] } }, 'merge'));
      assert.equal(error.code, 422);
      store.patch(StatefulSet, 'tidb', 's', { metadata: { finalizers: null } }, 'merge');
      assert.equal(store.get(StatefulSet, 'tidb', 's'), undefined);
    });

    it('garbage-collects dependents in the background and orphans them when asked', () => {
      const store = new ObjectStore();
      const owner = store.create(sts('s'));
      const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 's', uid: owner.metadata.uid!, controller: true };
      store.create({ ...pod('s-0'), metadata: { name: 's-0', namespace: 'tidb', ownerReferences: [ref] } });
      store.delete(StatefulSet, 'tidb', 's');
      assert.equal(store.get(Pod, 'tidb', 's-0'), undefined, 'unscheduled dependent pod deleted at once');
      const owner2 = store.create(sts('t'));
      store.create({ ...pod('t-0'), metadata: { name: 't-0', namespace: 'tidb', ownerReferences: [{ ...ref, name: 't', uid: owner2.metadata.uid! }] } });
      store.delete(StatefulSet, 'tidb', 't', { propagationPolicy: 'Orphan' });
      assert.equal(store.get(Pod, 'tidb', 't-0')?.metadata.ownerReferences, undefined);
    });

    it('deletes a namespace after its content', () => {
      const store = new ObjectStore();
      store.create(pod('p', {}, 'gone'));
      store.patch(Pod, 'gone', 'p', { spec: { nodeName: 'n' } }, 'merge');
      const ns = store.delete({ apiVersion: 'v1', kind: 'Namespace' }, undefined, 'gone')!;
      assert.equal((ns.status as { phase: string }).phase, 'Terminating');
      const error = statusError(() => store.create(pod('q', {}, 'gone')));
      assert.equal(error.code, 403);
      store.remove(Pod, 'gone', 'p');
      assert.equal(store.get({ apiVersion: 'v1', kind: 'Namespace' }, undefined, 'gone'), undefined);
    });
  });

  describe('custom resource definitions', () => {
    it('registers the kind when a CRD is created and establishes it', () => {
      const store = new ObjectStore();
      const crd = store.create(tidbClusterCrd);
      assert.equal(crd.metadata.generation, 1);
      const established = store.get(CRD, undefined, 'tidbclusters.pingcap.com')!;
      assert.ok((established.status as { conditions: { type: string; status: string }[] }).conditions.some((c) => c.type === 'Established' && c.status === 'True'));
      const tc = store.create({ ...TidbCluster, metadata: { name: 'basic', namespace: 'tidb' }, spec: { version: 'v8.5.0' }, status: { ignored: true } });
      assert.equal(tc.status, undefined, 'status is not settable on create with a status subresource');
      assert.equal(store.resources.byPlural('pingcap.com', 'v1alpha1', 'tidbclusters')?.shortNames[0], 'tc');
      store.delete(CRD, undefined, 'tidbclusters.pingcap.com');
      assert.equal(store.resources.byPlural('pingcap.com', 'v1alpha1', 'tidbclusters'), undefined);
    });

    it('rejects a CRD whose name is not plural.group', () => {
      const store = new ObjectStore();
      const error = statusError(() => store.create({ ...tidbClusterCrd, metadata: { name: 'wrong' } }));
      assert.equal(error.code, 422);
    });
  });

  describe('watch', () => {
    it('delivers ADDED, MODIFIED and DELETED asynchronously and in order', async () => {
      const store = new ObjectStore();
      const { events, stop } = collect(store, Pod, { namespace: 'tidb' });
      store.create(pod('p'));
      store.patch(Pod, 'tidb', 'p', { metadata: { labels: { x: 'y' } } }, 'merge');
      store.delete(Pod, 'tidb', 'p');
      store.create(pod('elsewhere', {}, 'other'));
      assert.equal(events.length, 0, 'listeners run after the write returns');
      await tick();
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED p', 'MODIFIED p', 'DELETED p']);
      stop();
    });

    it('replays events after a resourceVersion and answers 410 once they are compacted', async () => {
      const store = new ObjectStore();
      const from = store.create(pod('a')).metadata.resourceVersion!;
      store.create(pod('b'));
      store.create(sts('not-a-pod'));
      const { events, stop } = collect(store, Pod, { resourceVersion: from });
      await tick();
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED b']);
      stop();
      store.compact();
      const error = statusError(() => store.watch(Pod, { resourceVersion: from }, () => {}));
      assert.equal(error.code, 410);
      assert.equal(error.status.reason, 'Expired');
      assert.match(error.message, /^too old resource version: \d+ \(\d+\)$/);
    });

    it('turns selector transitions into ADDED and DELETED', async () => {
      const store = new ObjectStore();
      store.create(pod('p', { role: 'a' }));
      const { events, stop } = collect(store, Pod, { labelSelector: 'role=b' });
      store.patch(Pod, 'tidb', 'p', { metadata: { labels: { role: 'b' } } }, 'merge');
      store.patch(Pod, 'tidb', 'p', { metadata: { annotations: { n: '1' } } }, 'merge');
      store.patch(Pod, 'tidb', 'p', { metadata: { labels: { role: 'c' } } }, 'merge');
      await tick();
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      stop();
    });

    it('stops delivering after unsubscribe', async () => {
      const store = new ObjectStore();
      const { events, stop } = collect(store, Pod);
      store.create(pod('p'));
      stop();
      await tick();
      assert.equal(events.length, 0);
    });

    it('lets a listener write to the store without re-entrancy', async () => {
      const store = new ObjectStore();
      const seen: string[] = [];
      const stop = store.watch(Pod, {}, (e) => {
        seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.labels?.step ?? ''}`);
        if (e.type === 'ADDED') store.patch(Pod, 'tidb', e.object.metadata.name, { metadata: { labels: { step: '2' } } }, 'merge');
      });
      store.create(pod('p', { step: '1' }));
      await tick();
      assert.deepEqual(seen, ['ADDED p 1', 'MODIFIED p 2']);
      stop();
    });
  });

  describe('history', () => {
    it('records writes with source kube', () => {
      const history = new History();
      const store = new ObjectStore({ history });
      store.create(sts('s'));
      store.patch(StatefulSet, 'tidb', 's', { spec: { replicas: 1 } }, 'merge');
      store.delete(StatefulSet, 'tidb', 's');
      const types = history.entries.filter((e) => e.source === 'kube' && e.data.kind === 'StatefulSet').map((e) => e.type);
      assert.deepEqual(types, ['object-created', 'object-updated', 'object-deleted']);
    });
  });
});
