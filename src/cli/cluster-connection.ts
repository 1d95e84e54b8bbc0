import type { HttpTarget } from '../http-target.ts';
import type { ClientNodeKube } from '../kube/client-node-kube.ts';
import { readClientTls } from '../kube/cluster-tls.ts';
import { explainKubeError } from '../kube/explain-kube-error.ts';
import { podHttpTarget, serviceHttpTarget, urlHttpTarget } from '../kube/http-targets.ts';
import { KubeError } from '../kube/kube-error.ts';
import { KINDS } from '../kube/kinds.ts';
import { type ResolvedKubeconfig, resolveKubeconfig } from '../kube/kubeconfig.ts';
import { podDnsName } from '../kube/tikv-pods.ts';
import { detectCluster } from '../kube/topology-detect.ts';
import type { ClusterSession } from '../services/cluster-session.ts';
import type { GlobalOptions } from './global-options.ts';
import type { CliRuntime } from './runtime.ts';

/** TiKV's status port (HTTP, /metrics). */
export const TIKV_STATUS_PORT = 20180;

/**
 * Everything a command needs to act on one TiKV cluster: the services' ClusterSession (Kube, the detected cluster,
 * PD and TiKV metrics clients) plus what the command itself uses and must close.
 */
export interface ClusterConnection extends ClusterSession {
  kubeconfig: ResolvedKubeconfig;
  /** How PD is reached (a port-forward tunnel to its service, or `--pd-url`). */
  pdTarget: HttpTarget;
  /** The status port (20180) of a TiKV pod, through a port-forward; cluster TLS applied. */
  tikvTarget(podName: string): Promise<HttpTarget>;
  /** Closes PD and TiKV connections, port-forwards and the Kubernetes client. Safe to call twice. */
  close(): Promise<void>;
}

/** Identification of the client. */
export interface ClusterConnectionOptions {
  userAgent?: string;
}

/** A Kubernetes client for the flags, before any TiKV cluster is looked for. */
export interface KubeOnly {
  kubeconfig: ResolvedKubeconfig;
  kube: ClientNodeKube;
}

/** Resolves the kubeconfig and builds the client-node client (imported only now: it costs half a second). */
export async function openKube(
  globals: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
  options: ClusterConnectionOptions = {},
): Promise<KubeOnly> {
  const kubeconfig = resolveKubeconfig(globals.kubeconfig, { env });
  const { ClientNodeKube } = await import('../kube/client-node-kube.ts');
  return { kubeconfig, kube: new ClientNodeKube(kubeconfig, { userAgent: options.userAgent ?? 'kubectl-tikv' }) };
}

/**
 * Opens a session on the TiKV cluster the flags point at: kubeconfig as kubectl resolves it, the client-node
 * Kubernetes client (imported only now: it costs half a second), topology detection, the PD tunnel with cluster
 * TLS, and the PD and TiKV metrics clients. KubeErrors on the way are explained (RBAC verb and resource, context).
 */
export async function openClusterConnection(globals: GlobalOptions, runtime: CliRuntime, options: ClusterConnectionOptions = {}): Promise<ClusterConnection> {
  const signal = runtime.signal;
  const [{ kubeconfig, kube }, { createPdClient }, { createTikvMetrics }] = await Promise.all([
    openKube(globals, runtime.env, options),
    import('../pd/undici-pd-client.ts'),
    import('../tikv/undici-tikv-metrics.ts'),
  ]);
  const closers: (() => Promise<void>)[] = [() => kube.close()];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const cluster = await detectCluster(kube, globals.selection, { signal });
    const clientTls = cluster.tls ? await readClientTls(kube, cluster.tls, { signal }) : undefined;
    // Verified by default (the cluster CA from the client secret, else the system CAs for an https --pd-url).
    const tls = globals.pdInsecureSkipTlsVerify ? { ...clientTls, insecureSkipVerify: true } : clientTls;
    if (globals.pdInsecureSkipTlsVerify) {
      runtime.stderr.write('warning: --pd-insecure-skip-tls-verify: the TLS certificates of PD and TiKV are not verified; anyone on the path can read and change what kubectl-tikv sends and receives\n');
    }
    const pdTarget = cluster.pd.kind === 'url' ? urlHttpTarget(cluster.pd.url, tls) : serviceHttpTarget(kube, { ...cluster.pd, tls });
    const pd = createPdClient(pdTarget);
    closers.push(() => pd.close());

    const scheme = cluster.tls ? 'https' : 'http';
    const targets = new Map<string, Promise<HttpTarget>>();
    // The pod's DNS name only matters with TLS (the name its certificate carries); one list of the cluster's TiKV
    // pods serves every target (status reads 200 of them), a pod created since is looked up on its own.
    let dnsNames: Promise<Map<string, string | undefined>> | undefined;
    const dnsNameOf = async (podName: string): Promise<string | undefined> => {
      if (!cluster.tls) return undefined;
      dnsNames ??= kube
        .list(KINDS.pod, { namespace: cluster.ref.namespace, labelSelector: cluster.tikvPodSelector, signal })
        .then((list) => new Map(list.items.map((pod) => [pod.metadata.name, podDnsName(pod)])));
      const known = await dnsNames.catch(() => new Map<string, string | undefined>());
      if (known.has(podName)) return known.get(podName);
      const pod = await kube.get({ ...KINDS.pod, namespace: cluster.ref.namespace, name: podName }, { signal });
      return pod ? podDnsName(pod) : undefined;
    };
    const tikvTarget = (podName: string): Promise<HttpTarget> => {
      let target = targets.get(podName);
      if (!target) {
        target = (async () =>
          podHttpTarget(kube, {
            namespace: cluster.ref.namespace,
            podName,
            port: TIKV_STATUS_PORT,
            scheme,
            host: await dnsNameOf(podName),
            tls,
            description: `TiKV pod ${cluster.ref.namespace}/${podName} status port ${TIKV_STATUS_PORT} (port-forward)`,
          }))();
        // A failed lookup is not remembered: the pod may exist at the next poll.
        target.catch(() => targets.delete(podName));
        targets.set(podName, target);
      }
      return target;
    };
    const tikv = createTikvMetrics(tikvTarget);
    closers.push(() => tikv.close());

    // A PD of another cluster (a wrong --pd-url or --pd-service, or two releases in one namespace) is refused here,
    // before any command reads it or acts through it.
    const { verifyPdIdentity } = await import('../services/pd-identity.ts');
    await verifyPdIdentity({ kube, cluster, pd, tikv }, { target: pdTarget.description, signal });

    return { kubeconfig, kube, cluster, pdTarget, pd, tikv, tikvTarget, close: closeAll };
  } catch (error) {
    await closeAll();
    if (error instanceof KubeError) throw explainKubeError(error, { contextName: kubeconfig.contextName });
    throw error;
  }
}
