/**
 * Writes an ordinary kubeconfig file for the simulated API server — what `kubectl`, the plugin and
 * @kubernetes/client-node read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** API server URL. */
  server: string;
  /** CA certificate (PEM) to trust; with an https server and no CA the kubeconfig says insecure-skip-tls-verify. */
  ca?: string;
  /** Skip TLS verification even when a CA is known. */
  insecure?: boolean;
  /** Bearer token (omit when authenticating with a client certificate). */
  token?: string;
  /** Client certificate and key (PEM), as kubeadm/kind kubeconfigs carry them. */
  clientCert?: { cert: string; key: string };
  /** Names (default: cluster `sim`, user `sim-admin`, context `sim`). */
  cluster?: string;
  user?: string;
  context?: string;
  /** The context's namespace (omitted when absent: kubectl then uses `default`). */
  namespace?: string;
}

/** The kubeconfig as an object (one cluster, user and context; the context is current). */
export function kubeconfigObject(options: KubeconfigOptions): Record<string, unknown> {
  const cluster = options.cluster ?? 'sim';
  const user = options.user ?? 'sim-admin';
  const context = options.context ?? 'sim';
  const clusterEntry: Record<string, unknown> = { server: options.server };
  if (options.server.startsWith('https:')) {
    if (options.ca && !options.insecure) clusterEntry['certificate-authority-data'] = Buffer.from(options.ca).toString('base64');
    else clusterEntry['insecure-skip-tls-verify'] = true;
  }
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: cluster, cluster: clusterEntry }],
    users: [{
      name: user,
      user: {
        ...(options.token ? { token: options.token } : {}),
        ...(options.clientCert ? {
          'client-certificate-data': Buffer.from(options.clientCert.cert).toString('base64'),
          'client-key-data': Buffer.from(options.clientCert.key).toString('base64'),
        } : {}),
      },
    }],
    contexts: [{ name: context, context: { cluster, user, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': context,
  };
}

/** Writes the kubeconfig (mode 0600, parent directories created). */
export function writeKubeconfig(path: string, options: KubeconfigOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(kubeconfigObject(options)), { mode: 0o600 });
}
