import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClientNodeKube, type ClientNodeKubeOptions } from '../../src/kube/client-node-kube.ts';
import { type KubeconfigFlags, resolveKubeconfig } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/kube/kube.ts';
import { History } from '../sim/history.ts';
import { type ApiServer, startApiServer } from '../sim/kube/api-server.ts';
import { ObjectStore } from '../sim/kube/object-store.ts';

/** A simulated API server on loopback, a kubeconfig for it, and real ClientNodeKube clients built from that kubeconfig. */
export interface KubeFixture {
  history: History;
  store: ObjectStore;
  api: ApiServer;
  dir: string;
  kubeconfigPath: string;
  namespace: string;
  /** A client as the CLI would build it from the kubeconfig and these flags; closed by `close()`. */
  kube(flags?: KubeconfigFlags, options?: ClientNodeKubeOptions): ClientNodeKube;
  close(): Promise<void>;
}

/** Fast retries so that fault tests do not wait for production backoffs. */
export const FAST: ClientNodeKubeOptions = { retryDelayMs: 5 };

export async function startKubeFixture(options: { tls?: boolean; namespace?: string; watchHistoryLimit?: number } = {}): Promise<KubeFixture> {
  const history = new History();
  const store = new ObjectStore({ history, watchHistoryLimit: options.watchHistoryLimit });
  const api = await startApiServer({ store, history, tls: options.tls });
  const dir = mkdtempSync(path.join(tmpdir(), 'kt-kube-'));
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  const namespace = options.namespace ?? 'tidb';
  store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  api.writeKubeconfig(kubeconfigPath, { namespace });
  const clients: ClientNodeKube[] = [];
  return {
    history,
    store,
    api,
    dir,
    kubeconfigPath,
    namespace,
    kube(flags = {}, kubeOptions = FAST) {
      const client = new ClientNodeKube(resolveKubeconfig({ kubeconfig: kubeconfigPath, ...flags }, { env: {} }), kubeOptions);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a pod directly in the store, with its status (which a create through the API would reset). */
export function putPod(store: ObjectStore, object: KubeObject): KubeObject {
  const { status, ...rest } = object;
  store.create(rest as KubeObject);
  return store.patch({ apiVersion: 'v1', kind: 'Pod' }, object.metadata.namespace, object.metadata.name, { status }, 'merge', { subresource: 'status' });
}

/** A minimal valid pod. */
export function pod(name: string, namespace: string, extra: { labels?: Record<string, string>; phase?: string; ready?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: extra.labels ?? {} },
    spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase: extra.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }],
    },
  };
}
