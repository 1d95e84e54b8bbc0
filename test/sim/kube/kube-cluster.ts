/**
 * The whole Kubernetes side of the simulator in one call: object store, API server, kubelet (scheduler + nodes),
 * StatefulSet and endpoints controllers, sharing one History, SimClock and KubeFaults. Operators (tidb-operator
 * v1/v2, the seed's tikv-operator) and PD/TiKV processes plug in on top: operators use `store` in process, PD/TiKV
 * come in through `processes` (the kubelet starts a container per pod through it).
 *
 * ```ts
 * const clock = new SimClock(0.01);
 * const history = new History();
 * const kube = await startKubeCluster({ clock, history, processes: pd.processFactory(), tls: true });
 * kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidb' } });
 * kube.writeKubeconfig('/tmp/sim/kubeconfig', { namespace: 'tidb' });
 * kube.api.addToken('limited', { name: 'tikv-maintainer' });
 * kube.api.authz.bind('tikv-maintainer', rulesFromTheReadme);
 * …
 * await kube.stop();
 * ```
 */
import type { History } from '../history.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ProcessFactory } from '../process.ts';
import { ObjectStore } from './object-store.ts';
import { startApiServer, type ApiServer, type ApiServerOptions } from './api-server.ts';
import { Kubelet, type KubeletTimings } from './kubelet.ts';
import { StatefulSetController } from './statefulset-controller.ts';
import { EndpointsController } from './endpoints-controller.ts';
import { KubeFaults } from './kube-faults.ts';
import { Rbac } from './rbac.ts';
import type { KubeconfigOptions } from './kubeconfig.ts';

export interface KubeClusterOptions {
  clock: SimClock;
  history: History;
  /** Starts containers by image (PD, TiKV); others run as idle, always-ready containers. */
  processes?: ProcessFactory;
  /** Serve HTTPS with a fresh CA (what kubectl needs to send the token), or plain HTTP. Default true. */
  tls?: ApiServerOptions['tls'];
  faults?: KubeFaults;
  authz?: Rbac;
  store?: ObjectStore;
  /** Node names; default sim-node-1..3. */
  nodes?: string[];
  kubeletTimings?: Partial<KubeletTimings>;
  /** Extra API server options (port, bookmark interval, admin token, anonymous user …). */
  api?: Omit<ApiServerOptions, 'store' | 'history' | 'faults' | 'authz' | 'tls' | 'portForward'>;
}

export interface KubeCluster {
  store: ObjectStore;
  api: ApiServer;
  kubelet: Kubelet;
  statefulSets: StatefulSetController;
  endpoints: EndpointsController;
  faults: KubeFaults;
  authz: Rbac;
  /** The API server URL. */
  url: string;
  writeKubeconfig(path: string, options?: Partial<Omit<KubeconfigOptions, 'server' | 'ca'>>): void;
  /** Stops controllers and the kubelet (killing containers) and closes the API server. */
  stop(): Promise<void>;
}

/** Starts the Kubernetes side of a simulated cluster. See the module comment. */
export async function startKubeCluster(options: KubeClusterOptions): Promise<KubeCluster> {
  const { clock, history } = options;
  const faults = options.faults ?? new KubeFaults();
  const authz = options.authz ?? new Rbac();
  const store = options.store ?? new ObjectStore({ history });
  const kubelet = new Kubelet({ store, clock, history, processes: options.processes, faults, nodes: options.nodes, timings: options.kubeletTimings });
  const statefulSets = new StatefulSetController({ store, history });
  const endpoints = new EndpointsController({ store });
  const api = await startApiServer({ ...(options.api ?? {}), store, history, faults, authz, tls: options.tls ?? true, portForward: kubelet });
  kubelet.start();
  statefulSets.start();
  endpoints.start();
  return {
    store,
    api,
    kubelet,
    statefulSets,
    endpoints,
    faults,
    authz,
    url: api.url,
    writeKubeconfig: (path, kubeconfigOptions) => api.writeKubeconfig(path, kubeconfigOptions),
    async stop() {
      statefulSets.stop();
      endpoints.stop();
      kubelet.stop();
      await api.close();
    },
  };
}
