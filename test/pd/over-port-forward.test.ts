import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import type { HttpTarget } from '../../src/http-target.ts';
import type { ClientNodeKube } from '../../src/kube/client-node-kube.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import { createPdClient } from '../../src/pd/undici-pd-client.ts';
import { createTikvMetrics, type TikvMetricsClient } from '../../src/tikv/undici-tikv-metrics.ts';
import { type KubeFixture, pod, putPod, startKubeFixture } from '../kube/kube-fixture.ts';
import { PdCluster, type SimTls } from '../sim/pd/pd-cluster.ts';
import type { SimProcess } from '../sim/process.ts';
import { SimClock } from '../sim/sim-clock.ts';
import { issueCert, makeCa } from '../sim/tls.ts';

/**
 * The whole path a user's run takes to PD and to a TiKV's /metrics: the undici clients speak HTTP(S) over streams
 * from engineer C's client-node port-forward (`Kube.portForward`), through engineer A's simulated API server and its
 * pods/portforward WebSocket, to engineer B's simulated PD and TiKV processes.
 */
const TIME_SCALE = 0.005;

describe('PD client and TiKV metrics over a Kubernetes port-forward', function () {
  this.timeout(30_000);
  let fixture: KubeFixture;
  let cluster: PdCluster;
  let kube: ClientNodeKube;
  const processes = new Map<string, SimProcess>();
  const clients: { close(): Promise<void> }[] = [];

  async function startCluster(tls?: SimTls): Promise<void> {
    fixture = await startKubeFixture({ tls: true });
    kube = fixture.kube();
    cluster = new PdCluster({ clock: new SimClock(TIME_SCALE), history: fixture.history, regionsPerStore: 20, tls });
    processes.set('basic-pd-0', await cluster.startPd({ podName: 'basic-pd-0', namespace: 'tidb', subdomain: 'basic-pd-peer' }));
    for (const index of [0, 1, 2]) {
      const podName = `basic-tikv-${index}`;
      processes.set(podName, await cluster.startTikv({ podName, namespace: 'tidb', subdomain: 'basic-tikv-peer' }));
    }
    for (const podName of processes.keys()) putPod(fixture.store, pod(podName, 'tidb'));
    // The kubelet's part: a pod's container port is whatever the simulated process listens on now.
    fixture.api.setPortForwardResolver({
      resolve: (namespace, podName, port) => (namespace === 'tidb' ? processes.get(podName)?.ports.get(port) : undefined),
    });
    await cluster.waitUntilSettled();
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster?.stop();
    cluster?.clock.stop();
    await fixture?.close();
    processes.clear();
  });

  function forwarded(podName: string, port: number, origin: string, tls?: HttpTarget['tls'], opened?: Duplex[]): HttpTarget {
    return {
      origin,
      description: `pod ${podName} port ${port} (port-forward)`,
      tls,
      openStream: async (signal) => {
        const stream = await kube.portForward('tidb', podName, port, { signal });
        opened?.push(stream);
        return stream;
      },
    };
  }

  function pdClient(target: HttpTarget): PdClient {
    const client = createPdClient(target, { timeoutMs: 5_000, retryBaseDelayMs: 5, retryMaxDelayMs: 50 });
    clients.push(client);
    return client;
  }

  function metricsClient(targetFor: (podName: string) => HttpTarget): TikvMetricsClient {
    const client = createTikvMetrics(targetFor, { timeoutMs: 5_000, retryBaseDelayMs: 5, retryMaxDelayMs: 50 });
    clients.push(client);
    return client;
  }

  /** The pod's count as read equals the TiKV's truth at some moment of the read (balance may be moving leaders). */
  async function assertTruthful(metrics: TikvMetricsClient, podName: string): Promise<void> {
    const before = cluster.storeOfPod(podName)?.leaderCount ?? Number.NaN;
    const read = await metrics.leaderCount(podName);
    const after = cluster.storeOfPod(podName)?.leaderCount ?? Number.NaN;
    assert.ok(read > 0 && read >= Math.min(before, after) && read <= Math.max(before, after), `${podName}: read ${read}, TiKV had ${before} then ${after}`);
  }

  it('evicts, reads and removes through the tunnel', async () => {
    await startCluster();
    const client = pdClient(forwarded('basic-pd-0', 2379, 'http://basic-pd:2379'));
    const stores = await client.stores();
    assert.equal(stores.length, 3);
    const storeId = stores[0].storeId;
    await client.addEvictLeader(storeId);
    assert.deepEqual((await client.evictLeaderState()).storeIds, [storeId]);
    assert.equal(await client.removeEvictLeader(storeId), 'removed');
    assert.equal(await client.removeEvictLeader(storeId), 'absent');
    const requests = fixture.history.ofType('pd-request', 'pd');
    assert.ok(requests.some((entry) => entry.data.method === 'POST' && entry.data.path === '/pd/api/v1/schedulers'));
  });

  it('reads each TiKV\'s own leader count from /metrics through a tunnel to its status port', async () => {
    await startCluster();
    const metrics = metricsClient((podName) => forwarded(podName, 20180, `http://${podName}.basic-tikv-peer.tidb.svc:20180`));
    for (const podName of ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']) await assertTruthful(metrics, podName);
  });

  it('opens a new tunnel and retries a read when the port-forward drops', async () => {
    await startCluster();
    const opened: Duplex[] = [];
    const client = pdClient(forwarded('basic-pd-0', 2379, 'http://basic-pd:2379', undefined, opened));
    assert.equal(await client.version(), 'v8.5.0');
    for (const stream of opened) stream.destroy();
    assert.equal((await client.stores()).length, 3);
    assert.ok(opened.length >= 2, 'a fresh port-forward after the first was dropped');
  });

  it('speaks mTLS to PD and TiKV over the tunnel, verifying their certificates by service name', async () => {
    const ca = makeCa();
    const server = issueCert({ ca, commonName: 'basic-pd', dnsNames: ['basic-pd', '*.basic-tikv-peer.tidb.svc', 'localhost'], ips: ['127.0.0.1', '::1'] });
    const clientCert = issueCert({ ca, commonName: 'basic-cluster-client', client: true });
    await startCluster({ ca: ca.cert, cert: server.cert, key: server.key });
    const tls = { ca: ca.cert, cert: clientCert.cert, key: clientCert.key };
    const client = pdClient(forwarded('basic-pd-0', 2379, 'https://basic-pd:2379', tls));
    assert.equal((await client.stores()).length, 3);
    const metrics = metricsClient((podName) => forwarded(podName, 20180, `https://${podName}.basic-tikv-peer.tidb.svc:20180`, tls));
    await assertTruthful(metrics, 'basic-tikv-1');
  });
});
