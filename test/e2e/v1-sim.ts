import type { SimProcess } from '../sim/process.ts';
import { type RunningPdCluster, startPdCluster } from '../sim/pd/start-pd-cluster.ts';
import { type KubeFixture, putPod, startKubeFixture } from '../kube/kube-fixture.ts';
import { addV1 } from '../kube/topology-fixtures.ts';

/**
 * A tidb-operator v1 cluster "basic" in namespace "tidb" as the plugin sees it: the API server (TLS, bearer token)
 * with the TidbCluster, PD service and pods, and a running PD + 3 TiKV simulation behind pods/portforward.
 * No operator reconciles it (E's startSimCluster replaces this once it exists); reads and PD calls are real.
 */
export interface V1Sim {
  fixture: KubeFixture;
  running: RunningPdCluster;
  /** Writes of the API server so far (create/update/patch/delete requests), to prove a run changed nothing. */
  writes(): number;
  stop(): Promise<void>;
}

export async function startV1Sim(): Promise<V1Sim> {
  const fixture = await startKubeFixture({ tls: true });
  const running = await startPdCluster({ namespace: 'tidb', clusterName: 'basic', stores: 3, timeScale: 0.01 });
  addV1(fixture.store, 'tidb', 'basic');
  const labels = {
    'app.kubernetes.io/name': 'tidb-cluster',
    'app.kubernetes.io/managed-by': 'tidb-operator',
    'app.kubernetes.io/instance': 'basic',
    'app.kubernetes.io/component': 'pd',
  };
  putPod(fixture.store, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'basic-pd-0', namespace: 'tidb', labels },
    spec: { nodeName: 'node-1', containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ name: 'client', containerPort: 2379 }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const processes = new Map<string, SimProcess>([['basic-pd-0', running.pdProcesses[0]]]);
  running.tikvs.forEach((tikv, i) => processes.set(running.tikvPodName(i), tikv));
  fixture.api.setPortForwardResolver({ resolve: (namespace, pod, port) => (namespace === 'tidb' ? processes.get(pod)?.ports.get(port) : undefined) });
  const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
  return {
    fixture,
    running,
    writes: () => fixture.history.ofType('kube-request').filter((e) => writeVerbs.has(String(e.data.verb)) && e.data.subresource !== 'portforward').length,
    async stop() {
      await running.stop();
      await fixture.close();
    },
  };
}
