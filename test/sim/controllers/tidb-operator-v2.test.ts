import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { HistoryEntry } from '../history.ts';
import { maxConcurrentUnavailable, startSimCluster, storeUnavailability, type SimCluster } from '../cluster.ts';
import { RESTARTED_AT_ANNOTATION, V2_CLUSTER, V2_TIKV, V2_TIKV_GROUP } from './tidb-operator-v2.ts';
import { findCondition, type Condition } from './conditions.ts';
import { isPodReady } from './pod-state.ts';

const POD = { apiVersion: 'v1', kind: 'Pod' };
type Instance = KubeObject & { status?: { id?: string; conditions?: Condition[] } };
type Group = KubeObject & { status?: { version?: string; updatedReplicas?: number; currentRevision?: string; updateRevision?: string } };

function indexOf(sim: SimCluster, match: (e: HistoryEntry) => boolean, from = 0): number {
  return sim.history.entries.findIndex((e, i) => i >= from && match(e));
}

const byOperator = (type: string) => (e: HistoryEntry) => e.source === 'tidb-operator-v2' && e.type === type;

/** For every TiKV pod deleted since `start`: the index of its deletion and of its store's scheduler and zero-leader events. */
function podRestarts(sim: SimCluster, start: number): { pod: string; storeId: number; deleting: number; added: number; zero: number }[] {
  return sim.history.entries
    .slice(start)
    .filter((e) => e.type === 'pod-deleting' && String(e.data.name).startsWith('tikv-tikv-'))
    .map((e) => {
      const pod = String(e.data.name);
      const storeId = sim.pd.storeOfPod(pod)!.storeId;
      return {
        pod,
        storeId,
        deleting: sim.history.entries.indexOf(e),
        added: indexOf(sim, (x) => x.type === 'scheduler-added' && x.data.storeId === storeId, start),
        zero: indexOf(sim, (x) => x.type === 'store-leaders-zero' && x.data.storeId === storeId && x.data.view === 'truth', start),
      };
    });
}

async function settledAfterChange(sim: SimCluster): Promise<void> {
  // Let the operator observe the change before asking whether everything is settled again.
  await sim.clock.sleep(5_000);
  await sim.waitUntilSettled({ timeoutMs: 40_000 });
}

describe('sim/controllers/tidb-operator-v2', function () {
  this.timeout(60_000);
  let sim: SimCluster | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('keeps instance and group status: store ids, Serving, Ready/Synced/LeadersEvicted, revisions, and Cluster.status.pd', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01 });
    const instances = sim.store.list<Instance & { metadata: { labels: Record<string, string> } }>(V2_TIKV, { namespace: sim.namespace }).items;
    assert.equal(instances.length, 3);
    for (const instance of instances) {
      assert.match(instance.metadata.name, /^tikv-[bcdfghjklmnpqrstvwxz2456789]{6}$/);
      const pod: KubeObject = sim.store.get(POD, sim.namespace, `tikv-tikv-${instance.metadata.name.slice(5)}`)!;
      assert.ok(isPodReady(pod));
      assert.equal(instance.status?.id, String(sim.pd.storeOfPod(pod.metadata.name)!.storeId));
      assert.equal(pod.metadata.labels?.['tidb.pingcap.com/store-id'], instance.status?.id);
      assert.equal((instance.status as { state?: string }).state, 'Serving');
      assert.equal(findCondition(instance.status?.conditions, 'Ready')?.status, 'True');
      assert.equal(findCondition(instance.status?.conditions, 'Synced')?.status, 'True');
      assert.equal(findCondition(instance.status?.conditions, 'LeadersEvicted')?.reason, 'NotEvicted');
      for (const label of ['pingcap.com/managed-by', 'pingcap.com/cluster', 'pingcap.com/component', 'pingcap.com/group', 'pingcap.com/instance', 'pingcap.com/instance-revision-hash']) {
        assert.ok(pod.metadata.labels?.[label], `pod label ${label}`);
        assert.ok(instance.metadata.labels[label], `instance label ${label}`);
      }
    }
    const group = sim.store.get<Group & { status: Record<string, unknown> }>(V2_TIKV_GROUP, sim.namespace, 'tikv')!;
    assert.equal(group.status.version, 'v8.5.0');
    assert.equal(group.status.replicas, 3);
    assert.equal(group.status.readyReplicas, 3);
    assert.equal(group.status.currentRevision, group.status.updateRevision);
    const cluster = sim.store.get<KubeObject & { status: { pd: string } }>(V2_CLUSTER, sim.namespace, 'basic')!;
    assert.equal(cluster.status.pd, `http://pd-pd.${sim.namespace}:2379`);
  });

  it('removes an evict-leader scheduler it did not ask for on its next look at PD', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01 });
    const storeId = sim.pd.storeOfPod(sim.tikvPodNames()[1])!.storeId;
    const start = sim.history.entries.length;
    sim.pd.addEvictLeader(storeId, 'someone');
    await sim.history.waitFor((e) => byOperator('evict-leader-end')(e) && e.data.storeId === storeId, AbortSignal.timeout(30_000));
    const removed = sim.history.entries[indexOf(sim, (e) => e.type === 'scheduler-removed' && e.data.storeId === storeId, start)];
    assert.equal(removed.data.by, 'http', 'removed through the PD API');
    assert.equal(indexOf(sim, byOperator('evict-leader-begin'), start), -1, 'the operator never wanted one');
    assert.deepEqual(sim.pd.evictLeaderStoreIds(), []);
  });

  it('rolls a restart from the restartedAt template annotation one instance at a time, evicting before recreating each pod', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01 });
    const reasons = new Set<string>();
    const stopWatch = sim.store.watch(V2_TIKV, { namespace: sim.namespace }, (e) => {
      const reason = findCondition((e.object as Instance).status?.conditions, 'LeadersEvicted')?.reason;
      if (reason) reasons.add(reason);
    });
    const before = sim.tikvPodNames().map((name) => sim!.store.get(POD, sim!.namespace, name)!.metadata.uid);
    const start = sim.history.entries.length;
    sim.store.patch(V2_TIKV_GROUP, sim.namespace, 'tikv', { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: new Date().toISOString() } } } } }, 'merge');
    await settledAfterChange(sim);
    stopWatch();
    const restarts = podRestarts(sim, start);
    assert.equal(restarts.length, 3);
    for (const r of restarts) assert.ok(r.added >= 0 && r.zero > r.added && r.deleting > r.zero, `${r.pod}: scheduler and 0 leaders before the pod was deleted`);
    assert.ok(reasons.has('Evicted'), 'LeadersEvicted went True (Evicted)');
    assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history)), 1);
    const updates = sim.history.entries.slice(start).filter(byOperator('instance-updated'));
    for (let i = 1; i < updates.length; i++) {
      const previousPod = `tikv-tikv-${String(updates[i - 1].data.instance).slice(5)}`;
      const ready = indexOf(sim, (e) => e.type === 'pod-ready' && e.data.pod === previousPod, sim.history.entries.indexOf(updates[i - 1]));
      assert.ok(ready >= 0 && ready < sim.history.entries.indexOf(updates[i]), 'the next instance is updated only when the previous pod is Ready');
    }
    const after = sim.tikvPodNames().map((name) => sim!.store.get(POD, sim!.namespace, name)!.metadata.uid);
    assert.ok(after.every((uid) => !before.includes(uid)), 'every pod was recreated');
    assert.deepEqual(sim.pd.evictLeaderStoreIds(), []);
    const pod = sim.store.get(POD, sim.namespace, sim.tikvPodNames()[0])!;
    assert.ok(pod.metadata.annotations?.[RESTARTED_AT_ANNOTATION], 'the template annotation reaches the pods');
  });

  it('rolls a version change one instance at a time and reports the group version only when all are upgraded', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01 });
    const versions: string[] = [];
    let storesWhenReported: string[] | undefined;
    const stopWatch = sim.store.watch(V2_TIKV_GROUP, { namespace: sim.namespace }, (e) => {
      const version = (e.object as Group).status?.version;
      if (version && versions.at(-1) !== version) versions.push(version);
      if (version === 'v8.5.1' && !storesWhenReported) storesWhenReported = sim!.pd.storeViews().map((s) => s.version);
    });
    const start = sim.history.entries.length;
    sim.store.patch(V2_TIKV_GROUP, sim.namespace, 'tikv', { spec: { template: { spec: { version: 'v8.5.1' } } } }, 'merge');
    await settledAfterChange(sim);
    stopWatch();
    assert.deepEqual(sim.pd.storeViews().map((s) => s.version), ['8.5.1', '8.5.1', '8.5.1']);
    assert.deepEqual(versions, ['v8.5.0', 'v8.5.1']);
    assert.deepEqual(storesWhenReported, ['8.5.1', '8.5.1', '8.5.1'], 'status.version changed only once every store ran it');
    assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history)), 1);
    for (const r of podRestarts(sim, start)) assert.ok(r.zero > r.added && r.deleting > r.zero, `${r.pod} evicted first`);
  });

  it('evicts a pod deleted by hand while it terminates and ends the eviction once it is recreated (TLS)', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01, tls: true });
    const cluster = sim.store.get<KubeObject & { status: { pd: string } }>(V2_CLUSTER, sim.namespace, 'basic')!;
    assert.equal(cluster.status.pd, `https://pd-pd.${sim.namespace}:2379`);
    const podName = sim.tikvPodNames()[2];
    const storeId = sim.pd.storeOfPod(podName)!.storeId;
    const start = sim.history.entries.length;
    sim.store.delete(POD, sim.namespace, podName);
    await settledAfterChange(sim);
    const deleting = indexOf(sim, (e) => e.type === 'pod-deleting' && e.data.name === podName, start);
    const added = indexOf(sim, (e) => e.type === 'scheduler-added' && e.data.storeId === storeId, start);
    const prestop = indexOf(sim, (e) => e.type === 'prestop-finished' && e.data.pod === podName, start);
    const stopped = indexOf(sim, (e) => e.type === 'store-stopped' && e.data.storeId === storeId, start);
    const created = indexOf(sim, (e) => byOperator('pod-created')(e) && e.data.pod === podName, start);
    const removed = indexOf(sim, (e) => e.type === 'scheduler-removed' && e.data.storeId === storeId, start);
    assert.ok(deleting >= 0 && added > deleting, 'the operator evicts because the pod is terminating');
    assert.equal(sim.history.entries[prestop].data.outcome, 'all leaders have been evicted');
    assert.ok(stopped > prestop, 'the preStop hook held SIGTERM until the leaders were gone');
    assert.ok(created > stopped && removed > created, 'the scheduler goes once the pod is recreated');
    assert.deepEqual(sim.pd.evictLeaderStoreIds(), []);
  });

  it('plays v2.0 with operatorVersion 2.0: deletes the pod first and lets the preStop hook drain its leaders', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01, operatorVersion: '2.0' });
    const start = sim.history.entries.length;
    sim.store.patch(V2_TIKV_GROUP, sim.namespace, 'tikv', { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: 'now' } } } } }, 'merge');
    await settledAfterChange(sim);
    const restarts = podRestarts(sim, start);
    assert.equal(restarts.length, 3);
    for (const r of restarts) {
      assert.ok(r.added > r.deleting, `${r.pod}: deleted before any eviction`);
      const stopped = indexOf(sim, (e) => e.type === 'store-stopped' && e.data.storeId === r.storeId, start);
      assert.ok(r.zero < stopped, `${r.pod}: the preStop hook drained the leaders before SIGTERM`);
    }
    const instance = sim.store.list<Instance>(V2_TIKV, { namespace: sim.namespace }).items[0];
    assert.equal(findCondition(instance.status?.conditions, 'LeadersEvicted'), undefined, 'v2.0 has no LeadersEvicted condition');
    assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history)), 1);
  });

  it('does nothing while the Cluster is paused and catches up when it is resumed', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', timeScale: 0.01 });
    const podName = sim.tikvPodNames()[0];
    sim.store.patch(V2_CLUSTER, sim.namespace, 'basic', { spec: { paused: true } }, 'merge');
    await sim.clock.sleep(5_000);
    const start = sim.history.entries.length;
    sim.store.delete(POD, sim.namespace, podName, { gracePeriodSeconds: 0 });
    await sim.clock.sleep(60_000);
    assert.equal(sim.store.get(POD, sim.namespace, podName), undefined, 'not recreated while paused');
    assert.equal(indexOf(sim, (e) => e.source === 'tidb-operator-v2' && e.type !== 'reconcile-error', start), -1, 'the operator did nothing');
    sim.store.patch(V2_CLUSTER, sim.namespace, 'basic', { spec: { paused: null } }, 'merge');
    await settledAfterChange(sim);
    assert.ok(isPodReady(sim.store.get(POD, sim.namespace, podName)));
  });
});
