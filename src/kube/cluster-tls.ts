import { UserError } from '../errors.ts';
import type { HttpTarget } from '../http-target.ts';
import type { Kube, KubeObject } from './kube.ts';

/** Where the client certificate for PD and TiKV lives (tidb-operator: `<cluster>-cluster-client-secret`). */
export interface TlsSecretRef {
  namespace: string;
  name: string;
}

/** The default client secret name of tidb-operator (v1 and v2) and of the seed's tikv-operator. */
export function defaultClientSecretName(clusterName: string): string {
  return `${clusterName}-cluster-client-secret`;
}

/**
 * Reads a kubernetes.io/tls-style secret (`ca.crt`, `tls.crt`, `tls.key`) into HttpTarget TLS material. A missing
 * secret or key is a UserError that names it: with cluster TLS on, PD cannot be reached without it.
 */
export async function readClientTls(kube: Kube, ref: TlsSecretRef, options: { signal?: AbortSignal } = {}): Promise<NonNullable<HttpTarget['tls']>> {
  const secret = await kube.get<KubeObject & { data?: Record<string, string> }>(
    { apiVersion: 'v1', kind: 'Secret', namespace: ref.namespace, name: ref.name },
    { signal: options.signal },
  );
  if (!secret) {
    throw new UserError(`cluster TLS is enabled, but its client certificate secret "${ref.name}" does not exist in namespace "${ref.namespace}"`, {
      suggestions: ['Create the client certificate secret as the operator documents it (ca.crt, tls.crt, tls.key), or reach PD with --pd-url.'],
    });
  }
  const data = secret.data ?? {};
  const decode = (key: string): string => {
    const value = data[key];
    if (!value) {
      throw new UserError(`the client certificate secret "${ref.name}" in namespace "${ref.namespace}" has no "${key}"`, {
        suggestions: ['It needs ca.crt, tls.crt and tls.key.'],
      });
    }
    return Buffer.from(value, 'base64').toString('utf8');
  };
  return { ca: decode('ca.crt'), cert: decode('tls.crt'), key: decode('tls.key') };
}
