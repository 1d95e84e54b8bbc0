import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/run-cli.ts';
import { type RunningPdCluster, startPdCluster } from '../sim/pd/start-pd-cluster.ts';
import { type KubeFixture, putPod, startKubeFixture } from '../kube/kube-fixture.ts';
import { addV1 } from '../kube/topology-fixtures.ts';
import { captureRuntime } from './capture-runtime.ts';

describe('kubectl tikv version against a cluster', () => {
  let fixture: KubeFixture;
  let running: RunningPdCluster;
  let home: string;

  before(async () => {
    fixture = await startKubeFixture({ tls: true });
    running = await startPdCluster({ namespace: 'tidb', clusterName: 'basic', stores: 3, timeScale: 0.01 });
    addV1(fixture.store, 'tidb', 'basic');
    const pdLabels = {
      'app.kubernetes.io/name': 'tidb-cluster',
      'app.kubernetes.io/managed-by': 'tidb-operator',
      'app.kubernetes.io/instance': 'basic',
      'app.kubernetes.io/component': 'pd',
    };
    putPod(fixture.store, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'basic-pd-0', namespace: 'tidb', labels: pdLabels },
      spec: { nodeName: 'node-1', containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ name: 'client', containerPort: 2379 }] }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    fixture.api.setPortForwardResolver({ resolve: (_ns, pod, port) => (pod === 'basic-pd-0' ? running.pdProcesses[0].ports.get(port) : undefined) });
    home = mkdtempSync(path.join(tmpdir(), 'kt-home-'));
  });
  after(async () => {
    await running.stop();
    await fixture.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function run(argv: string[], env: Record<string, string> = { HOME: home }) {
    const runtime = captureRuntime({ env });
    const code = await runCli(argv, runtime);
    return { code, out: runtime.out(), err: runtime.err() };
  }

  it('shows the plugin, the cluster it found, and PD and TiKV versions from PD', async () => {
    const { code, out, err } = await run(['version', '--kubeconfig', fixture.kubeconfigPath]);
    assert.equal(err, '');
    assert.equal(code, 0);
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0], /^Plugin: +kubectl-tikv v\d+\.\d+\.\d+ \(node v/);
    assert.equal(lines[1], 'Cluster:  basic (tidb-operator-v1) in namespace "tidb", context "sim"');
    assert.equal(lines[2], 'PD:       v8.5.0');
    assert.equal(lines[3], 'TiKV:     v8.5.0 (3 stores)');
  });

  it('prints the same as JSON with -o json, reading KUBECONFIG', async () => {
    const { code, out } = await run(['-o', 'json', 'version'], { HOME: home, KUBECONFIG: fixture.kubeconfigPath });
    assert.equal(code, 0);
    const report = JSON.parse(out);
    assert.deepEqual(report.cluster, { topology: 'tidb-operator-v1', namespace: 'tidb', name: 'basic', context: 'sim' });
    assert.deepEqual(report.pd, { version: 'v8.5.0' });
    assert.deepEqual(report.tikv, { versions: [{ version: 'v8.5.0', stores: 3 }] });
  });

  it('shows only the plugin when there is no kubeconfig at all, and says why on stderr', async () => {
    const { code, out, err } = await run(['version']);
    assert.equal(code, 0);
    assert.match(out, /^kubectl-tikv v\S+ \(node /);
    assert.match(err, /^note: no cluster versions: no kubeconfig found: KUBECONFIG is not set and .*\.kube\/config does not exist\n$/);
  });

  it('fails with exit 2 when a flag names a kubeconfig or context that does not exist, after the plugin version', async () => {
    const missing = await run(['version', '--kubeconfig', path.join(home, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.out, /^kubectl-tikv v/);
    assert.match(missing.err, /^error: the kubeconfig file ".*nope" given with --kubeconfig does not exist\n/);
    const context = await run(['version', '--kubeconfig', fixture.kubeconfigPath, '--context', 'prod']);
    assert.equal(context.code, 2);
    assert.match(context.err, /^error: context "prod" does not exist in the kubeconfig .*\nKnown contexts: sim\.\n/);
  });

  it('fails with exit 1 and a plain sentence when the API server cannot be reached', async () => {
    const { code, err } = await run(['version', '--kubeconfig', fixture.kubeconfigPath, '-s', 'https://127.0.0.1:1', '--insecure-skip-tls-verify']);
    assert.equal(code, 1);
    assert.match(err, /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1 \(context "sim"\): .*ECONNREFUSED/);
  });

  it('fails with exit 2 naming the namespace when no TiKV cluster is there', async () => {
    const { code, err } = await run(['version', '--kubeconfig', fixture.kubeconfigPath, '-n', 'empty']);
    assert.equal(code, 2);
    assert.match(err, /^error: no TiKV cluster found in namespace "empty"\nLooked for TidbClusters .*\nTiKV clusters exist in namespace "tidb": use -n NAMESPACE\.\n$/);
  });
});
