import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';
import { readClientTls } from '../../src/kube/cluster-tls.ts';
import { podHttpTarget, serviceHttpTarget } from '../../src/kube/http-targets.ts';
import type { KubeObject } from '../../src/kube/kube.ts';
import { createPdClient } from '../../src/pd/undici-pd-client.ts';
import { createTikvMetrics } from '../../src/tikv/undici-tikv-metrics.ts';
import type { SimProcess } from '../sim/process.ts';
import { type RunningPdCluster, startPdCluster } from '../sim/pd/start-pd-cluster.ts';
import { issueCert, makeCa } from '../sim/tls.ts';
import { type KubeFixture, putPod, startKubeFixture } from './kube-fixture.ts';
import { addClientSecret } from './topology-fixtures.ts';

const PD_LABELS = { 'app.kubernetes.io/component': 'pd', 'app.kubernetes.io/instance': 'basic' };

function pdPod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'tidb', labels: PD_LABELS },
    spec: { nodeName: 'node-1', containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ name: 'client', containerPort: 2379 }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function tikvPod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'tidb', labels: { 'app.kubernetes.io/component': 'tikv' } },
    spec: { nodeName: 'node-1', hostname: name, subdomain: 'basic-tikv-peer', containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** Kubernetes objects of a PD service with a named target port, the PD pods and the TiKV pods of `running`. */
function addPdAndTikvPods(fixture: KubeFixture, running: RunningPdCluster): void {
  fixture.store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'basic-pd', namespace: 'tidb', labels: PD_LABELS },
    spec: { selector: PD_LABELS, ports: [{ name: 'client', port: 2379, targetPort: 'client' }] },
  });
  running.pdProcesses.forEach((_, i) => putPod(fixture.store, pdPod(`basic-pd-${i}`)));
  running.tikvs.forEach((_, i) => putPod(fixture.store, tikvPod(running.tikvPodName(i))));
  const byPod = new Map<string, SimProcess>();
  running.pdProcesses.forEach((process, i) => byPod.set(`basic-pd-${i}`, process));
  running.tikvs.forEach((process, i) => byPod.set(running.tikvPodName(i), process));
  fixture.api.setPortForwardResolver({ resolve: (namespace, pod, port) => (namespace === 'tidb' ? byPod.get(pod)?.ports.get(port) : undefined) });
}

describe('HttpTargets over port-forwards to the PD and TiKV simulators', () => {
  let fixture: KubeFixture;
  let running: RunningPdCluster;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    fixture = await startKubeFixture({ tls: true });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await running?.stop();
    await fixture.close();
  });

  async function startPd(options: Parameters<typeof startPdCluster>[0] = {}) {
    running = await startPdCluster({ namespace: 'tidb', clusterName: 'basic', stores: 3, timeScale: 0.01, ...options });
    addPdAndTikvPods(fixture, running);
  }

  it("reaches PD through the service's Ready pod and the service's named target port", async () => {
    await startPd();
    const kube = fixture.kube();
    const target = serviceHttpTarget(kube, { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'http' });
    assert.deepEqual(await target.resolve(), [{ podName: 'basic-pd-0', port: 2379 }]);
    const pd = createPdClient(target);
    closers.push(() => pd.close());
    assert.equal(await pd.version(), 'v8.5.0');
    assert.equal((await pd.stores()).length, 3);
    assert.match(target.description, /^PD service tidb\/basic-pd \(port-forward to basic-pd-0:2379\)$/);
  });

  it('uses the EndpointSlices of the service when they exist', async () => {
    await startPd({ pdMembers: 2 });
    fixture.store.create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'basic-pd-abcde', namespace: 'tidb', labels: { 'kubernetes.io/service-name': 'basic-pd' } },
      addressType: 'IPv4',
      ports: [{ name: 'client', port: 2379, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.0.0.1'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'basic-pd-0', namespace: 'tidb' } },
        { addresses: ['10.0.0.2'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'basic-pd-1', namespace: 'tidb' } },
      ],
    });
    const target = serviceHttpTarget(fixture.kube(), { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'http' });
    assert.deepEqual(await target.resolve(), [{ podName: 'basic-pd-1', port: 2379 }]);
    const pd = createPdClient(target);
    closers.push(() => pd.close());
    assert.equal((await pd.members()).members.length, 2);
    assert.match(target.description, /basic-pd-1:2379/);
  });

  it('looks the service up once for connections opened together', async () => {
    await startPd();
    const target = serviceHttpTarget(fixture.kube(), { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'http' });
    const streams = await Promise.all([target.openStream(), target.openStream(), target.openStream(), target.openStream()]);
    for (const stream of streams) stream.destroy();
    const serviceReads = fixture.history.ofType('kube-request').filter((e) => e.data.resource === 'services' && e.data.name === 'basic-pd');
    assert.equal(serviceReads.length, 1);
    assert.equal(fixture.history.ofType('kube-request').filter((e) => e.data.subresource === 'portforward').length, 4);
  });

  it('picks another Ready endpoint when the pod behind the tunnel goes away', async () => {
    await startPd({ pdMembers: 2 });
    const target = serviceHttpTarget(fixture.kube(), { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'http' });
    const first = await target.openStream();
    assert.match(target.description, /basic-pd-0/);
    first.destroy();
    fixture.store.remove({ apiVersion: 'v1', kind: 'Pod' }, 'tidb', 'basic-pd-0');
    const second = await target.openStream();
    assert.match(target.description, /basic-pd-1/);
    second.destroy();
    const pd = createPdClient(target);
    closers.push(() => pd.close());
    assert.equal(await pd.version(), 'v8.5.0');
  });

  it('names the service when nothing behind it is Ready, or when it does not exist', async () => {
    await startPd();
    fixture.store.patch({ apiVersion: 'v1', kind: 'Pod' }, 'tidb', 'basic-pd-0', { status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 'merge', { subresource: 'status' });
    const notReady = serviceHttpTarget(fixture.kube(), { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'http' });
    await assert.rejects(notReady.openStream(), (error: unknown) => error instanceof UserError && /^no Ready pod behind service "basic-pd" in namespace "tidb"$/.test(error.message));
    const missing = serviceHttpTarget(fixture.kube(), { namespace: 'tidb', service: 'nope-pd', port: 2379, scheme: 'http' });
    await assert.rejects(missing.openStream(), (error: unknown) => error instanceof UserError && /^service "nope-pd" not found in namespace "tidb"$/.test(error.message));
  });

  it("reads a TiKV pod's /metrics through a port-forward to its status port", async () => {
    await startPd();
    const kube = fixture.kube();
    const metrics = createTikvMetrics((podName) => podHttpTarget(kube, { namespace: 'tidb', podName, port: 20180, scheme: 'http' }));
    closers.push(() => metrics.close());
    const leaders = await Promise.all([0, 1, 2].map((i) => metrics.leaderCount(running.tikvPodName(i))));
    assert.ok(leaders.every((n) => Number.isInteger(n) && n >= 0));
    assert.ok(leaders.reduce((a, b) => a + b, 0) > 0, 'the cluster has leaders');
  });

  it('speaks mTLS to PD over the tunnel with the cluster client secret, verifying the service name', async () => {
    const ca = makeCa();
    const server = issueCert({ ca, commonName: 'basic-pd', dnsNames: ['basic-pd', 'basic-pd.tidb', 'basic-pd.tidb.svc', '*.basic-tikv-peer.tidb', '*.basic-tikv-peer.tidb.svc'], ips: ['127.0.0.1', '::1'] });
    const client = issueCert({ ca, commonName: 'kubectl-tikv', client: true });
    await startPd({ tls: { ca: ca.cert, cert: server.cert, key: server.key } });
    addClientSecret(fixture.store, 'tidb', 'basic-cluster-client-secret', { ca: ca.cert, cert: client.cert, key: client.key });
    const kube = fixture.kube();
    const tls = await readClientTls(kube, { namespace: 'tidb', name: 'basic-cluster-client-secret' });
    const pd = createPdClient(serviceHttpTarget(kube, { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'https', tls }), { retries: 0 });
    closers.push(() => pd.close());
    assert.equal(await pd.version(), 'v8.5.0');
    const metrics = createTikvMetrics((podName) => podHttpTarget(kube, { namespace: 'tidb', podName, port: 20180, scheme: 'https', host: `${podName}.basic-tikv-peer.tidb.svc`, tls }));
    closers.push(() => metrics.close());
    assert.ok((await metrics.leaderCount('basic-tikv-0')) >= 0);

    // Another CA: PD's certificate is refused.
    const stranger = makeCa('stranger');
    const wrong = createPdClient(serviceHttpTarget(kube, { namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'https', tls: { ...tls, ca: stranger.cert } }), { retries: 0 });
    closers.push(() => wrong.close());
    await assert.rejects(wrong.version(), /certificate/i);
  });
});
