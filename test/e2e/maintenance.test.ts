import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/kube/kube.ts';
import { type SimCluster, startSimCluster } from '../sim/cluster.ts';
import { createUserEnvironment, ensureBuilt, runPlugin, type UserEnvironment } from './harness.ts';

const POD = { apiVersion: 'v1', kind: 'Pod' };

/**
 * The maintenance commands, run as a user runs them (built bundle, kubectl plugin discovery, no terminal), against a
 * tidb-operator v1 cluster: exit codes, stdout/stderr, and the cluster's final state — above all that no
 * evict-leader scheduler is left behind, whatever happened.
 */
describe('kubectl tikv status, evict and restart against a simulated cluster', function () {
  this.timeout(120_000);
  let user: UserEnvironment;
  let sim: SimCluster;

  before(() => ensureBuilt());
  beforeEach(async () => {
    user = createUserEnvironment();
    sim = await startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.01 });
    sim.writeKubeconfig(user.kubeconfigPath);
  });
  afterEach(async () => {
    await sim.stop();
    user.dispose();
  });

  const storeIdOf = (podName: string): number => Number(sim.store.get<KubeObject>(POD, sim.namespace, podName)?.metadata.labels?.['tidb.pingcap.com/store-id']);
  const evictLeaderSchedulers = () => sim.pd.schedulerNames().filter((name) => name.startsWith('evict-leader-scheduler'));
  // The plugin polls PD and TiKV at 100 ms: the cluster runs a hundred times faster than real time.
  const FAST = ['--poll-interval', '100ms'];

  it('status -o json shows every store Up with its pod, and nothing being evicted', async () => {
    const result = await runPlugin(user, ['status', '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { cluster: { topology: string }; stores: { podName?: string; state?: string; podReady?: boolean }[]; evictions: unknown[] };
    assert.equal(report.cluster.topology, 'tidb-operator-v1');
    assert.deepEqual(
      report.stores.map((s) => [s.podName, s.state, s.podReady]),
      sim.tikvPodNames().map((name) => [name, 'Up', true]),
    );
    assert.deepEqual(report.evictions, []);
  });

  it('status prints a kubectl-style table without colour when stdout is not a terminal', async () => {
    const result = await runPlugin(user, ['status']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(String.fromCharCode(27)), "no ANSI escape codes");
    for (const pod of sim.tikvPodNames()) assert.match(result.stdout, new RegExp(`\\b${pod}\\b`));
  });

  it('restart POD -y restarts that pod after evicting its leaders and leaves no scheduler', async () => {
    const pod = sim.tikvPodNames()[1];
    const before = sim.store.get<KubeObject>(POD, sim.namespace, pod)?.metadata.uid;
    const storeId = storeIdOf(pod);
    const result = await runPlugin(user, ['restart', pod, '-y', ...FAST]);
    assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
    const after = sim.store.get<KubeObject>(POD, sim.namespace, pod)?.metadata.uid;
    assert.notEqual(after, before, 'the pod was recreated');
    const types = sim.history.entries
      .filter((e) => (e.data.storeId === storeId && ['scheduler-added', 'store-leaders-zero', 'scheduler-removed'].includes(e.type)) || (e.type === 'pod-deleting' && e.data.pod === pod))
      .map((e) => e.type);
    assert.deepEqual(types.slice(0, 2), ['scheduler-added', 'store-leaders-zero']);
    assert.ok(types.indexOf('pod-deleting') > types.indexOf('store-leaders-zero'), `deleted only after 0 leaders: ${types.join(' → ')}`);
    assert.equal(types.at(-1), 'scheduler-removed');
    assert.deepEqual(evictLeaderSchedulers(), []);
  });

  it('restart gives up when leaders never drain (--evict-timeout), exits 1 and removes its scheduler', async () => {
    const pod = sim.tikvPodNames()[0];
    sim.faults.pd.leadersNeverDrain.add(storeIdOf(pod));
    const before = sim.store.get<KubeObject>(POD, sim.namespace, pod)?.metadata.uid;
    const result = await runPlugin(user, ['restart', pod, '-y', '--evict-timeout', '2s', ...FAST]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error: /m);
    assert.equal(sim.store.get<KubeObject>(POD, sim.namespace, pod)?.metadata.uid, before, 'the pod was not deleted');
    assert.deepEqual(evictLeaderSchedulers(), []);
  });

  it('a SIGINT during restart exits 130 only after its scheduler is removed', async () => {
    const pod = sim.tikvPodNames()[2];
    const storeId = storeIdOf(pod);
    sim.faults.pd.leadersNeverDrain.add(storeId);
    let pid = 0;
    const running = runPlugin(user, ['restart', pod, '-y', ...FAST], { onSpawn: (p) => (pid = p) });
    await sim.history.waitFor((e) => e.type === 'scheduler-added' && e.data.storeId === storeId);
    process.kill(pid, 'SIGINT');
    const result = await running;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /Interrupted: stopping and cleaning up…/);
    assert.deepEqual(evictLeaderSchedulers(), [], 'cleanup ran before the process exited');
  });

  it('evict POD -y waits for 0 leaders; evict --list shows it; evict --end removes it', async () => {
    const pod = sim.tikvPodNames()[1];
    const storeId = storeIdOf(pod);
    const begin = await runPlugin(user, ['evict', pod, '-y', ...FAST]);
    assert.equal(begin.code, 0, begin.stderr);
    assert.ok(sim.history.ofType('store-leaders-zero').some((e) => e.data.storeId === storeId));
    assert.deepEqual(evictLeaderSchedulers().length, 1);
    const list = await runPlugin(user, ['evict', '--list', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`"storeId": ${storeId}\\b`));
    const end = await runPlugin(user, ['evict', pod, '--end', ...FAST]);
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(evictLeaderSchedulers(), []);
  });
});

describe('kubectl tikv upgrade against a simulated cluster', function () {
  this.timeout(180_000);
  let user: UserEnvironment;
  let sim: SimCluster;

  before(() => ensureBuilt());
  beforeEach(() => {
    user = createUserEnvironment();
  });
  afterEach(async () => {
    await sim?.stop();
    user.dispose();
  });

  const writes = () => sim.history.ofType('kube-request').filter((e) => ['create', 'update', 'patch', 'delete'].includes(String(e.data.verb)) && e.data.subresource !== 'portforward').length;

  it('--dry-run shows the plan on stdout and changes nothing', async () => {
    sim = await startSimCluster({ topology: 'statefulset', stores: 3, timeScale: 0.01 });
    sim.writeKubeconfig(user.kubeconfigPath);
    const before = writes();
    const result = await runPlugin(user, ['upgrade', '--version', 'v8.5.1', '--dry-run', '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /8\.5\.1/);
    assert.equal(writes(), before);
    assert.deepEqual(sim.pd.schedulerNames().filter((n) => n.startsWith('evict-leader')), []);
  });

  it('upgrades a plain StatefulSet cluster store by store to the new version, leaving no scheduler', async () => {
    sim = await startSimCluster({ topology: 'statefulset', stores: 3, timeScale: 0.01 });
    sim.writeKubeconfig(user.kubeconfigPath);
    const result = await runPlugin(user, ['upgrade', '--version', 'v8.5.1', '-y', '--poll-interval', '100ms'], { timeoutMs: 150_000 });
    assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
    const images = sim.tikvPodNames().map((name) => (sim.store.get<KubeObject & { spec: { containers: { image: string }[] } }>(POD, sim.namespace, name)?.spec.containers[0].image));
    assert.deepEqual(images, ['pingcap/tikv:v8.5.1', 'pingcap/tikv:v8.5.1', 'pingcap/tikv:v8.5.1']);
    const check = await runPlugin(user, ['version', '-o', 'json']);
    assert.equal(check.code, 0, check.stderr);
    assert.deepEqual(JSON.parse(check.stdout).tikv.versions, [{ version: 'v8.5.1', stores: 3 }]);
    assert.deepEqual(sim.pd.schedulerNames().filter((n) => n.startsWith('evict-leader')), []);
  });
});
