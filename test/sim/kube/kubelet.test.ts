import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History, type HistoryEntry } from '../history.ts';
import { SimClock } from '../sim-clock.ts';
import { ObjectStore } from './object-store.ts';
import { Kubelet } from './kubelet.ts';
import { KubeFaults } from './kube-faults.ts';
import { startApiServer } from './api-server.ts';
import { ScriptedProcessFactory } from './scripted-processes.ts';

const Pod = { apiVersion: 'v1', kind: 'Pod' };

interface PodStatus {
  phase: string;
  podIP?: string;
  conditions?: { type: string; status: string }[];
  containerStatuses?: { name: string; ready: boolean; restartCount: number; state: Record<string, { reason?: string; startedAt?: string; exitCode?: number }>; lastState: { terminated?: { exitCode: number } } }[];
}

function pod(name: string, extra: { grace?: number; ports?: number[]; restartPolicy?: string } = {}): KubeObject {
  return {
    ...Pod,
    metadata: { name, namespace: 'tidb' },
    spec: {
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
      ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}),
      containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0', ports: (extra.ports ?? []).map((p) => ({ containerPort: p })) }],
    },
  };
}

describe('simulated kubelet', () => {
  let history: History;
  let store: ObjectStore;
  let clock: SimClock;
  let processes: ScriptedProcessFactory;
  let faults: KubeFaults;
  let kubelet: Kubelet;

  beforeEach(() => {
    history = new History();
    store = new ObjectStore({ history });
    clock = new SimClock(0.001);
    processes = new ScriptedProcessFactory();
    faults = new KubeFaults();
    kubelet = new Kubelet({ store, clock, history, processes, faults });
    kubelet.start();
  });
  afterEach(() => {
    kubelet.stop();
    clock.stop();
    processes.killAll();
  });

  const waitFor = (match: (e: HistoryEntry) => boolean) => history.waitFor(match, AbortSignal.timeout(10_000));
  const status = (name: string) => store.get(Pod, 'tidb', name)?.status as PodStatus;

  it('schedules, starts and readies a pod, recording the lifecycle', async () => {
    store.create(pod('basic-tikv-0'));
    await waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'basic-tikv-0');
    const current = store.get(Pod, 'tidb', 'basic-tikv-0')!;
    assert.match((current.spec as { nodeName: string }).nodeName, /^sim-node-\d$/);
    const s = current.status as PodStatus;
    assert.equal(s.phase, 'Running');
    assert.match(s.podIP!, /^10\.244\.\d+\.\d+$/);
    assert.ok(s.conditions!.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(s.containerStatuses![0].ready, true);
    assert.equal(s.containerStatuses![0].restartCount, 0);
    assert.ok(s.containerStatuses![0].state.running.startedAt);
    const types = history.entries.filter((e) => e.data.pod === 'basic-tikv-0').map((e) => e.type).filter((t) => ['pod-created', 'pod-scheduled', 'container-started', 'pod-ready'].includes(t));
    assert.deepEqual(types, ['pod-created', 'pod-scheduled', 'container-started', 'pod-ready']);
    const started = processes.latest('basic-tikv-0')!.start;
    assert.equal(started.podUid, current.metadata.uid);
    assert.equal(started.hostname, 'basic-tikv-0');
  });

  it('writes the scheduler and kubelet Events of a pod', async () => {
    store.create(pod('p', { grace: 1 }));
    await waitFor((e) => e.type === 'pod-ready');
    store.delete(Pod, 'tidb', 'p');
    await waitFor((e) => e.type === 'pod-removed');
    const events = store.list<KubeObject>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'tidb', fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=p' }).items;
    const reasons = events.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)).map((e) => e.reason);
    assert.deepEqual(reasons, ['Scheduled', 'Pulled', 'Created', 'Started', 'Killing']);
    assert.match(String(events[0].message), /^Successfully assigned tidb\/p to sim-node-\d$/);
    assert.equal((events[3].involvedObject as { fieldPath: string }).fieldPath, 'spec.containers{tikv}');
  });

  it('shows ContainerCreating before the containers start', async () => {
    const seen = new Promise<string[]>((resolve) => {
      const reasons: string[] = [];
      const stop = store.watch(Pod, { namespace: 'tidb' }, (e) => {
        const state = (e.object.status as PodStatus).containerStatuses?.[0]?.state;
        if (state?.waiting) reasons.push(`waiting:${state.waiting.reason}`);
        if (state?.running) {
          reasons.push('running');
          stop();
          resolve(reasons);
        }
      });
    });
    store.create(pod('p'));
    assert.deepEqual(await seen, ['waiting:ContainerCreating', 'running']);
  });

  it('keeps the pod not Ready while the process is not ready, and readies it when it becomes ready', async () => {
    processes.ready = false;
    store.create(pod('p'));
    await waitFor((e) => e.type === 'container-started');
    const process = processes.latest('p')!;
    while (process.readinessChecks < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(status('p').phase, 'Running');
    assert.ok(status('p').conditions!.some((c) => c.type === 'Ready' && c.status === 'False'));
    process.ready = true;
    await waitFor((e) => e.type === 'pod-ready');
  });

  it('deletes gracefully: SIGTERM, then removal', async () => {
    store.create(pod('p', { grace: 30 }));
    await waitFor((e) => e.type === 'pod-ready');
    const phases: string[] = [];
    const stop = store.watch(Pod, { namespace: 'tidb' }, (e) => phases.push(`${e.type} ${(e.object.status as PodStatus).phase}`));
    store.delete(Pod, 'tidb', 'p');
    await waitFor((e) => e.type === 'pod-removed' && e.data.pod === 'p');
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    assert.deepEqual(phases.slice(-2), ['MODIFIED Succeeded', 'DELETED Succeeded'], 'a terminal phase before removal (kubelet ≥ 1.27)');
    const process = processes.latest('p')!;
    assert.equal(process.terminated, true);
    assert.equal(process.killed, false);
    const order = history.entries.map((e) => e.type).filter((t) => ['pod-deleting', 'container-terminated', 'pod-removed'].includes(t));
    assert.deepEqual(order, ['pod-deleting', 'container-terminated', 'pod-removed']);
  });

  it('kills a container that ignores SIGTERM once the grace period runs out', async () => {
    processes.onTerminate = 'hang';
    store.create(pod('p', { grace: 60 }));
    await waitFor((e) => e.type === 'pod-ready');
    store.delete(Pod, 'tidb', 'p');
    const killed = await waitFor((e) => e.type === 'container-killed');
    assert.equal(killed.data.gracePeriodSeconds, 60);
    await waitFor((e) => e.type === 'pod-removed');
    assert.equal(processes.latest('p')!.killed, true);
    const notReady = history.entries.findIndex((e) => e.type === 'pod-not-ready');
    assert.ok(notReady >= 0 && notReady < history.entries.indexOf(killed), 'readiness probes keep running while terminating: the shutting-down process turned the pod not Ready');
  });

  it('restarts a crashed container with back-off, showing CrashLoopBackOff', async () => {
    store.create(pod('p'));
    await waitFor((e) => e.type === 'pod-ready');
    processes.latest('p')!.crash(2);
    await waitFor((e) => e.type === 'container-exited');
    const waiting = status('p').containerStatuses![0];
    assert.equal(waiting.state.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(waiting.restartCount, 1);
    assert.equal(waiting.lastState.terminated?.exitCode, 2);
    await waitFor((e) => e.type === 'container-started' && e.data.restartCount === 1);
    await waitFor((e) => e.type === 'pod-ready' && e.at > history.ofType('container-exited')[0].at);
    assert.equal(processes.started.filter((p) => p.start.podName === 'p').length, 2);
  });

  it('does not restart a container that exits 0 under restartPolicy OnFailure', async () => {
    store.create(pod('job', { restartPolicy: 'OnFailure' }));
    await waitFor((e) => e.type === 'container-started');
    processes.latest('job')!.crash(0);
    await waitFor((e) => e.type === 'container-exited');
    assert.equal(status('job').phase, 'Succeeded');
  });

  it('crash-loops a pod with the crash-loop fault', async () => {
    faults.crashLoop('tidb', 'p', 137);
    store.create(pod('p'));
    await waitFor((e) => e.type === 'container-exited' && e.data.restartCount === 1);
    assert.equal(history.ofType('container-exited')[0].data.exitCode, 137);
    faults.clearPod('tidb', 'p');
  });

  it('never readies a pod with the never-ready fault', async () => {
    faults.neverReady('tidb', 'p');
    store.create(pod('p'));
    await waitFor((e) => e.type === 'container-started');
    const other = store.create(pod('q'));
    await waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'q');
    assert.ok(other);
    assert.equal(history.ofType('pod-ready').filter((e) => e.data.pod === 'p').length, 0);
    faults.clearPod('tidb', 'p');
    await waitFor((e) => e.type === 'pod-ready' && e.data.pod === 'p');
  });

  it('restarts a container whose image changed', async () => {
    store.create(pod('p'));
    await waitFor((e) => e.type === 'pod-ready');
    store.patch(Pod, 'tidb', 'p', { spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.1' }] } }, 'strategic');
    const restarted = await waitFor((e) => e.type === 'container-started' && e.data.image === 'pingcap/tikv:v8.5.1');
    assert.equal(restarted.data.restartCount, 1);
    assert.equal(processes.started.filter((p) => p.start.podName === 'p')[0].terminated, true);
  });

  it('resolves pod ports for port-forward, end to end through the API server', async () => {
    processes.serve = true;
    store.create(pod('basic-pd-0', { ports: [2379] }));
    await waitFor((e) => e.type === 'pod-ready');
    const address = kubelet.resolve('tidb', 'basic-pd-0', 2379);
    assert.equal(address?.host, '127.0.0.1');
    assert.equal(kubelet.resolve('tidb', 'basic-pd-0', 9999), undefined);
    const api = await startApiServer({ store, history, portForward: kubelet, tls: true });
    const dir = mkdtempSync(join(tmpdir(), 'kt-kubelet-'));
    try {
      api.writeKubeconfig(join(dir, 'kubeconfig'));
      const kc = new KubeConfig();
      kc.loadFromFile(join(dir, 'kubeconfig'));
      const output = new PassThrough();
      const input = new PassThrough();
      const ws = await new PortForward(kc).portForward('tidb', 'basic-pd-0', [2379], output, new PassThrough(), input) as unknown as { close(): void };
      const echoed = new Promise<string>((resolve) => output.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      input.write('ping');
      assert.equal(await echoed, 'ping');
      ws.close();
    } finally {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
