import { KubeConfig } from '@kubernetes/client-node';
import type { ResolvedKubeconfig } from './kubeconfig.ts';

/** Options objects client-node fills for HTTPS and WebSocket requests (a subset of https.RequestOptions + ws options). */
interface RequestOptionsLike {
  headers?: Record<string, string | string[] | number | undefined>;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  rejectUnauthorized?: boolean;
  servername?: string;
  handshakeTimeout?: number;
  [key: string]: unknown;
}

/**
 * client-node's KubeConfig for one resolved cluster/user, adding what client-node lacks: impersonation of groups
 * (`--as-group`, one header line per group) next to the user (`--as`), and a WebSocket handshake timeout.
 */
export class ResolvedKubeConfig extends KubeConfig {
  readonly resolved: ResolvedKubeconfig;

  constructor(resolved: ResolvedKubeconfig) {
    super();
    this.resolved = resolved;
    const cluster: Record<string, unknown> = { ...resolved.cluster };
    // client-node refuses plain http unless TLS verification is "skipped"; kubectl allows http servers as they are.
    if (resolved.server.startsWith('http:')) cluster['insecure-skip-tls-verify'] = true;
    const user: Record<string, unknown> = { ...resolved.user };
    // kubeconfig's `tokenFile` is not read by client-node's parser; its file authenticator re-reads the file (bound
    // service-account tokens rotate), so express it as that.
    if (typeof user.tokenFile === 'string' && user.token === undefined && user.exec === undefined && user['auth-provider'] === undefined) {
      user['auth-provider'] = { name: 'tokenFile', config: { tokenFile: user.tokenFile } };
    }
    delete user.tokenFile;
    delete user.as;
    const contextName = resolved.contextName || 'kubectl-tikv';
    this.loadFromString(
      JSON.stringify({
        clusters: [{ name: 'cluster', cluster }],
        users: [{ name: 'user', user }],
        contexts: [{ name: contextName, context: { cluster: 'cluster', user: 'user', namespace: resolved.namespace } }],
        'current-context': contextName,
      }),
    );
  }

  /** Headers, TLS material and agent for a request or WebSocket, plus impersonation and the handshake timeout. */
  override async applyToHTTPSOptions(options: object): Promise<void> {
    await super.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    const opts = options as RequestOptionsLike;
    opts.headers = { ...(opts.headers ?? {}), ...impersonationHeaders(this.resolved) };
    if (this.resolved.requestTimeoutMs > 0) opts.handshakeTimeout = this.resolved.requestTimeoutMs;
  }
}

/** `Impersonate-User` and one `Impersonate-Group` line per group, as kubectl sends them. */
export function impersonationHeaders(resolved: ResolvedKubeconfig): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (resolved.impersonate.user) headers['Impersonate-User'] = resolved.impersonate.user;
  if (resolved.impersonate.groups.length > 0) headers['Impersonate-Group'] = [...resolved.impersonate.groups];
  return headers;
}
