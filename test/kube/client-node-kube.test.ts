import assert from 'node:assert/strict';
import { explainKubeError } from '../../src/kube/explain-kube-error.ts';
import { KubeError } from '../../src/kube/kube-error.ts';
import type { KubeObject, WatchEvent } from '../../src/kube/kube.ts';
import { FAST, type KubeFixture, pod, putPod, startKubeFixture } from './kube-fixture.ts';

const POD = { apiVersion: 'v1', kind: 'Pod' };
const TC = { apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster' };

const tidbClusterCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'tidbclusters.pingcap.com' },
  spec: {
    group: 'pingcap.com',
    scope: 'Namespaced',
    names: { plural: 'tidbclusters', singular: 'tidbcluster', kind: 'TidbCluster', shortNames: ['tc'] },
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, subresources: { status: {} } }],
  },
};

function kubeError(check: (error: KubeError) => void) {
  return (error: unknown) => {
    assert.ok(error instanceof KubeError, `expected a KubeError, got ${String(error)}`);
    check(error);
    return true;
  };
}

describe('the client-node Kube against the simulated API server', () => {
  let fixture: KubeFixture;
  beforeEach(async () => {
    fixture = await startKubeFixture({ tls: true });
  });
  afterEach(async () => fixture.close());

  it('creates, gets, lists, replaces, patches (merge, json, strategic, status) and deletes a pod', async () => {
    const kube = fixture.kube();
    assert.equal(kube.namespace, 'tidb');
    const created = await kube.create(pod('p1', 'tidb', { labels: { app: 'x' } }));
    assert.equal(created.metadata.namespace, 'tidb');
    assert.ok(created.metadata.uid);
    const got = await kube.get({ ...POD, name: 'p1' });
    assert.equal(got?.metadata.uid, created.metadata.uid);

    await kube.create(pod('p2', 'tidb', { labels: { app: 'y' } }));
    const listed = await kube.list(POD, { namespace: 'tidb', labelSelector: 'app=x' });
    assert.deepEqual(listed.items.map((p) => p.metadata.name), ['p1']);
    assert.equal(listed.items[0].kind, 'Pod');
    assert.ok(Number(listed.resourceVersion) > 0);

    const replaced = await kube.replace({ ...(got as KubeObject), metadata: { ...(got as KubeObject).metadata, labels: { app: 'x', replaced: 'yes' } } });
    assert.equal(replaced.metadata.labels?.replaced, 'yes');

    const merged = await kube.patch({ ...POD, name: 'p1' }, { metadata: { annotations: { 'kubectl-tikv/step': 'evict' } } });
    assert.equal(merged.metadata.annotations?.['kubectl-tikv/step'], 'evict');
    const jsonPatched = await kube.patch({ ...POD, name: 'p1' }, [{ op: 'remove', path: '/metadata/annotations/kubectl-tikv~1step' }], { type: 'json' });
    assert.equal(jsonPatched.metadata.annotations?.['kubectl-tikv/step'], undefined);
    const strategic = await kube.patch<KubeObject & { spec: { containers: { name: string; image: string }[] } }>(
      { ...POD, name: 'p1' },
      { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } },
      { type: 'strategic' },
    );
    assert.equal(strategic.spec.containers[0].image, 'busybox:2');
    const status = await kube.patch<KubeObject & { status: { phase: string } }>({ ...POD, name: 'p1' }, { status: { phase: 'Running' } }, { subresource: 'status' });
    assert.equal(status.status.phase, 'Running');

    assert.equal(await kube.delete({ ...POD, name: 'p2' }, { gracePeriodSeconds: 0 }), true);
    assert.equal(await kube.get({ ...POD, name: 'p2' }), null);
    assert.equal(await kube.delete({ ...POD, name: 'p2' }), false);
  });

  it('answers false when the uid precondition names a pod that was replaced', async () => {
    const kube = fixture.kube();
    const first = await kube.create(pod('p', 'tidb'));
    assert.equal(await kube.delete({ ...POD, name: 'p' }, { gracePeriodSeconds: 0 }), true);
    await kube.create(pod('p', 'tidb'));
    assert.equal(await kube.delete({ ...POD, name: 'p' }, { uid: first.metadata.uid }), false);
    assert.notEqual(await kube.get({ ...POD, name: 'p' }), null);
  });

  it('reports 409s as KubeErrors naming verb, resource, namespace, name and the server message', async () => {
    const kube = fixture.kube();
    const created = await kube.create(pod('p', 'tidb'));
    await assert.rejects(
      kube.create(pod('p', 'tidb')),
      kubeError((error) => {
        assert.equal(error.status, 409);
        assert.equal(error.reason, 'AlreadyExists');
        assert.match(error.message, /^Kubernetes request failed with status 409: create pods "p" in namespace "tidb": pods "p" already exists$/);
      }),
    );
    await kube.patch({ ...POD, name: 'p' }, { metadata: { labels: { changed: 'yes' } } });
    await assert.rejects(
      kube.replace(created),
      kubeError((error) => {
        assert.ok(error.isConflict);
        assert.equal(error.verb, 'update');
      }),
    );
  });

  it('lists every page of a long list', async () => {
    const kube = fixture.kube({}, { ...FAST, listPageSize: 2 });
    for (let i = 0; i < 5; i++) await kube.create(pod(`p${i}`, 'tidb'));
    const listed = await kube.list(POD, { namespace: 'tidb' });
    assert.deepEqual(listed.items.map((p) => p.metadata.name).sort(), ['p0', 'p1', 'p2', 'p3', 'p4']);
    const pages = fixture.history.ofType('kube-request').filter((e) => e.data.verb === 'list' && e.data.resource === 'pods');
    assert.equal(pages.length, 3);
  });

  it('discovers custom resources once per run and uses them for CRUD', async () => {
    const kube = fixture.kube();
    fixture.store.create(tidbClusterCrd);
    const resources = await kube.discover();
    const tc = resources.find((r) => r.kind === 'TidbCluster');
    assert.deepEqual(tc, { group: 'pingcap.com', version: 'v1alpha1', kind: 'TidbCluster', plural: 'tidbclusters', namespaced: true, shortNames: ['tc'] });
    assert.ok(resources.some((r) => r.kind === 'Pod' && r.group === '' && r.plural === 'pods'));
    assert.ok(!resources.some((r) => r.plural.includes('/')), 'subresources are not resources');
    const discoveryRequests = () => fixture.history.ofType('kube-request').filter((e) => e.data.path === '/apis' || e.data.path === '/api').length;
    const before = discoveryRequests();
    await kube.create({ ...TC, metadata: { name: 'basic' }, spec: { version: 'v8.5.0' } });
    const basic = await kube.get<KubeObject & { spec: { version: string } }>({ ...TC, name: 'basic' });
    assert.equal(basic?.spec.version, 'v8.5.0');
    assert.equal(discoveryRequests(), before, 'discovery is cached');
  });

  it('names a kind the server does not serve', async () => {
    const kube = fixture.kube();
    await assert.rejects(
      kube.list({ apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKVGroup' }, { namespace: 'tidb' }),
      kubeError((error) => {
        assert.equal(error.status, 404);
        assert.match(error.message, /does not serve TiKVGroup in core\.pingcap\.com\/v1alpha1; is its CRD installed\?/);
      }),
    );
  });

  it('retries reads after a 500 and writes after a 429, but not a write after a 500', async () => {
    const kube = fixture.kube();
    fixture.api.faults.failRequests({ verb: 'get', resource: 'pods', status: 500, times: 2 });
    await kube.create(pod('p', 'tidb'));
    assert.equal((await kube.get({ ...POD, name: 'p' }))?.metadata.name, 'p');
    fixture.api.faults.failRequests({ verb: 'create', resource: 'pods', status: 429, times: 1, retryAfterSeconds: 0 });
    await kube.create(pod('q', 'tidb'));
    fixture.api.faults.failRequests({ verb: 'create', resource: 'pods', status: 500, times: 1 });
    await assert.rejects(kube.create(pod('r', 'tidb')), kubeError((error) => assert.equal(error.status, 500)));
  });

  it('explains a rejected token (401) as bad credentials, exit 2', async () => {
    const kube = fixture.kube({ token: 'not-a-token' });
    await assert.rejects(
      kube.list(POD, { namespace: 'tidb' }),
      kubeError((error) => {
        assert.equal(error.status, 401);
        const explained = explainKubeError(error, { contextName: 'sim' });
        assert.equal(explained.code, 2);
        assert.match(explained.message, /rejected the credentials \(context "sim"\) \(401 Unauthorized\)/);
      }),
    );
  });

  it('explains an RBAC denial (403) naming the verb and resource the Role must grant', async () => {
    fixture.api.addToken('viewer-token', { name: 'viewer' });
    fixture.api.authz.bind('viewer', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]);
    const kube = fixture.kube({ token: 'viewer-token' });
    await assert.rejects(
      kube.list(POD, { namespace: 'tidb' }),
      kubeError((error) => {
        assert.equal(error.status, 403);
        assert.equal(error.verb, 'list');
        assert.equal(error.resource, 'pods');
        const explained = explainKubeError(error);
        assert.equal(explained.code, 2);
        assert.match(explained.message, /^cannot list pods in namespace "tidb": pods is forbidden: User "viewer" cannot list resource "pods" in API group "" in the namespace "tidb"$/);
        assert.match(explained.suggestions[0], /needs "list" on "pods" in namespace "tidb": ask your cluster admin for the Role in the README/);
      }),
    );
  });

  it('impersonates with --as and --as-group', async () => {
    fixture.api.authz.bind('impersonated', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
    const kube = fixture.kube({ as: 'impersonated', asGroups: ['team-a', 'team-b'] });
    await kube.list(POD, { namespace: 'tidb' });
    const request = fixture.history.ofType('kube-request').find((e) => e.data.verb === 'list' && e.data.resource === 'pods');
    assert.equal(request?.data.user, 'impersonated');
    await assert.rejects(kube.get({ ...POD, name: 'x' }), kubeError((error) => assert.equal(error.status, 403)));
  });

  it('sends each --as-group as its own header, so group RBAC applies', async () => {
    fixture.api.authz.bind('nobody', []);
    fixture.api.authz.bindGroup('pod-readers', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
    const kube = fixture.kube({ as: 'nobody', asGroups: ['other-team', 'pod-readers'] });
    await kube.list(POD, { namespace: 'tidb' });
    const alone = fixture.kube({ as: 'nobody', asGroups: ['other-team'] });
    await assert.rejects(alone.list(POD, { namespace: 'tidb' }), kubeError((error) => assert.equal(error.status, 403)));
  });

  it('runs in a pod with the in-cluster service account (token file, CA, namespace)', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { ClientNodeKube } = await import('../../src/kube/client-node-kube.ts');
    const { resolveKubeconfig } = await import('../../src/kube/kubeconfig.ts');
    const serviceAccountDir = path.join(fixture.dir, 'sa');
    mkdirSync(serviceAccountDir, { recursive: true });
    writeFileSync(path.join(serviceAccountDir, 'token'), fixture.api.adminToken);
    writeFileSync(path.join(serviceAccountDir, 'ca.crt'), fixture.api.ca as string);
    writeFileSync(path.join(serviceAccountDir, 'namespace'), 'tidb');
    const url = new URL(fixture.api.url);
    const resolved = resolveKubeconfig({}, { env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port }, homeDir: path.join(fixture.dir, 'no-home'), serviceAccountDir });
    const kube = new ClientNodeKube(resolved, FAST);
    try {
      await kube.create(pod('from-inside', 'tidb'));
      assert.equal((await kube.get({ ...POD, name: 'from-inside' }))?.metadata.namespace, 'tidb');
    } finally {
      await kube.close();
    }
  });

  it('explains an unreachable server', async () => {
    const kube = fixture.kube({ server: 'https://127.0.0.1:1' });
    await assert.rejects(
      kube.list(POD, { namespace: 'tidb' }),
      kubeError((error) => {
        assert.ok(error.isConnectionFailure);
        const explained = explainKubeError(error);
        assert.equal(explained.code, 1);
        assert.match(explained.message, /^cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
      }),
    );
  });

  it('refuses a server certificate the kubeconfig CA did not sign, and accepts it with --insecure-skip-tls-verify', async () => {
    const other = await startKubeFixture({ tls: true });
    try {
      // The other server's certificate comes from another CA.
      const kube = fixture.kube({ server: other.api.url });
      await assert.rejects(kube.list(POD, { namespace: 'tidb' }), kubeError((error) => assert.ok(error.isConnectionFailure)));
      const insecure = fixture.kube({ server: other.api.url, insecureSkipTlsVerify: true });
      await insecure.list(POD, { namespace: 'tidb' });
    } finally {
      await other.close();
    }
  });

  it('fails a request that gets no answer within --request-timeout', async () => {
    fixture.api.faults.delayRequests({ verb: 'list', resource: 'pods', delayMs: 2_000 });
    const kube = fixture.kube({ requestTimeoutMs: 100 }, { ...FAST, attempts: 1 });
    await assert.rejects(
      kube.list(POD, { namespace: 'tidb' }),
      kubeError((error) => {
        assert.ok(error.isConnectionFailure);
        assert.match(error.message, /no answer within 100 ms \(--request-timeout\)/);
      }),
    );
    fixture.api.faults.clear();
  });

  describe('watch', () => {
    async function collect<T extends KubeObject>(events: AsyncIterable<WatchEvent<T>>, count: number): Promise<WatchEvent<T>[]> {
      const seen: WatchEvent<T>[] = [];
      for await (const event of events) {
        seen.push(event);
        if (seen.length === count) break;
      }
      return seen;
    }

    it('streams ADDED, MODIFIED and DELETED from a resourceVersion on', async () => {
      const kube = fixture.kube();
      const { resourceVersion } = await kube.list(POD, { namespace: 'tidb' });
      const controller = new AbortController();
      const events = collect(kube.watch(POD, { namespace: 'tidb', resourceVersion, signal: controller.signal }), 3);
      putPod(fixture.store, pod('w', 'tidb', { ready: false }));
      fixture.store.delete(POD, 'tidb', 'w', { gracePeriodSeconds: 0 });
      const seen = await events;
      assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      assert.ok(seen.every((e) => e.object.metadata.name === 'w' && e.object.kind === 'Pod'));
      controller.abort();
    });

    it('resumes from the last resourceVersion when the server ends the stream, without repeating events', async () => {
      // The server ends every watch after one second; events created later arrive through a resumed watch.
      const kube = fixture.kube({}, { ...FAST, watchTimeoutSeconds: 1 });
      const { resourceVersion } = await kube.list(POD, { namespace: 'tidb' });
      const controller = new AbortController();
      const seen: string[] = [];
      const done = (async () => {
        for await (const event of kube.watch(POD, { namespace: 'tidb', resourceVersion, signal: controller.signal })) {
          seen.push(`${event.type} ${event.object.metadata.name}`);
          if (seen.length === 2) return;
        }
      })();
      fixture.store.create(pod('before', 'tidb'));
      const watches = () => fixture.history.ofType('kube-request').filter((e) => e.data.verb === 'watch').length;
      await fixture.history.waitFor(() => watches() >= 2);
      fixture.store.create(pod('after', 'tidb'));
      await done;
      controller.abort();
      assert.deepEqual(seen, ['ADDED before', 'ADDED after']);
    });

    it('reopens a watch that went silent (no events, no bookmarks) and keeps delivering', async () => {
      const kube = fixture.kube({}, { ...FAST, watchIdleTimeoutMs: 150 });
      const { resourceVersion } = await kube.list(POD, { namespace: 'tidb' });
      const controller = new AbortController();
      const first = collect(kube.watch(POD, { namespace: 'tidb', resourceVersion, signal: controller.signal }), 1);
      const watches = () => fixture.history.ofType('kube-request').filter((e) => e.data.verb === 'watch').length;
      // Stalled watches are closed by the client, which the server records; wait for two reopenings.
      await fixture.history.waitFor(() => watches() >= 2);
      fixture.store.create(pod('late', 'tidb'));
      const seen = await first;
      controller.abort();
      assert.deepEqual(seen.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED late']);
    });

    it('relists when the resourceVersion is too old (410): ADDED for what exists, DELETED for what vanished', async () => {
      await fixture.close();
      fixture = await startKubeFixture({ tls: false, watchHistoryLimit: 2 });
      const kube = fixture.kube();
      fixture.store.create(pod('kept', 'tidb'));
      const gone = fixture.store.create(pod('gone', 'tidb'));
      const old = gone.metadata.resourceVersion as string;
      // Push `old` out of the server's watch history.
      for (let i = 0; i < 4; i++) fixture.store.patch(POD, 'tidb', 'kept', { metadata: { labels: { n: String(i) } } }, 'merge');
      fixture.store.delete(POD, 'tidb', 'gone', { gracePeriodSeconds: 0 });
      const controller = new AbortController();
      const seen = await collect(kube.watch(POD, { namespace: 'tidb', resourceVersion: old, signal: controller.signal }), 1);
      controller.abort();
      assert.deepEqual(seen.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED kept']);
    });

    it('ends when its signal aborts', async () => {
      const kube = fixture.kube();
      const controller = new AbortController();
      const iteration = (async () => {
        const seen: WatchEvent[] = [];
        for await (const event of kube.watch(POD, { namespace: 'tidb', signal: controller.signal })) seen.push(event);
        return seen;
      })();
      await fixture.history.waitFor((e) => e.type === 'kube-request' && e.data.verb === 'watch');
      controller.abort();
      assert.deepEqual(await iteration, []);
    });

    it('fails on RBAC denial instead of retrying', async () => {
      fixture.api.addToken('nowatch', { name: 'nowatch' });
      fixture.api.authz.bind('nowatch', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
      const kube = fixture.kube({ token: 'nowatch' });
      await assert.rejects(collect(kube.watch(POD, { namespace: 'tidb' }), 1), kubeError((error) => assert.equal(error.status, 403)));
    });
  });
});
