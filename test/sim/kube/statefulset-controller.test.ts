import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History, type HistoryEntry } from '../history.ts';
import { SimClock } from '../sim-clock.ts';
import { ObjectStore } from './object-store.ts';
import { Kubelet } from './kubelet.ts';
import { StatefulSetController, templateHash } from './statefulset-controller.ts';
import { ScriptedProcessFactory } from './scripted-processes.ts';

const Pod = { apiVersion: 'v1', kind: 'Pod' };
const StatefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet' };

interface StsStatus {
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision: string;
  updateRevision: string;
  observedGeneration: number;
}

function statefulSet(name: string, options: { replicas?: number; policy?: 'OrderedReady' | 'Parallel'; strategy?: Record<string, unknown>; image?: string } = {}): KubeObject {
  return {
    ...StatefulSet,
    metadata: { name, namespace: 'tidb' },
    spec: {
      replicas: options.replicas ?? 3,
      serviceName: `${name}-peer`,
      podManagementPolicy: options.policy ?? 'OrderedReady',
      ...(options.strategy ? { updateStrategy: options.strategy } : {}),
      selector: { matchLabels: { 'app.kubernetes.io/component': 'tikv', 'app.kubernetes.io/instance': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/component': 'tikv', 'app.kubernetes.io/instance': name } },
        spec: { terminationGracePeriodSeconds: 10, containers: [{ name: 'tikv', image: options.image ?? 'pingcap/tikv:v8.5.0' }] },
      },
    },
  };
}

describe('simulated StatefulSet controller', () => {
  let history: History;
  let store: ObjectStore;
  let clock: SimClock;
  let processes: ScriptedProcessFactory;
  let kubelet: Kubelet;
  let controller: StatefulSetController;

  beforeEach(() => {
    history = new History();
    store = new ObjectStore({ history });
    clock = new SimClock(0.001);
    processes = new ScriptedProcessFactory();
    kubelet = new Kubelet({ store, clock, history, processes });
    controller = new StatefulSetController({ store, history });
    kubelet.start();
    controller.start();
  });
  afterEach(() => {
    controller.stop();
    kubelet.stop();
    clock.stop();
    processes.killAll();
  });

  const waitFor = (match: (e: HistoryEntry) => boolean) => history.waitFor(match, AbortSignal.timeout(10_000));
  const stsStatus = (name: string) => store.get(StatefulSet, 'tidb', name)!.status as StsStatus;
  const waitStatus = async (name: string, ok: (s: StsStatus) => boolean) => {
    for (;;) {
      const current = store.get(StatefulSet, 'tidb', name);
      if (current && ok(current.status as StsStatus)) return current.status as StsStatus;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const podImage = (name: string) => ((store.get(Pod, 'tidb', name)!.spec as { containers: { image: string }[] }).containers[0].image);

  it('creates ordinal pods in order, each after the previous is Ready, with the StatefulSet labels', async () => {
    store.create(statefulSet('basic-tikv'));
    const status = await waitStatus('basic-tikv', (s) => s.readyReplicas === 3);
    const created = history.ofType('sts-pod-created').map((e) => e.data.pod);
    assert.deepEqual(created, ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
    for (const [i, name] of created.entries()) {
      if (i === 0) continue;
      const createdAt = history.entries.indexOf(history.ofType('sts-pod-created')[i]);
      const previousReady = history.entries.findIndex((e) => e.type === 'pod-ready' && e.data.pod === created[i - 1]);
      assert.ok(previousReady >= 0 && previousReady < createdAt, `${name} created after ${created[i - 1]} was Ready`);
    }
    const pod = store.get(Pod, 'tidb', 'basic-tikv-1')!;
    assert.equal(pod.metadata.labels!['statefulset.kubernetes.io/pod-name'], 'basic-tikv-1');
    assert.equal(pod.metadata.labels!['apps.kubernetes.io/pod-index'], '1');
    assert.equal(pod.metadata.labels!['controller-revision-hash'], status.updateRevision);
    assert.equal(pod.metadata.ownerReferences![0].kind, 'StatefulSet');
    assert.deepEqual([(pod.spec as { hostname: string }).hostname, (pod.spec as { subdomain: string }).subdomain], ['basic-tikv-1', 'basic-tikv-peer']);
    assert.equal(status.currentRevision, status.updateRevision);
    assert.equal(status.currentReplicas, 3);
    assert.equal(status.updatedReplicas, 3);
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.updateRevision, `basic-tikv-${templateHash((store.get(StatefulSet, 'tidb', 'basic-tikv')!.spec as { template: unknown }).template)}`);
    const events = store.list<KubeObject>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'tidb', fieldSelector: 'involvedObject.kind=StatefulSet,involvedObject.name=basic-tikv' }).items;
    assert.deepEqual(events.map((e) => `${e.reason}: ${e.message}`).sort(), [0, 1, 2].map((i) => `SuccessfulCreate: create Pod basic-tikv-${i} in StatefulSet basic-tikv successful`));
  });

  it('creates a bound PVC per pod from volumeClaimTemplates and mounts it', async () => {
    const set = statefulSet('basic-tikv', { replicas: 2 });
    (set.spec as Record<string, unknown>).volumeClaimTemplates = [{ metadata: { name: 'tikv' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } }];
    store.create(set);
    await waitStatus('basic-tikv', (s) => s.readyReplicas === 2);
    const pvc = store.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, 'tidb', 'tikv-basic-tikv-1')!;
    assert.deepEqual(pvc.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '100Gi' } });
    const volumes = (store.get(Pod, 'tidb', 'basic-tikv-1')!.spec as { volumes: unknown[] }).volumes;
    assert.deepEqual(volumes, [{ name: 'tikv', persistentVolumeClaim: { claimName: 'tikv-basic-tikv-1' } }]);
    store.delete(Pod, 'tidb', 'basic-tikv-1');
    await waitFor((e) => e.type === 'pod-removed' && e.data.pod === 'basic-tikv-1');
    assert.ok(store.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }, 'tidb', 'tikv-basic-tikv-1'), 'claims outlive their pods');
  });

  it('creates all pods at once with Parallel', async () => {
    processes.ready = false;
    store.create(statefulSet('par', { policy: 'Parallel' }));
    await waitStatus('par', (s) => s.replicas === 3);
    assert.equal(history.ofType('pod-ready').length, 0, 'no pod had to be Ready first');
  });

  it('brings back a deleted pod under the same name', async () => {
    store.create(statefulSet('basic-tikv'));
    await waitStatus('basic-tikv', (s) => s.readyReplicas === 3);
    const before = store.get(Pod, 'tidb', 'basic-tikv-1')!.metadata.uid;
    store.delete(Pod, 'tidb', 'basic-tikv-1');
    await waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'basic-tikv-1' && e.data.uid !== before);
    const after = store.get(Pod, 'tidb', 'basic-tikv-1')!;
    assert.notEqual(after.metadata.uid, before);
    await waitStatus('basic-tikv', (s) => s.readyReplicas === 3);
  });

  it('rolls out a template change from the highest ordinal down to the partition, one Ready pod at a time', async () => {
    store.create(statefulSet('basic-tikv', { strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    const initial = await waitStatus('basic-tikv', (s) => s.readyReplicas === 3);
    store.patch(StatefulSet, 'tidb', 'basic-tikv', { spec: { template: { spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.1' }] } } } }, 'strategic');
    const partial = await waitStatus('basic-tikv', (s) => s.updatedReplicas === 2 && s.readyReplicas === 3);
    assert.notEqual(partial.updateRevision, initial.updateRevision);
    assert.equal(partial.currentRevision, initial.currentRevision, 'current revision stays until every pod is updated');
    assert.deepEqual(['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2'].map(podImage), ['pingcap/tikv:v8.5.0', 'pingcap/tikv:v8.5.1', 'pingcap/tikv:v8.5.1']);
    const rolled = history.ofType('sts-pod-deleted').filter((e) => e.data.reason === 'rolling-update').map((e) => e.data.pod);
    assert.deepEqual(rolled, ['basic-tikv-2', 'basic-tikv-1']);
    const deleted1 = history.entries.findIndex((e) => e.type === 'sts-pod-deleted' && e.data.pod === 'basic-tikv-1');
    const ready2 = history.entries.findIndex((e) => e.type === 'pod-ready' && e.data.pod === 'basic-tikv-2' && history.entries.indexOf(e) > history.entries.findIndex((d) => d.type === 'sts-pod-deleted' && d.data.pod === 'basic-tikv-2'));
    assert.ok(ready2 >= 0 && ready2 < deleted1, 'basic-tikv-1 is replaced only after the updated basic-tikv-2 is Ready');
    store.patch(StatefulSet, 'tidb', 'basic-tikv', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'merge');
    const done = await waitStatus('basic-tikv', (s) => s.currentRevision === s.updateRevision && s.readyReplicas === 3 && s.updatedReplicas === 3);
    assert.equal(done.currentReplicas, 3);
    assert.equal(podImage('basic-tikv-0'), 'pingcap/tikv:v8.5.1');
  });

  it('replaces nothing by itself with OnDelete; a deleted pod comes back at the update revision', async () => {
    store.create(statefulSet('basic-tikv', { strategy: { type: 'OnDelete' } }));
    await waitStatus('basic-tikv', (s) => s.readyReplicas === 3);
    store.patch(StatefulSet, 'tidb', 'basic-tikv', { spec: { template: { spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.1' }] } } } }, 'strategic');
    await waitStatus('basic-tikv', (s) => s.observedGeneration === 2);
    await controller.idle();
    assert.deepEqual(['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2'].map(podImage), ['pingcap/tikv:v8.5.0', 'pingcap/tikv:v8.5.0', 'pingcap/tikv:v8.5.0']);
    assert.equal(history.ofType('sts-pod-deleted').length, 0);
    const old = store.get(Pod, 'tidb', 'basic-tikv-0')!.metadata.uid;
    store.delete(Pod, 'tidb', 'basic-tikv-0');
    await waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'basic-tikv-0' && e.data.uid !== old);
    assert.equal(podImage('basic-tikv-0'), 'pingcap/tikv:v8.5.1');
    const status = await waitStatus('basic-tikv', (s) => s.updatedReplicas === 1 && s.readyReplicas === 3);
    assert.equal(status.currentReplicas, 2);
  });

  it('scales down from the highest ordinal', async () => {
    store.create(statefulSet('basic-tikv'));
    await waitStatus('basic-tikv', (s) => s.readyReplicas === 3);
    store.patch(StatefulSet, 'tidb', 'basic-tikv', { spec: { replicas: 1 } }, 'merge');
    await waitStatus('basic-tikv', (s) => s.replicas === 1);
    assert.deepEqual(history.ofType('sts-pod-deleted').map((e) => e.data.pod), ['basic-tikv-2', 'basic-tikv-1']);
    assert.equal(stsStatus('basic-tikv').readyReplicas, 1);
  });
});
