import type { KubeObject } from '../../../src/kube/kube.ts';
import type { ObjectStore } from '../kube/object-store.ts';
import type { ClientTls } from './operator-pd-client.ts';

const SECRET = { apiVersion: 'v1', kind: 'Secret' };

/**
 * Reads a TLS secret (`ca.crt`, `tls.crt`, `tls.key`, base64 in `data` or plain in `stringData`) as an operator
 * mounts it. Throws naming the secret when it or a key is missing, as a pod would fail to mount it.
 */
export function tlsFromSecret(store: ObjectStore, namespace: string, name: string): ClientTls {
  const secret = store.get<KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> }>(SECRET, namespace, name);
  if (!secret) throw new Error(`secret "${name}" not found in namespace ${namespace}`);
  const read = (key: string): string => {
    const encoded = secret.data?.[key];
    if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
    const plain = secret.stringData?.[key];
    if (plain !== undefined) return plain;
    throw new Error(`secret "${name}" in namespace ${namespace} has no key ${key}`);
  };
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}
