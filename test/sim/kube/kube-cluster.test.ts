import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History } from '../history.ts';
import { SimClock } from '../sim-clock.ts';
import { startKubeCluster, type KubeCluster } from './kube-cluster.ts';
import { ScriptedProcessFactory } from './scripted-processes.ts';

const Pod = { apiVersion: 'v1', kind: 'Pod' };

describe('the Kubernetes side of a simulated cluster (startKubeCluster)', function () {
  this.timeout(60_000);
  let dir: string;
  let history: History;
  let clock: SimClock;
  let processes: ScriptedProcessFactory;
  let kube: KubeCluster;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kt-kube-cluster-'));
    history = new History();
    clock = new SimClock(0.001);
    processes = new ScriptedProcessFactory({ serve: true });
    kube = await startKubeCluster({ clock, history, processes });
    kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidb' } });
    kube.writeKubeconfig(join(dir, 'kubeconfig'), { namespace: 'tidb' });
    const labels = { 'app.kubernetes.io/component': 'pd', 'app.kubernetes.io/instance': 'basic' };
    kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'basic-pd', namespace: 'tidb', labels }, spec: { selector: labels, ports: [{ name: 'client', port: 2379, targetPort: 'client' }] } });
    kube.store.create({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'basic-pd', namespace: 'tidb', labels },
      spec: {
        replicas: 2, serviceName: 'basic-pd-peer', selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ name: 'client', containerPort: 2379 }] }] } },
      },
    });
    await history.waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'basic-pd-1', AbortSignal.timeout(10_000));
  });
  afterEach(async () => {
    await kube.stop();
    clock.stop();
    processes.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('kubectl', args, { env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') }, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  }

  it('shows running, ready StatefulSet pods to kubectl', async () => {
    const run = await kubectl(['get', 'pods', '-o', 'wide']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /basic-pd-0\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+sim-node-\d/);
    assert.match(run.stdout, /basic-pd-1\s+1\/1\s+Running/);
    const sts = await kubectl(['get', 'sts', 'basic-pd']);
    assert.match(sts.stdout, /basic-pd\s+2\/2/);
    const endpoints = await kubectl(['get', 'endpoints', 'basic-pd', '-o', 'jsonpath={.subsets[0].addresses[*].targetRef.name}']);
    assert.equal(endpoints.stdout, 'basic-pd-0 basic-pd-1');
    const nodes = await kubectl(['get', 'nodes']);
    assert.match(nodes.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\nsim-node-1\s+Ready\s+<none>\s+\S+\s+v1\.32\.4\n/);
    const describe = await kubectl(['describe', 'pod', 'basic-pd-0']);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /Controlled By:\s+StatefulSet\/basic-pd/);
    assert.match(describe.stdout, /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned tidb\/basic-pd-0 to sim-node-\d/);
    assert.match(describe.stdout, /Normal\s+Started\s+\S+\s+kubelet\s+Started container pd/);
  });

  it('kubectl delete pod waits for the kubelet to remove it; the StatefulSet brings it back', async () => {
    const before = kube.store.get<KubeObject>(Pod, 'tidb', 'basic-pd-0')!.metadata.uid;
    const run = await kubectl(['delete', 'pod', 'basic-pd-0']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'pod "basic-pd-0" deleted');
    const removed = history.entries.findIndex((e) => e.type === 'pod-removed' && e.data.uid === before);
    assert.ok(removed >= 0, 'the old pod was removed before kubectl returned');
    await history.waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'basic-pd-0' && e.data.uid !== before, AbortSignal.timeout(10_000));
  });

  it('scales a StatefulSet with kubectl scale (scale subresource) and waits with kubectl rollout status', async () => {
    const run = await kubectl(['scale', 'sts', 'basic-pd', '--replicas=3']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'statefulset.apps/basic-pd scaled');
    const rollout = await kubectl(['rollout', 'status', 'sts/basic-pd', '--timeout=30s']);
    assert.equal(rollout.code, 0, rollout.stderr);
    assert.match(rollout.stdout, /roll out complete: 3 new pods have been updated/);
    const scale = await kubectl(['get', '--raw', '/apis/apps/v1/namespaces/tidb/statefulsets/basic-pd/scale']);
    const parsed = JSON.parse(scale.stdout) as { spec: { replicas: number }; status: { replicas: number; selector: string } };
    assert.deepEqual([parsed.spec.replicas, parsed.status.replicas], [3, 3]);
    assert.equal(parsed.status.selector, 'app.kubernetes.io/component=pd,app.kubernetes.io/instance=basic');
  });

  it('restarts a StatefulSet with kubectl rollout restart, highest ordinal first', async () => {
    const uids = ['basic-pd-0', 'basic-pd-1'].map((name) => kube.store.get<KubeObject>(Pod, 'tidb', name)!.metadata.uid);
    const run = await kubectl(['rollout', 'restart', 'sts/basic-pd']);
    assert.equal(run.code, 0, run.stderr);
    const rollout = await kubectl(['rollout', 'status', 'sts/basic-pd', '--timeout=30s']);
    assert.equal(rollout.code, 0, rollout.stderr);
    const deleted = history.ofType('sts-pod-deleted').map((e) => `${e.data.pod} ${e.data.reason}`);
    assert.deepEqual(deleted, ['basic-pd-1 rolling-update', 'basic-pd-0 rolling-update']);
    assert.ok(['basic-pd-0', 'basic-pd-1'].every((name, i) => kube.store.get<KubeObject>(Pod, 'tidb', name)!.metadata.uid !== uids[i]));
  });

  it('port-forwards with client-node to a pod the kubelet runs', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    const output = new PassThrough();
    const input = new PassThrough();
    const ws = await new PortForward(kc).portForward('tidb', 'basic-pd-1', [2379], output, new PassThrough(), input) as unknown as { close(): void };
    const echoed = new Promise<string>((resolve) => output.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    input.write('GET /pd/api/v1/health');
    assert.equal(await echoed, 'GET /pd/api/v1/health');
    ws.close();
  });
});
