import type { Duplex } from 'node:stream';

/**
 * Where an HTTP endpoint (PD's client port, a TiKV status port) is reached and how. kube/ builds these (a
 * port-forward tunnel, or a direct `--pd-url`); pd/ and tikv/ speak HTTP over them without knowing Kubernetes.
 */
export interface HttpTarget {
  /** `http://host:port` or `https://host:port`. With `openStream`, the host names the server for Host and TLS. */
  origin: string;
  /** Opens a fresh byte stream to the endpoint (one per connection, e.g. a port-forward); absent: TCP to `origin`. */
  openStream?: (signal?: AbortSignal) => Promise<Duplex>;
  /** TLS for https origins: CA to verify the server, client certificate and key (PD mTLS), name to verify. */
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; insecureSkipVerify?: boolean };
  /** What the target is, for messages: `PD service basic-pd (port-forward to basic-pd-0:2379)`. */
  description: string;
}
