/**
 * Fault knobs of the Kubernetes side of the simulator, shared by the API server, port-forward and the kubelet:
 * API errors (500/429/409/…) for requests matching verb/resource/name, n times or until cleared; slow answers;
 * port-forward WebSockets dropped mid-stream; pods that never become Ready; containers that crash-loop.
 *
 * ```ts
 * const faults = new KubeFaults();
 * faults.failRequests({ verb: 'delete', resource: 'pods', name: 'basic-tikv-1', status: 500, times: 2 });
 * faults.delayRequests({ resource: 'pods', delayMs: 2000 });
 * faults.dropPortForward({ pod: 'basic-pd-0', afterBytes: 100 });
 * faults.neverReady('tidb', 'basic-tikv-2');
 * faults.crashLoop('tidb', 'basic-tikv-0');
 * ```
 */

/** Which API requests a fault applies to; absent fields match anything. */
export interface RequestMatch {
  verb?: string;
  /** Plural resource (`pods`, `statefulsets`, `tidbclusters`). */
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user?: string;
}

export interface RequestFault extends RequestMatch {
  /** HTTP status to answer: 500 (InternalError), 429 (TooManyRequests + Retry-After), 409 (Conflict), 503, 504 … */
  status: number;
  /** How many matching requests fail; unlimited when absent (until cleared). */
  times?: number;
  /** Optional message (default: the API server's wording for the status). */
  message?: string;
  /** For 429: the Retry-After seconds (default 1). */
  retryAfterSeconds?: number;
  /**
   * Body format. 'text' is how API Priority and Fairness / max-in-flight answer 429 (`http.Error`: text/plain
   * "Too many requests, please try again later."); 'status' a meta/v1 Status object. Default: 'text' for 429,
   * 'status' otherwise.
   */
  format?: 'status' | 'text';
}

export interface DelayFault extends RequestMatch {
  /** Wall-clock milliseconds added before answering. */
  delayMs: number;
  times?: number;
}

export interface PortForwardDrop {
  namespace?: string;
  pod?: string;
  port?: number;
  /** Drop once this many bytes went from the pod to the client (default 0: as soon as data flows). */
  afterBytes?: number;
  /** How many port-forward connections to drop; unlimited when absent. */
  times?: number;
}

interface Counted<T> {
  fault: T;
  remaining: number;
}

function matches(m: RequestMatch, request: RequestMatch): boolean {
  return (m.verb === undefined || m.verb === request.verb)
    && (m.resource === undefined || m.resource === request.resource)
    && (m.subresource === undefined || m.subresource === request.subresource)
    && (m.namespace === undefined || m.namespace === request.namespace)
    && (m.name === undefined || m.name === request.name)
    && (m.user === undefined || m.user === request.user);
}

function take<T extends RequestMatch>(list: Counted<T>[], request: RequestMatch): T | undefined {
  const at = list.findIndex((c) => matches(c.fault, request));
  if (at < 0) return undefined;
  const found = list[at];
  found.remaining--;
  if (found.remaining <= 0) list.splice(at, 1);
  return found.fault;
}

/** The fault knobs; see the module comment. All methods are safe to call while the cluster runs. */
export class KubeFaults {
  readonly #errors: Counted<RequestFault>[] = [];
  readonly #delays: Counted<DelayFault>[] = [];
  readonly #drops: Counted<PortForwardDrop>[] = [];
  readonly #neverReady = new Set<string>();
  readonly #crashLoop = new Map<string, number>();

  /** Fails matching API requests with `status`. The returned function removes the fault. */
  failRequests(fault: RequestFault): () => void {
    const entry = { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
    this.#errors.push(entry);
    return () => this.#remove(this.#errors, entry);
  }

  /** Delays matching API requests. The returned function removes the fault. */
  delayRequests(fault: DelayFault): () => void {
    const entry = { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
    this.#delays.push(entry);
    return () => this.#remove(this.#delays, entry);
  }

  /** Drops matching port-forward WebSockets mid-stream. The returned function removes the fault. */
  dropPortForward(fault: PortForwardDrop = {}): () => void {
    const entry = { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
    this.#drops.push(entry);
    return () => this.#remove(this.#drops, entry);
  }

  /** The pod's readiness probe never succeeds (until `clearPod`). */
  neverReady(namespace: string, pod: string): void {
    this.#neverReady.add(`${namespace}/${pod}`);
  }

  /** The pod's containers exit with `exitCode` shortly after every start (until `clearPod`). */
  crashLoop(namespace: string, pod: string, exitCode = 1): void {
    this.#crashLoop.set(`${namespace}/${pod}`, exitCode);
  }

  /** Removes the pod faults of one pod. */
  clearPod(namespace: string, pod: string): void {
    this.#neverReady.delete(`${namespace}/${pod}`);
    this.#crashLoop.delete(`${namespace}/${pod}`);
  }

  /** Removes every fault. */
  clear(): void {
    this.#errors.length = 0;
    this.#delays.length = 0;
    this.#drops.length = 0;
    this.#neverReady.clear();
    this.#crashLoop.clear();
  }

  // ——— queried by the API server and kubelet ———

  /** The error fault to apply to a request (consumes one of its `times`). */
  takeError(request: RequestMatch): RequestFault | undefined {
    return take(this.#errors, request);
  }

  /** The delay to apply to a request (consumes one of its `times`), in wall-clock ms. */
  takeDelay(request: RequestMatch): number {
    return take(this.#delays, request)?.delayMs ?? 0;
  }

  /** Whether to drop a new port-forward connection, and after how many bytes (consumes one of its `times`). */
  takePortForwardDrop(namespace: string, pod: string, port: number): { afterBytes: number } | undefined {
    const at = this.#drops.findIndex((c) => (c.fault.namespace === undefined || c.fault.namespace === namespace)
      && (c.fault.pod === undefined || c.fault.pod === pod) && (c.fault.port === undefined || c.fault.port === port));
    if (at < 0) return undefined;
    const found = this.#drops[at];
    found.remaining--;
    if (found.remaining <= 0) this.#drops.splice(at, 1);
    return { afterBytes: found.fault.afterBytes ?? 0 };
  }

  isNeverReady(namespace: string, pod: string): boolean {
    return this.#neverReady.has(`${namespace}/${pod}`);
  }

  /** The exit code a crash-looping pod's containers exit with, or undefined. */
  crashLoopExitCode(namespace: string, pod: string): number | undefined {
    return this.#crashLoop.get(`${namespace}/${pod}`);
  }

  #remove<T>(list: Counted<T>[], entry: Counted<T>): void {
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
  }
}
