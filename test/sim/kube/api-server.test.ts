import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History } from '../history.ts';
import { ObjectStore } from './object-store.ts';
import { startApiServer, type ApiServer } from './api-server.ts';

const pod = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'tidb', labels }, spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] },
});

describe('simulated API server over plain HTTP', () => {
  let history: History;
  let store: ObjectStore;
  let api: ApiServer;

  beforeEach(async () => {
    history = new History();
    store = new ObjectStore({ history });
    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidb' } });
    api = await startApiServer({ store, history });
    api.addToken('limited-token', { name: 'limited' });
  });
  afterEach(async () => {
    await api.close();
  });

  async function call(method: string, path: string, options: { body?: unknown; token?: string | null; contentType?: string; accept?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? api.adminToken}`;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (options.accept) headers.accept = options.accept;
    const res = await fetch(`${api.url}${path}`, { method, headers, body: options.body === undefined ? undefined : typeof options.body === 'string' || options.body instanceof Uint8Array ? options.body : JSON.stringify(options.body) });
    const text = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, any>, text }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  describe('discovery', () => {
    it('serves /version, /healthz and legacy discovery documents', async () => {
      assert.equal((await call('GET', '/version', { token: null })).json.gitVersion, 'v1.32.4');
      assert.equal((await call('GET', '/healthz')).text, 'ok');
      const api1 = await call('GET', '/api');
      assert.deepEqual(api1.json.versions, ['v1']);
      const groups = await call('GET', '/apis');
      assert.ok(groups.json.groups.some((g: { name: string }) => g.name === 'apps'));
      const core = await call('GET', '/api/v1');
      const pods = core.json.resources.find((r: { name: string }) => r.name === 'pods');
      assert.deepEqual({ kind: pods.kind, namespaced: pods.namespaced, shortNames: pods.shortNames }, { kind: 'Pod', namespaced: true, shortNames: ['po'] });
      assert.ok(core.json.resources.some((r: { name: string; verbs: string[] }) => r.name === 'pods/portforward' && r.verbs.includes('create')));
      const apps = await call('GET', '/apis/apps/v1');
      assert.equal(apps.json.groupVersion, 'apps/v1');
    });

    it('serves aggregated discovery when asked for APIGroupDiscoveryList', async () => {
      const res = await call('GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
      assert.match(res.headers.get('content-type')!, /as=APIGroupDiscoveryList/);
      const apps = res.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
      const sts = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'statefulsets');
      assert.equal(sts.scope, 'Namespaced');
      assert.deepEqual(sts.shortNames, ['sts']);
    });

    it('serves the scale subresource a CRD declares', async () => {
      store.create({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'tikvgroups.core.pingcap.com' },
        spec: {
          group: 'core.pingcap.com', scope: 'Namespaced', names: { plural: 'tikvgroups', singular: 'tikvgroup', kind: 'TiKVGroup', shortNames: ['kvg'] },
          versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } } }],
        },
      });
      store.create({ apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKVGroup', metadata: { name: 'tikv', namespace: 'tidb' }, spec: { replicas: 3 } });
      store.patch({ apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKVGroup' }, 'tidb', 'tikv', { status: { replicas: 3, selector: 'pingcap.com/group=tikv' } }, 'merge', { subresource: 'status' });
      const scale = await call('GET', '/apis/core.pingcap.com/v1alpha1/namespaces/tidb/tikvgroups/tikv/scale');
      assert.deepEqual({ kind: scale.json.kind, spec: scale.json.spec, status: scale.json.status }, { kind: 'Scale', spec: { replicas: 3 }, status: { replicas: 3, selector: 'pingcap.com/group=tikv' } });
      const patched = await call('PATCH', '/apis/core.pingcap.com/v1alpha1/namespaces/tidb/tikvgroups/tikv/scale', { body: { spec: { replicas: 4 } }, contentType: 'application/merge-patch+json' });
      assert.equal(patched.json.spec.replicas, 4);
      assert.equal((store.get({ apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKVGroup' }, 'tidb', 'tikv')!.spec as { replicas: number }).replicas, 4);
      const bad = await call('PATCH', '/apis/core.pingcap.com/v1alpha1/namespaces/tidb/tikvgroups/tikv/scale', { body: { spec: { replicas: -1 } }, contentType: 'application/merge-patch+json' });
      assert.equal(bad.status, 422);
    });

    it('adds a custom resource to discovery when its CRD is created', async () => {
      const crd = {
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'tikvs.core.pingcap.com' },
        spec: { group: 'core.pingcap.com', scope: 'Namespaced', names: { plural: 'tikvs', singular: 'tikv', kind: 'TiKV' }, versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } }] },
      };
      assert.equal((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd })).status, 201);
      const gv = await call('GET', '/apis/core.pingcap.com/v1alpha1');
      assert.deepEqual(gv.json.resources.map((r: { name: string }) => r.name), ['tikvs', 'tikvs/status']);
    });
  });

  describe('CRUD and errors', () => {
    it('creates, reads, lists, patches and deletes at the real paths', async () => {
      const created = await call('POST', '/api/v1/namespaces/tidb/pods', { body: pod('p1', { app: 'tikv' }) });
      assert.equal(created.status, 201);
      assert.equal(created.json.metadata.namespace, 'tidb');
      const got = await call('GET', '/api/v1/namespaces/tidb/pods/p1');
      assert.equal(got.json.metadata.uid, created.json.metadata.uid);
      const list = await call('GET', '/api/v1/namespaces/tidb/pods?labelSelector=app%3Dtikv');
      assert.equal(list.json.kind, 'PodList');
      assert.deepEqual(list.json.items.map((p: KubeObject) => p.metadata.name), ['p1']);
      assert.equal(list.json.items[0].kind, undefined, 'typed list items carry no kind, as on a real server');
      const patched = await call('PATCH', '/api/v1/namespaces/tidb/pods/p1', { body: { metadata: { annotations: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
      assert.equal(patched.json.metadata.annotations.a, 'b');
      const deleted = await call('DELETE', '/api/v1/namespaces/tidb/pods/p1');
      assert.equal(deleted.status, 200);
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods/p1')).status, 404);
    });

    it('answers 404 NotFound with the real message and details', async () => {
      const res = await call('GET', '/apis/apps/v1/namespaces/tidb/statefulsets/nope');
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'statefulsets.apps "nope" not found', reason: 'NotFound',
        details: { name: 'nope', group: 'apps', kind: 'statefulsets' }, code: 404,
      });
      const unknown = await call('GET', '/api/v1/namespaces/tidb/widgets');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.message, 'the server could not find the requested resource');
    });

    it('answers 404 for a create in a missing namespace and 409 for duplicates and stale versions', async () => {
      const missing = await call('POST', '/api/v1/namespaces/nowhere/pods', { body: { ...pod('p'), metadata: { name: 'p' } } });
      const mismatch = await call('POST', '/api/v1/namespaces/nowhere/pods', { body: pod('p') });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.json.message, 'the namespace of the provided object does not match the namespace sent on the request');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.message, 'namespaces "nowhere" not found');
      await call('POST', '/api/v1/namespaces/tidb/pods', { body: pod('p') });
      const dup = await call('POST', '/api/v1/namespaces/tidb/pods', { body: pod('p') });
      assert.equal(dup.status, 409);
      assert.equal(dup.json.reason, 'AlreadyExists');
      const current = (await call('GET', '/api/v1/namespaces/tidb/pods/p')).json;
      await call('PATCH', '/api/v1/namespaces/tidb/pods/p', { body: { metadata: { labels: { x: '1' } } }, contentType: 'application/merge-patch+json' });
      const stale = await call('PUT', '/api/v1/namespaces/tidb/pods/p', { body: current });
      assert.equal(stale.status, 409);
      assert.equal(stale.json.reason, 'Conflict');
    });

    it('answers 422 Invalid and 415 for an unknown patch type', async () => {
      const bad = await call('POST', '/api/v1/namespaces/tidb/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [] } } });
      assert.equal(bad.status, 422);
      assert.equal(bad.json.reason, 'Invalid');
      assert.equal(bad.json.message, 'Pod "x" is invalid: spec.containers: Required value');
      await call('POST', '/api/v1/namespaces/tidb/pods', { body: pod('p') });
      const weird = await call('PATCH', '/api/v1/namespaces/tidb/pods/p', { body: {}, contentType: 'text/plain' });
      assert.equal(weird.status, 415);
    });

    it('pages lists with limit and continue', async () => {
      for (const n of ['a', 'b', 'c', 'd', 'e']) store.create(pod(n));
      const first = await call('GET', '/api/v1/namespaces/tidb/pods?limit=2');
      assert.deepEqual(first.json.items.map((p: KubeObject) => p.metadata.name), ['a', 'b']);
      assert.equal(first.json.metadata.remainingItemCount, 3);
      const second = await call('GET', `/api/v1/namespaces/tidb/pods?limit=2&continue=${first.json.metadata.continue}`);
      assert.deepEqual(second.json.items.map((p: KubeObject) => p.metadata.name), ['c', 'd']);
      const third = await call('GET', `/api/v1/namespaces/tidb/pods?limit=2&continue=${second.json.metadata.continue}`);
      assert.deepEqual(third.json.items.map((p: KubeObject) => p.metadata.name), ['e']);
      assert.equal(third.json.metadata.continue, undefined);
    });

    it('keeps status changes out of main-resource writes and serves the status subresource', async () => {
      store.create({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'tidb' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } } } });
      const s = await call('PATCH', '/apis/apps/v1/namespaces/tidb/statefulsets/s/status', { body: { status: { readyReplicas: 1 } }, contentType: 'application/merge-patch+json' });
      assert.equal(s.json.status.readyReplicas, 1);
      const main = await call('PATCH', '/apis/apps/v1/namespaces/tidb/statefulsets/s', { body: { status: { readyReplicas: 7 } }, contentType: 'application/merge-patch+json' });
      assert.equal(main.json.status.readyReplicas, 1);
    });

    it('honours dryRun, gracePeriodSeconds and uid preconditions on delete', async () => {
      store.create(pod('p'));
      store.patch({ apiVersion: 'v1', kind: 'Pod' }, 'tidb', 'p', { spec: { nodeName: 'n1' } }, 'merge');
      const dry = await call('DELETE', '/api/v1/namespaces/tidb/pods/p?dryRun=All');
      assert.equal(dry.status, 200);
      assert.equal(store.get({ apiVersion: 'v1', kind: 'Pod' }, 'tidb', 'p')?.metadata.deletionTimestamp, undefined);
      const wrongUid = await call('DELETE', '/api/v1/namespaces/tidb/pods/p', { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'x' } } });
      assert.equal(wrongUid.status, 409);
      const graceful = await call('DELETE', '/api/v1/namespaces/tidb/pods/p', { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 7 } });
      assert.equal(graceful.json.metadata.deletionGracePeriodSeconds, 7);
    });
  });

  describe('authentication and RBAC', () => {
    it('answers 401 without a known token', async () => {
      const res = await call('GET', '/api/v1/namespaces/tidb/pods', { token: 'nope' });
      assert.equal(res.status, 401);
      assert.equal(res.json.reason, 'Unauthorized');
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods', { token: null })).status, 401);
    });

    it('answers 403 worded as the RBAC authorizer for a denied verb', async () => {
      api.authz.bind('limited', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], namespaces: ['tidb'] }]);
      store.create(pod('p'));
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods/p', { token: 'limited-token' })).status, 200);
      const del = await call('DELETE', '/api/v1/namespaces/tidb/pods/p', { token: 'limited-token' });
      assert.equal(del.status, 403);
      assert.equal(del.json.message, 'pods "p" is forbidden: User "limited" cannot delete resource "pods" in API group "" in the namespace "tidb"');
      const other = await call('GET', '/api/v1/namespaces/other/pods', { token: 'limited-token' });
      assert.equal(other.json.message, 'pods is forbidden: User "limited" cannot list resource "pods" in API group "" in the namespace "other"');
      const sts = await call('GET', '/apis/apps/v1/statefulsets', { token: 'limited-token' });
      assert.equal(sts.json.message, 'statefulsets.apps is forbidden: User "limited" cannot list resource "statefulsets" in API group "apps" at the cluster scope');
    });

    it('matches subresources and resource names', async () => {
      api.authz.bind('limited', [
        { verbs: ['patch'], apiGroups: [''], resources: ['pods/status'] },
        { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['allowed'] },
      ]);
      store.create(pod('allowed'));
      store.create(pod('other'));
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods/allowed', { token: 'limited-token' })).status, 200);
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods/other', { token: 'limited-token' })).status, 403);
      assert.equal((await call('PATCH', '/api/v1/namespaces/tidb/pods/other/status', { token: 'limited-token', body: { status: { phase: 'Running' } }, contentType: 'application/merge-patch+json' })).status, 200);
      assert.equal((await call('PATCH', '/api/v1/namespaces/tidb/pods/other', { token: 'limited-token', body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' })).status, 403);
    });

    it('answers SelfSubjectAccessReview from the rules', async () => {
      api.authz.bind('limited', [{ verbs: ['create'], apiGroups: [''], resources: ['pods/portforward'] }]);
      const review = (verb: string, resource: string, subresource?: string) => call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        token: 'limited-token',
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'tidb', verb, resource, subresource } } },
      });
      assert.equal((await review('create', 'pods', 'portforward')).json.status.allowed, true);
      assert.equal((await review('delete', 'pods')).json.status.allowed, false);
    });

    it('impersonates with Impersonate-User only when allowed', async () => {
      api.authz.bind('limited', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
      const asLimited = await fetch(`${api.url}/api/v1/namespaces/tidb/secrets`, { headers: { authorization: `Bearer ${api.adminToken}`, 'impersonate-user': 'limited' } });
      assert.equal(asLimited.status, 403);
      const denied = await fetch(`${api.url}/api/v1/namespaces/tidb/pods`, { headers: { authorization: 'Bearer limited-token', 'impersonate-user': 'admin' } });
      assert.equal(denied.status, 403);
      assert.match(((await denied.json()) as { message: string }).message, /cannot impersonate resource "users"/);
    });
  });

  describe('faults and request history', () => {
    it('injects 500 and 429 (with Retry-After) for matching requests, n times', async () => {
      store.create(pod('p'));
      api.faults.failRequests({ verb: 'get', resource: 'pods', name: 'p', status: 500, times: 1 });
      const failed = await call('GET', '/api/v1/namespaces/tidb/pods/p');
      assert.equal(failed.status, 500);
      assert.equal(failed.json.reason, 'InternalError');
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods/p')).status, 200);
      const clear = api.faults.failRequests({ verb: 'list', resource: 'pods', status: 429, retryAfterSeconds: 3 });
      const throttled = await call('GET', '/api/v1/namespaces/tidb/pods');
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get('retry-after'), '3');
      assert.equal(throttled.text, 'Too many requests, please try again later.\n', 'API Priority and Fairness answers in plain text');
      clear();
      api.faults.failRequests({ verb: 'list', resource: 'pods', status: 429, format: 'status', times: 1 });
      const asStatus = await call('GET', '/api/v1/namespaces/tidb/pods');
      assert.equal(asStatus.json.reason, 'TooManyRequests');
      assert.equal(asStatus.headers.get('retry-after'), '1');
      assert.equal((await call('GET', '/api/v1/namespaces/tidb/pods')).status, 200);
    });

    it('records every request with verb, resource, user and status', async () => {
      await call('GET', '/api/v1/namespaces/tidb/pods/none');
      const entry = history.ofType('kube-request').at(-1)!;
      assert.deepEqual(
        { verb: entry.data.verb, resource: entry.data.resource, namespace: entry.data.namespace, name: entry.data.name, user: entry.data.user, status: entry.data.status },
        { verb: 'get', resource: 'pods', namespace: 'tidb', name: 'none', user: 'admin', status: 404 },
      );
    });
  });

  describe('Table output', () => {
    it('returns a meta.k8s.io/v1 Table for pods with the server printer columns', async () => {
      store.create(pod('basic-tikv-0'));
      const res = await call('GET', '/api/v1/namespaces/tidb/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
      assert.equal(res.json.kind, 'Table');
      assert.deepEqual(res.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
      assert.deepEqual(res.json.rows[0].cells.slice(0, 4), ['basic-tikv-0', '0/1', 'Pending', '0']);
      assert.equal(res.json.rows[0].object.kind, 'PartialObjectMetadata');
    });
  });

  describe('watch', () => {
    async function readEvents(path: string, count: number): Promise<{ type: string; object: Record<string, any> }[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
      const controller = new AbortController();
      const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.adminToken}` }, signal: controller.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const events: { type: string; object: Record<string, unknown> }[] = [];
      let buffer = '';
      try {
        while (events.length < count) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += Buffer.from(value).toString('utf8');
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buffer.slice(0, nl)));
            buffer = buffer.slice(nl + 1);
          }
        }
      } finally {
        controller.abort();
      }
      return events;
    }

    it('streams the current state, then changes, as JSON lines', async () => {
      store.create(pod('existing'));
      const pending = readEvents('/api/v1/namespaces/tidb/pods?watch=true', 3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      store.create(pod('new'));
      store.delete({ apiVersion: 'v1', kind: 'Pod' }, 'tidb', 'new');
      const events = await pending;
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED existing', 'ADDED new', 'DELETED new']);
      assert.equal(events[0].object.kind, 'Pod');
    });

    it('resumes from a resourceVersion and sends ERROR 410 when it is too old', async () => {
      const from = store.create(pod('a')).metadata.resourceVersion;
      store.create(pod('b'));
      const resumed = await readEvents(`/api/v1/namespaces/tidb/pods?watch=1&resourceVersion=${from}`, 1);
      assert.equal(resumed[0].object.metadata.name, 'b');
      store.compact();
      const expired = await readEvents(`/api/v1/namespaces/tidb/pods?watch=1&resourceVersion=${from}`, 1);
      assert.equal(expired[0].type, 'ERROR');
      assert.equal(expired[0].object.code, 410);
      assert.equal(expired[0].object.reason, 'Expired');
    });

    it('ends the stream after timeoutSeconds and serves the legacy /watch/ path', async () => {
      const controller = new AbortController();
      const res = await fetch(`${api.url}/api/v1/watch/namespaces/tidb/pods?timeoutSeconds=1`, { headers: { authorization: `Bearer ${api.adminToken}` }, signal: controller.signal });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '', 'no events, then the server ends the response');
    });

    it('ends the initial events of a watch-list request with the initial-events-end bookmark', async () => {
      store.create(pod('a'));
      const events = await readEvents('/api/v1/namespaces/tidb/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan', 2);
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
      assert.equal(events[1].object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    });

    it('ends open watch streams on request (endWatches)', async () => {
      const res = await fetch(`${api.url}/api/v1/namespaces/tidb/pods?watch=1`, { headers: { authorization: `Bearer ${api.adminToken}` } });
      const body = res.text();
      while (api.endWatches() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await body, '');
    });

    it('sends BOOKMARK events when allowed', async () => {
      await api.close();
      api = await startApiServer({ store, history, bookmarkIntervalMs: 20 });
      const events = await readEvents('/api/v1/namespaces/tidb/pods?watch=1&allowWatchBookmarks=true', 1);
      assert.equal(events[0].type, 'BOOKMARK');
      assert.match(events[0].object.metadata.resourceVersion, /^\d+$/);
    });
  });
});
