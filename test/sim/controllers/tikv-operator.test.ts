import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { startSimCluster, type SimCluster } from '../cluster.ts';
import { SEED_TIKV, SEED_TIKV_GROUP, TIKV_ORG_CLUSTER_LABEL } from './tikv-operator.ts';
import { isPodReady } from './pod-state.ts';

const POD = { apiVersion: 'v1', kind: 'Pod' };
type Instance = KubeObject & { spec: { version: string; cluster: { name: string } }; status?: { id?: string } };

function image(pod: KubeObject | undefined): string | undefined {
  return ((pod?.spec ?? {}) as { containers?: { image: string }[] }).containers?.[0]?.image;
}

describe('sim/controllers/tikv-operator', function () {
  this.timeout(60_000);
  let sim: SimCluster | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('runs one pod per TiKV instance, labelled with the cluster, with the store id as a string in status.id', async () => {
    sim = await startSimCluster({ topology: 'tikv-operator', timeScale: 0.01 });
    const instances = sim.store.list<Instance>(SEED_TIKV, { namespace: sim.namespace, labelSelector: `${TIKV_ORG_CLUSTER_LABEL}=basic` }).items;
    assert.deepEqual(instances.map((i) => i.metadata.name), ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
    for (const instance of instances) {
      assert.equal(instance.spec.cluster.name, 'basic');
      assert.equal(instance.spec.version, 'v8.5.0');
      const pod: KubeObject | undefined = sim.store.get(POD, sim.namespace, instance.metadata.name);
      assert.ok(isPodReady(pod));
      assert.equal(pod!.metadata.labels?.[TIKV_ORG_CLUSTER_LABEL], 'basic');
      assert.equal(typeof instance.status?.id, 'string');
      assert.equal(instance.status?.id, String(sim.pd.storeOfPod(instance.metadata.name)!.storeId));
    }
    assert.ok(sim.store.get({ apiVersion: 'v1', kind: 'Service' }, sim.namespace, 'basic-pd'), 'PD client service <cluster>-pd');
  });

  it('recreates a pod at once when its instance version changes, with no leader eviction', async () => {
    sim = await startSimCluster({ topology: 'tikv-operator', timeScale: 0.01 });
    const name = 'basic-tikv-1';
    const storeId = sim.pd.storeOfPod(name)!.storeId;
    const old = sim.store.get(POD, sim.namespace, name)!;
    const start = sim.history.entries.length;
    sim.store.patch(SEED_TIKV, sim.namespace, name, { spec: { version: 'v8.5.1' } }, 'merge');
    await sim.clock.sleep(5_000);
    await sim.waitUntilSettled({ timeoutMs: 30_000 });
    const pod = sim.store.get(POD, sim.namespace, name)!;
    assert.notEqual(pod.metadata.uid, old.metadata.uid);
    assert.equal(image(pod), 'pingcap/tikv:v8.5.1');
    assert.equal(sim.pd.storeView(storeId)!.version, '8.5.1');
    const later = sim.history.entries.slice(start);
    assert.equal(later.filter((e) => e.type === 'scheduler-added').length, 0, 'no evict-leader scheduler');
    const deleting = later.find((e) => e.type === 'pod-deleting' && e.data.name === name);
    const stopped = later.find((e) => e.type === 'store-stopped' && e.data.storeId === storeId);
    assert.ok(deleting && stopped && stopped.at >= deleting.at);
    assert.equal(later.some((e) => e.type === 'store-leaders-zero' && e.data.storeId === storeId && e.data.view === 'truth' && e.at < stopped.at), false, 'the store still held leaders when it stopped');
    assert.ok(later.some((e) => e.type === 'regions-unavailable' && e.data.storeId === storeId), 'its regions lost their leader: the outage the plugin exists to avoid');
    for (const other of ['basic-tikv-0', 'basic-tikv-2']) assert.equal(image(sim.store.get(POD, sim.namespace, other)), 'pingcap/tikv:v8.5.0');
  });

  it('upgrades nothing when only the TiKVGroup version changes', async () => {
    sim = await startSimCluster({ topology: 'tikv-operator', timeScale: 0.01 });
    const uids = sim.tikvPodNames().map((n) => sim!.store.get(POD, sim!.namespace, n)!.metadata.uid);
    const start = sim.history.entries.length;
    sim.store.patch(SEED_TIKV_GROUP, sim.namespace, 'basic-tikv', { spec: { template: { spec: { version: 'v8.5.1' } } } }, 'merge');
    await sim.clock.sleep(120_000);
    assert.deepEqual(sim.tikvPodNames().map((n) => sim!.store.get(POD, sim!.namespace, n)!.metadata.uid), uids);
    assert.ok(sim.store.list<Instance>(SEED_TIKV, { namespace: sim.namespace }).items.every((i) => i.spec.version === 'v8.5.0'));
    assert.equal(sim.history.entries.slice(start).filter((e) => e.type === 'pod-deleting').length, 0);
    // A new instance (scale out) takes the group's version.
    sim.store.patch(SEED_TIKV_GROUP, sim.namespace, 'basic-tikv', { spec: { replicas: 4 } }, 'merge');
    await sim.history.waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'basic-tikv-3', AbortSignal.timeout(20_000));
    assert.equal(image(sim.store.get(POD, sim.namespace, 'basic-tikv-3')), 'pingcap/tikv:v8.5.1');
  });
});
