import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { HistoryEntry } from '../history.ts';
import { maxConcurrentUnavailable, startSimCluster, storeUnavailability, type SimCluster } from '../cluster.ts';
import { EVICT_LEADER_ANNOTATION, EVICT_LEADER_EXPIRATION_ANNOTATION, TIDB_CLUSTER, type TidbClusterStatus } from './tidb-operator-v1.ts';
import { isPodReady } from './pod-state.ts';

const POD = { apiVersion: 'v1', kind: 'Pod' };
const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
type Tc = KubeObject & { status?: TidbClusterStatus };

const isOperator = (type: string) => (e: HistoryEntry) => e.source === 'tidb-operator-v1' && e.type === type;

function indexOf(sim: SimCluster, match: (e: HistoryEntry) => boolean, from = 0): number {
  return sim.history.entries.findIndex((e, i) => i >= from && match(e));
}

function tc(sim: SimCluster): Tc {
  return sim.store.get<Tc>(TIDB_CLUSTER, sim.namespace, sim.clusterName)!;
}

function patchVersion(sim: SimCluster, version: string): void {
  sim.store.patch(TIDB_CLUSTER, sim.namespace, sim.clusterName, { spec: { version } }, 'merge');
}

/** Resolves when a later pod of that name is Ready (a replacement of `uid`). */
async function replacementReady(sim: SimCluster, podName: string, uid: string, signal: AbortSignal): Promise<KubeObject> {
  for (;;) {
    const pod = sim.store.get(POD, sim.namespace, podName);
    if (pod && pod.metadata.uid !== uid && isPodReady(pod)) return pod;
    await sim.clock.sleep(1000, signal);
  }
}

describe('sim/controllers/tidb-operator-v1', function () {
  this.timeout(60_000);
  let sim: SimCluster | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  for (const tls of [false, true]) {
    it(`upgrades TiKV itself highest ordinal first, evicting each store before its pod goes and never two stores at once${tls ? ' (TLS)' : ''}`, async () => {
      sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01, tls });
      const phases = new Set<string>();
      const stopWatch = sim.store.watch(TIDB_CLUSTER, { namespace: sim.namespace }, (e) => {
        const phase = (e.object as Tc).status?.tikv?.phase;
        if (phase) phases.add(phase);
      });
      const start = sim.history.entries.length;
      patchVersion(sim, 'v8.5.1');
      await sim.history.waitFor(isOperator('upgrade-finished'), AbortSignal.timeout(30_000));
      await sim.waitUntilSettled({ timeoutMs: 20_000 });
      stopWatch();

      const deleted = sim.history.entries.slice(start).filter((e) => e.type === 'sts-pod-deleted').map((e) => e.data.pod);
      assert.deepEqual(deleted, ['basic-tikv-2', 'basic-tikv-1', 'basic-tikv-0']);
      for (const podName of deleted as string[]) {
        const storeId = sim.pd.storeOfPod(podName)!.storeId;
        const added = indexOf(sim, (e) => e.type === 'scheduler-added' && e.data.storeId === storeId, start);
        const zero = indexOf(sim, (e) => e.type === 'store-leaders-zero' && e.data.storeId === storeId && e.data.view === 'truth', added);
        const deleting = indexOf(sim, (e) => e.type === 'pod-deleting' && e.data.name === podName, start);
        assert.ok(added >= 0 && zero > added && deleting > zero, `${podName}: evicted (scheduler, leaders 0) before it was deleted`);
        const removed = indexOf(sim, (e) => e.type === 'scheduler-removed' && e.data.storeId === storeId, deleting);
        const running = indexOf(sim, (e) => e.type === 'store-running' && e.data.storeId === storeId, deleting);
        assert.ok(running > deleting && removed > running, `${podName}: scheduler removed only after the store came back`);
      }
      assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history)), 1);
      assert.deepEqual(sim.pd.evictLeaderStoreIds(), []);
      assert.deepEqual(sim.pd.storeViews().map((s) => s.version), ['8.5.1', '8.5.1', '8.5.1']);
      assert.ok(phases.has('Upgrade'), 'status.tikv.phase went through Upgrade');
      const status = tc(sim).status!;
      assert.equal(status.tikv?.phase, 'Normal');
      assert.equal(status.tikv?.image, 'pingcap/tikv:v8.5.1');
      const set = sim.store.get<KubeObject & { spec: { updateStrategy: { rollingUpdate: { partition: number } } } }>(STS, sim.namespace, 'basic-tikv')!;
      assert.equal(set.spec.updateStrategy.rollingUpdate.partition, 3, 'the partition goes back to replicas');
    });
  }

  it('steps aside when the TiKV StatefulSet is OnDelete: nothing restarts until someone deletes a pod', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01, updateStrategy: 'OnDelete' });
    const start = sim.history.entries.length;
    patchVersion(sim, 'v8.5.1');
    await sim.history.waitFor((e) => isOperator('statefulset-updated')(e) && e.data.image === 'pingcap/tikv:v8.5.1', AbortSignal.timeout(10_000));
    // Give the operator several resyncs (30 s each) in which it could act.
    await sim.clock.sleep(120_000);
    assert.equal(tc(sim).status?.tikv?.phase, 'Upgrade');
    assert.equal(indexOf(sim, (e) => e.type === 'pod-deleting', start), -1, 'no pod deleted');
    assert.equal(indexOf(sim, (e) => e.type === 'scheduler-added', start), -1, 'no eviction');

    const old = sim.store.get(POD, sim.namespace, 'basic-tikv-2')!;
    const untouched = sim.store.get(POD, sim.namespace, 'basic-tikv-1')!.metadata.uid;
    sim.store.delete(POD, sim.namespace, 'basic-tikv-2');
    const replaced = await replacementReady(sim, 'basic-tikv-2', old.metadata.uid!, AbortSignal.timeout(20_000));
    const image = ((replaced.spec as { containers: { image: string }[] }).containers[0]).image;
    assert.equal(image, 'pingcap/tikv:v8.5.1');
    assert.equal(sim.store.get(POD, sim.namespace, 'basic-tikv-1')!.metadata.uid, untouched, 'the other pods stay');
  });

  it('honours the evict-leader annotation: evicts, deletes the pod at 0 leaders and ends the eviction once the new pod is Ready', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01 });
    const podName = 'basic-tikv-1';
    const storeId = sim.pd.storeOfPod(podName)!.storeId;
    const old = sim.store.get(POD, sim.namespace, podName)!;
    const start = sim.history.entries.length;
    sim.store.patch(POD, sim.namespace, podName, { metadata: { annotations: { [EVICT_LEADER_ANNOTATION]: 'delete-pod' } } }, 'merge');
    await replacementReady(sim, podName, old.metadata.uid!, AbortSignal.timeout(20_000));
    // The operator records the end of the eviction once PD answered, and then clears status.tikv.evictLeader.
    await sim.history.waitFor((e) => isOperator('evict-leader-end')(e) && e.data.pod === podName, AbortSignal.timeout(20_000));

    const added = indexOf(sim, (e) => e.type === 'scheduler-added' && e.data.storeId === storeId, start);
    const zero = indexOf(sim, (e) => e.type === 'store-leaders-zero' && e.data.storeId === storeId && e.data.view === 'truth', added);
    const deleting = indexOf(sim, (e) => e.type === 'pod-deleting' && e.data.name === podName, start);
    const ready = indexOf(sim, (e) => e.type === 'pod-ready' && e.data.pod === podName, deleting);
    const removed = indexOf(sim, (e) => e.type === 'scheduler-removed' && e.data.storeId === storeId, start);
    assert.ok(added >= 0 && zero > added && deleting > zero, 'scheduler, leaders 0, then the pod deleted');
    assert.ok(ready > deleting && removed > ready, 'the scheduler goes once the new pod is Ready');
    assert.deepEqual(sim.pd.evictLeaderStoreIds(), []);
    await sim.waitUntilSettled({ timeoutMs: 20_000 });
    assert.equal(tc(sim).status?.tikv?.evictLeader?.[podName], undefined);
    assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history)), 1);
  });

  it('keeps evicting for the annotation value none and stops when the annotation goes', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01 });
    const podName = 'basic-tikv-0';
    const storeId = sim.pd.storeOfPod(podName)!.storeId;
    const uid = sim.store.get(POD, sim.namespace, podName)!.metadata.uid;
    sim.store.patch(POD, sim.namespace, podName, { metadata: { annotations: { [EVICT_LEADER_ANNOTATION]: 'none' } } }, 'merge');
    await sim.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === storeId, AbortSignal.timeout(20_000));
    assert.deepEqual(sim.pd.evictLeaderStoreIds(), [storeId]);
    assert.equal(tc(sim).status?.tikv?.evictLeader?.[podName]?.value, 'none');
    sim.store.patch(POD, sim.namespace, podName, { metadata: { annotations: { [EVICT_LEADER_ANNOTATION]: null } } }, 'merge');
    await sim.history.waitFor((e) => e.type === 'scheduler-removed' && e.data.storeId === storeId, AbortSignal.timeout(20_000));
    assert.equal(sim.store.get(POD, sim.namespace, podName)!.metadata.uid, uid, 'the pod was not restarted');
  });

  it('drops an evict-leader request whose expiration time has passed, without evicting', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01 });
    const podName = 'basic-tikv-2';
    const start = sim.history.entries.length;
    sim.store.patch(POD, sim.namespace, podName, {
      metadata: { annotations: { [EVICT_LEADER_ANNOTATION]: 'delete-pod', [EVICT_LEADER_EXPIRATION_ANNOTATION]: new Date(Date.now() - 60_000).toISOString() } },
    }, 'merge');
    await sim.history.waitFor(isOperator('evict-leader-annotation-expired'), AbortSignal.timeout(20_000));
    const annotations = sim.store.get(POD, sim.namespace, podName)!.metadata.annotations ?? {};
    assert.equal(annotations[EVICT_LEADER_ANNOTATION], undefined);
    assert.equal(annotations[EVICT_LEADER_EXPIRATION_ANNOTATION], undefined);
    assert.equal(indexOf(sim, (e) => e.type === 'scheduler-added', start), -1);
  });

  it('scales in by deleting the highest ordinal store from PD first and shrinking the StatefulSet once it is Tombstone', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01, stores: 4 });
    const storeId = sim.pd.storeOfPod('basic-tikv-3')!.storeId;
    const start = sim.history.entries.length;
    sim.store.patch(TIDB_CLUSTER, sim.namespace, sim.clusterName, { spec: { tikv: { replicas: 3 } } }, 'merge');
    await sim.history.waitFor((e) => e.type === 'pod-removed' && e.data.name === 'basic-tikv-3', AbortSignal.timeout(20_000));
    const tombstone = indexOf(sim, (e) => e.type === 'store-state' && e.data.storeId === storeId && e.data.to === 'Tombstone', start);
    const deleting = indexOf(sim, (e) => e.type === 'pod-deleting' && e.data.name === 'basic-tikv-3', start);
    assert.ok(tombstone >= 0 && deleting > tombstone, 'the store is Tombstone before its pod goes');
    await sim.clock.sleep(5_000);
    await sim.waitUntilSettled({ timeoutMs: 20_000 });
    const status = tc(sim).status!.tikv!;
    assert.deepEqual(Object.keys(status.tombstoneStores ?? {}), [String(storeId)]);
    assert.equal(Object.keys(status.stores ?? {}).length, 3);
    assert.equal(status.phase, 'Normal');
  });

  it('re-adds a scheduler that vanished mid-upgrade after 10 minutes and upgrades anyway once evictLeaderTimeout passes', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.001, tidbClusterSpec: { tikv: { evictLeaderTimeout: '25m' } } });
    const storeId = sim.pd.storeOfPod('basic-tikv-2')!.storeId;
    sim.pd.faults.leadersNeverDrain.add(storeId);
    const start = sim.history.entries.length;
    patchVersion(sim, 'v8.5.1');
    const first = await sim.history.waitFor((e) => e.type === 'scheduler-added' && e.data.storeId === storeId, AbortSignal.timeout(20_000));
    sim.pd.removeEvictLeader(storeId, 'test');
    const again = await sim.history.waitFor(
      (e) => e !== first && e.type === 'scheduler-added' && e.data.storeId === storeId && e.at >= first.at,
      AbortSignal.timeout(20_000),
    );
    assert.ok(again.at - first.at >= sim.clock.scaled(10 * 60_000), 're-added no sooner than 10 minutes later');
    const deleted = await sim.history.waitFor((e) => e.type === 'pod-deleting' && e.data.name === 'basic-tikv-2', AbortSignal.timeout(20_000));
    assert.ok(deleted.at - first.at >= sim.clock.scaled(25 * 60_000), 'the pod went only when the eviction timed out');
    assert.equal(indexOf(sim, (e) => e.type === 'store-leaders-zero' && e.data.storeId === storeId && e.data.view === 'truth', start), -1);
    sim.pd.faults.leadersNeverDrain.delete(storeId);
    await sim.history.waitFor(isOperator('upgrade-finished'), AbortSignal.timeout(30_000));
    assert.deepEqual(sim.pd.evictLeaderStoreIds(), []);
  });

  it('waits for two thirds of the leaders to come back before the next store when a store had at least 200', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', timeScale: 0.01, regionsPerStore: 660 });
    const start = sim.history.entries.length;
    patchVersion(sim, 'v8.5.1');
    await sim.history.waitFor(isOperator('upgrade-finished'), AbortSignal.timeout(45_000));
    const returned = sim.history.entries.slice(start).filter(isOperator('leaders-returned'));
    assert.equal(returned.length, 2, 'the first two stores wait for their leaders (the last one ends with the upgrade)');
    for (const entry of returned) {
      const before = entry.data.before as number;
      assert.ok(before >= 200, `store had ${before} leaders`);
      assert.ok((entry.data.leaderCount as number) >= Math.floor((before * 2) / 3), `${entry.data.leaderCount} of ${before} back`);
      const at = sim.history.entries.indexOf(entry);
      const next = indexOf(sim, isOperator('evict-leader-begin'), at);
      const ended = indexOf(sim, (e) => isOperator('evict-leader-end')(e) && e.data.storeId === entry.data.storeId, start);
      assert.ok(ended < at && next > at, 'scheduler removed, leaders back, then the next store');
    }
  });
});
