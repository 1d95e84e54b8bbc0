import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import type { KubeObject } from '../../src/kube/kube.ts';
import type { Topology } from '../../src/core/model.ts';
import { History } from './history.ts';
import { maxConcurrentUnavailable, startSimCluster, storeUnavailability, type SimCluster } from './cluster.ts';
import { isPodReady } from './controllers/pod-state.ts';

const exec = promisify(execFile);

/** Runs the real kubectl (asynchronously: the API server lives in this process). */
async function kubectl(kubeconfig: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

function assertSettled(sim: SimCluster, stores: number, pdReplicas: number): void {
  assert.deepEqual(sim.unsettledReasons(), []);
  const pods = sim.store.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: sim.namespace }).items;
  const tikvPods = sim.tikvPodNames();
  assert.equal(tikvPods.length, stores);
  assert.equal(sim.pdPodNames().length, pdReplicas);
  for (const name of [...tikvPods, ...sim.pdPodNames()]) {
    assert.ok(isPodReady(pods.find((p) => p.metadata.name === name)), `${name} is Ready`);
  }
  const live = sim.pd.storeViews().filter((s) => s.stateName !== 'Tombstone');
  assert.equal(live.length, stores);
  assert.ok(live.every((s) => s.stateName === 'Up' && s.running));
  // Every TiKV pod is a store, by the StatefulSet-style address PD knows.
  for (const name of tikvPods) assert.ok(sim.pd.storeOfPod(name), `${name} has a store`);
  assert.match(sim.pdDirectUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
}

describe('sim/cluster', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: SimCluster | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kt-sim-cluster-'));
  });
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: { topology: Topology; stores: number; pdReplicas: number; kinds: string[] }[] = [
    { topology: 'tidb-operator-v1', stores: 3, pdReplicas: 3, kinds: ['tc'] },
    { topology: 'tidb-operator-v2', stores: 3, pdReplicas: 3, kinds: ['kvg', 'tikv', 'cluster', 'pdg'] },
    { topology: 'tikv-operator', stores: 4, pdReplicas: 1, kinds: ['tikvgroups', 'tikv'] },
    { topology: 'statefulset', stores: 3, pdReplicas: 3, kinds: ['statefulsets'] },
  ];
  for (const c of cases) {
    it(`brings up ${c.topology} with ${c.stores} stores Up and every pod Ready, and kubectl sees it`, async () => {
      sim = await startSimCluster({ topology: c.topology, stores: c.stores, pdReplicas: c.pdReplicas, timeScale: 0.01 });
      assertSettled(sim, c.stores, c.pdReplicas);
      const kubeconfig = join(dir, 'kubeconfig');
      sim.writeKubeconfig(kubeconfig);
      const pods = await kubectl(kubeconfig, 'get', 'pods', '-o', 'name');
      assert.equal(pods.code, 0, pods.stderr);
      for (const name of sim.tikvPodNames()) assert.ok(pods.stdout.includes(`pod/${name}\n`), `kubectl lists ${name}`);
      for (const kind of c.kinds) {
        const got = await kubectl(kubeconfig, 'get', kind);
        assert.equal(got.code, 0, `kubectl get ${kind}: ${got.stderr}`);
        assert.match(got.stdout, /^NAME\s/);
      }
    });
  }

  it('shows the TidbCluster printer columns and the store ids tidb-operator v1 keeps', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01 });
    const kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    const table = await kubectl(kubeconfig, 'get', 'tc', 'basic');
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trim().split('\n');
    assert.deepEqual(header.split(/\s+/).slice(0, 6), ['NAME', 'READY', 'PD', 'STORAGE', 'READY', 'DESIRE']);
    assert.match(row, /^basic\s+True\s+pingcap\/pd:v8\.5\.0\s+10Gi\s+1\s+1\s+pingcap\/tikv:v8\.5\.0\s+100Gi\s+3\s+3/);
    const labels = await kubectl(kubeconfig, 'get', 'pods', '-l', 'app.kubernetes.io/component=tikv', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.tidb\\.pingcap\\.com/store-id}{"\\n"}{end}');
    for (const line of labels.stdout.trim().split('\n')) {
      const [pod, storeId] = line.split('=');
      assert.equal(Number(storeId), sim.pd.storeOfPod(pod)?.storeId, `${pod} labelled with its store id`);
    }
  });

  it('serves PD and TiKV over mutual TLS with the documented client secret', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01, tls: true });
    assertTlsSettled(sim);
    const secret = sim.store.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret' }, sim.namespace, 'basic-cluster-client-secret');
    assert.ok(secret, 'client secret exists');
    const pem = (key: string) => Buffer.from(secret.data[key], 'base64').toString('utf8');
    const url = sim.pdDirectUrl!;
    assert.match(url, /^https:\/\/127\.0\.0\.1:/);
    // PD serves gRPC on the same port: HTTP/2 must not be negotiated (stack.md).
    const agent = new Agent({ allowH2: false, connect: { ca: pem('ca.crt'), cert: pem('tls.crt'), key: pem('tls.key') } });
    try {
      const response = await request(`${url}/pd/api/v1/stores`, { dispatcher: agent });
      assert.equal(response.statusCode, 200);
      const body = (await response.body.json()) as { count: number };
      assert.equal(body.count, 3);
    } finally {
      await agent.close();
    }
    const noClientCert = new Agent({ allowH2: false, connect: { ca: pem('ca.crt') } });
    let outcome: string;
    try {
      const response = await request(`${url}/pd/api/v1/stores`, { dispatcher: noClientCert });
      await response.body.text();
      outcome = `answered ${response.statusCode}`;
    } catch (error) {
      outcome = `refused: ${(error as Error).message}`;
    } finally {
      await noClientCert.close();
    }
    assert.match(outcome, /^refused: /, 'PD refuses a client without a certificate');
  });

  it('runs extra clusters of the same topology side by side in one namespace', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01, extraClusters: [{ clusterName: 'other', stores: 2 }] });
    assert.deepEqual(sim.clusterNames, ['basic', 'other']);
    assert.deepEqual(sim.tikvPodNames(), ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
    assert.deepEqual(sim.tikvPodNames('other'), ['other-tikv-0', 'other-tikv-1']);
    assert.equal(sim.pdClusters.get('other')!.storeViews().length, 2);
    assert.ok(sim.pdClusters.get('other')!.storeOfPod('other-tikv-1'));
    assert.equal(sim.pd.storeOfPod('other-tikv-1'), undefined, 'each cluster has its own PD');
  });

  it('gives a user only the RBAC rules it is bound to', async () => {
    sim = await startSimCluster({
      topology: 'statefulset',
      timeScale: 0.01,
      users: [{ name: 'viewer', token: 'viewer-token', rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }] }],
    });
    const kubeconfig = join(dir, 'viewer');
    sim.writeKubeconfig(kubeconfig, { user: 'viewer', context: 'viewer' });
    const list = await kubectl(kubeconfig, 'get', 'pods', '-o', 'name');
    assert.equal(list.code, 0, list.stderr);
    const remove = await kubectl(kubeconfig, 'delete', 'pod', 'basic-tikv-0', '--wait=false');
    assert.notEqual(remove.code, 0);
    assert.match(remove.stderr, /forbidden: User "viewer" cannot delete resource "pods"/);
    assert.throws(() => sim!.writeKubeconfig(join(dir, 'x'), { user: 'nobody' }), /no simulated user nobody/);
  });
});

function assertTlsSettled(sim: SimCluster): void {
  assert.deepEqual(sim.unsettledReasons(), []);
  assert.ok(sim.tls, 'TLS material is on the handle');
}

describe('sim/cluster store-unavailability timeline', () => {
  function historyOf(events: [number, 'store-stopped' | 'store-running', string][]): History {
    const history = new History();
    for (const [at, type, podName] of events) {
      const entry = history.record('tikv', type, { storeId: Number(podName.slice(-1)) + 1, podName, reason: 'terminated' });
      entry.at = at;
    }
    return history;
  }

  it('pairs each stop with the next start of the same pod', () => {
    const intervals = storeUnavailability(historyOf([
      [10, 'store-stopped', 'basic-tikv-2'],
      [20, 'store-running', 'basic-tikv-2'],
      [30, 'store-stopped', 'basic-tikv-1'],
    ]));
    assert.deepEqual(intervals.map((i) => [i.podName, i.from, i.to]), [['basic-tikv-2', 10, 20], ['basic-tikv-1', 30, undefined]]);
  });

  it('counts overlapping outages, and a pod coming back as it another goes as no overlap', () => {
    const sequential = historyOf([
      [10, 'store-stopped', 'basic-tikv-2'],
      [20, 'store-running', 'basic-tikv-2'],
      [20, 'store-stopped', 'basic-tikv-1'],
      [30, 'store-running', 'basic-tikv-1'],
    ]);
    assert.equal(maxConcurrentUnavailable(storeUnavailability(sequential)), 1);
    const overlapping = historyOf([
      [10, 'store-stopped', 'basic-tikv-2'],
      [15, 'store-stopped', 'basic-tikv-1'],
      [20, 'store-running', 'basic-tikv-2'],
    ]);
    assert.equal(maxConcurrentUnavailable(storeUnavailability(overlapping)), 2);
    assert.equal(maxConcurrentUnavailable(storeUnavailability(overlapping, { podNames: ['basic-tikv-1'] })), 1);
    assert.equal(maxConcurrentUnavailable([]), 0);
  });
});
