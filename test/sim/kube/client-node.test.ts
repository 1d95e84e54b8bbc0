/**
 * @kubernetes/client-node 2.x against the simulated API server through an ordinary kubeconfig: typed and custom
 * object APIs, Watch, and PortForward to a plain TCP echo server behind a pod port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, PortForward, Watch, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History } from '../history.ts';
import { ObjectStore } from './object-store.ts';
import { startApiServer, type ApiServer } from './api-server.ts';
import type { LoopbackAddress } from '../process.ts';

const Pod = { apiVersion: 'v1', kind: 'Pod' };

function runningPod(store: ObjectStore, name: string): void {
  store.create({ ...Pod, metadata: { name, namespace: 'tidb' }, spec: { containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ containerPort: 2379 }] }] } });
  store.patch(Pod, 'tidb', name, { spec: { nodeName: 'sim-node-1' } }, 'merge');
  store.patch(Pod, 'tidb', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', { subresource: 'status' });
}

/** Echoes every byte back, prefixed once with a greeting so the client sees data first. */
async function startEcho(): Promise<{ server: Server; address: LoopbackAddress }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port } };
}

describe('@kubernetes/client-node against the simulated API server', () => {
  let dir: string;
  let store: ObjectStore;
  let history: History;
  let api: ApiServer;
  let kc: KubeConfig;
  const routes = new Map<string, LoopbackAddress>();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kt-client-node-'));
    history = new History();
    store = new ObjectStore({ history });
    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidb' } });
    api = await startApiServer({ store, history, tls: true, portForward: { resolve: (ns, pod, port) => routes.get(`${ns}/${pod}:${port}`) } });
    api.writeKubeconfig(join(dir, 'kubeconfig'), { namespace: 'tidb' });
    kc = new KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
  });
  afterEach(async () => {
    routes.clear();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads and lists pods with CoreV1Api and gets ApiException 404 with a Status body', async () => {
    runningPod(store, 'basic-pd-0');
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: 'basic-pd-0', namespace: 'tidb' });
    assert.equal(pod.status?.phase, 'Running');
    const list = await core.listNamespacedPod({ namespace: 'tidb', labelSelector: '' });
    assert.deepEqual(list.items.map((p) => p.metadata?.name), ['basic-pd-0']);
    await assert.rejects(core.readNamespacedPod({ name: 'nope', namespace: 'tidb' }), (error: unknown) => {
      assert.ok(error instanceof ApiException);
      assert.equal(error.code, 404);
      const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      assert.equal(body.reason, 'NotFound');
      assert.equal(body.message, 'pods "nope" not found');
      return true;
    });
  });

  it('merge-patches through setHeaderOptions and JSON-patches by default', async () => {
    runningPod(store, 'basic-pd-0');
    const core = kc.makeApiClient(CoreV1Api);
    await core.patchNamespacedPod({ name: 'basic-pd-0', namespace: 'tidb', body: { metadata: { annotations: { a: 'b' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.patchNamespacedPod({ name: 'basic-pd-0', namespace: 'tidb', body: [{ op: 'add', path: '/metadata/labels', value: { c: 'd' } }] });
    const now = store.get(Pod, 'tidb', 'basic-pd-0')!;
    assert.equal(now.metadata.annotations?.a, 'b');
    assert.equal(now.metadata.labels?.c, 'd');
  });

  it('creates and reads custom objects with CustomObjectsApi once the CRD exists', async () => {
    store.create({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'tikvgroups.core.pingcap.com' },
      spec: { group: 'core.pingcap.com', scope: 'Namespaced', names: { plural: 'tikvgroups', singular: 'tikvgroup', kind: 'TiKVGroup', shortNames: ['kvg'] }, versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } }] },
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'core.pingcap.com', version: 'v1alpha1', namespace: 'tidb', plural: 'tikvgroups',
      body: { apiVersion: 'core.pingcap.com/v1alpha1', kind: 'TiKVGroup', metadata: { name: 'tikv' }, spec: { replicas: 3, template: { spec: { version: 'v8.5.0' } } } },
    });
    const got = await custom.getNamespacedCustomObject({ group: 'core.pingcap.com', version: 'v1alpha1', namespace: 'tidb', plural: 'tikvgroups', name: 'tikv' }) as KubeObject;
    assert.equal((got.spec as { replicas: number }).replicas, 3);
    const patched = await custom.patchNamespacedCustomObject(
      { group: 'core.pingcap.com', version: 'v1alpha1', namespace: 'tidb', plural: 'tikvgroups', name: 'tikv', body: { spec: { template: { spec: { version: 'v8.5.1' } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ) as KubeObject;
    assert.equal(patched.metadata.generation, 2);
  });

  it('receives watch events with Watch and resumes from a resourceVersion', async () => {
    const watch = new Watch(kc);
    const seen: string[] = [];
    let controller: AbortController | undefined;
    const done = new Promise<void>((resolve, reject) => {
      void watch.watch('/api/v1/namespaces/tidb/pods', {}, (type, object: KubeObject) => {
        seen.push(`${type} ${object.metadata.name}`);
        if (seen.length === 2) resolve();
      }, (err) => (err && err.name !== 'AbortError' ? reject(err) : undefined)).then((c) => {
        controller = c;
        runningPod(store, 'basic-pd-0');
      });
    });
    await done;
    controller?.abort();
    assert.deepEqual(seen.slice(0, 2), ['ADDED basic-pd-0', 'MODIFIED basic-pd-0']);
  });

  it('port-forwards to the loopback address behind the pod port (v4.channel.k8s.io) and echoes bytes', async () => {
    const echo = await startEcho();
    try {
      runningPod(store, 'basic-pd-0');
      routes.set('tidb/basic-pd-0:2379', echo.address);
      const output = new PassThrough();
      const errors = new PassThrough();
      const input = new PassThrough();
      const ws = await new PortForward(kc).portForward('tidb', 'basic-pd-0', [2379], output, errors, input) as unknown as { protocol: string; close(): void };
      assert.equal(ws.protocol, 'v4.channel.k8s.io');
      const received = new Promise<string>((resolve) => {
        let data = '';
        output.on('data', (chunk: Buffer) => {
          data += chunk.toString();
          if (data.length >= 11) resolve(data);
        });
      });
      input.write('hello world');
      assert.equal(await received, 'hello world');
      ws.close();
      const opened = history.ofType('kube-request').find((e) => e.data.subresource === 'portforward');
      assert.equal(opened?.data.verb, 'create');
      assert.equal(opened?.data.status, 101);
    } finally {
      echo.server.close();
    }
  });

  it('reports a port nothing listens on through the error channel, worded as the kubelet', async () => {
    runningPod(store, 'basic-pd-0');
    const output = new PassThrough();
    const errors = new PassThrough();
    const input = new PassThrough();
    const closed = new Promise<string>((resolve) => {
      let text = '';
      errors.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('connection refused')) resolve(text);
      });
    });
    const ws = await new PortForward(kc).portForward('tidb', 'basic-pd-0', [2379], output, errors, input) as unknown as { close(): void };
    const message = await closed;
    ws.close();
    assert.match(message, /^error forwarding port 2379 to pod [0-9a-f]+, uid : failed to execute portforward in network namespace/);
  });

  it('rejects port-forward to a missing pod, a pod that is not running, and without RBAC create on pods/portforward', async () => {
    const forward = (config: KubeConfig, pod: string) => new PortForward(config).portForward('tidb', pod, [2379], new PassThrough(), new PassThrough(), new PassThrough());
    const rejectsWith = (code: number) => (error: unknown) => {
      assert.match(String((error as { message?: string }).message), new RegExp(`Unexpected server response: ${code}`));
      return true;
    };
    await assert.rejects(forward(kc, 'missing'), rejectsWith(404));
    store.create({ ...Pod, metadata: { name: 'pending', namespace: 'tidb' }, spec: { containers: [{ name: 'c', image: 'i:1' }] } });
    await assert.rejects(forward(kc, 'pending'), rejectsWith(400), 'a pod without a node: "does not have a host assigned"');
    store.patch(Pod, 'tidb', 'pending', { spec: { nodeName: 'sim-node-1' } }, 'merge');
    await assert.rejects(forward(kc, 'pending'), rejectsWith(500), 'a scheduled pod the kubelet does not run: "pod not found"');
    runningPod(store, 'basic-pd-0');
    api.addToken('viewer-token', { name: 'viewer' });
    api.authz.bind('viewer', [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/portforward'] }]);
    api.writeKubeconfig(join(dir, 'viewer'), { token: 'viewer-token', user: 'viewer' });
    const viewer = new KubeConfig();
    viewer.loadFromFile(join(dir, 'viewer'));
    await assert.rejects(forward(viewer, 'basic-pd-0'), rejectsWith(403));
    const statuses = history.ofType('kube-request').filter((e) => e.data.subresource === 'portforward').map((e) => e.data.status);
    assert.deepEqual(statuses, [404, 400, 500, 403]);
  });

  it('drops the port-forward WebSocket mid-stream when the fault is set', async () => {
    const echo = await startEcho();
    try {
      runningPod(store, 'basic-pd-0');
      routes.set('tidb/basic-pd-0:2379', echo.address);
      api.faults.dropPortForward({ pod: 'basic-pd-0', afterBytes: 4, times: 1 });
      const output = new PassThrough();
      const input = new PassThrough();
      const ws = await new PortForward(kc).portForward('tidb', 'basic-pd-0', [2379], output, new PassThrough(), input) as unknown as { on(event: string, fn: () => void): void };
      const closed = new Promise<void>((resolve) => ws.on('close', resolve));
      let received = '';
      output.on('data', (chunk: Buffer) => (received += chunk.toString()));
      input.write('0123456789');
      await closed;
      assert.ok(received.length <= 4, `at most 4 bytes before the drop, got ${JSON.stringify(received)}`);
      assert.equal(history.ofType('port-forward-dropped').length, 1);
    } finally {
      echo.server.close();
    }
  });
});
