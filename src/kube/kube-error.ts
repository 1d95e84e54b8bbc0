/**
 * A failed Kubernetes API call, naming what was attempted (verb, resource, namespace/name), the HTTP status and the
 * server's message, with the original error in `cause`. `status` is 0 when no answer came (connection failure).
 */
export class KubeError extends Error {
  /** RBAC verb: get, list, watch, create, update, patch, delete (create for pods/portforward). */
  readonly verb: string;
  /** Resource as RBAC names it: `pods`, `tidbclusters.pingcap.com`, `pods/portforward`, `pods/status`. */
  readonly resource: string;
  readonly namespace?: string;
  /** The object's name, when the call was about one object (`name` is the error class's). */
  readonly objectName?: string;
  /** HTTP status; 0 when the server could not be reached or the connection failed. */
  readonly status: number;
  /** `Status.reason` (NotFound, Forbidden, Conflict, Expired, AlreadyExists, Invalid …) when the server sent one. */
  readonly reason?: string;
  /** `Status.message`, or the text of the answer. */
  readonly serverMessage?: string;
  /** The API server's URL. */
  readonly server: string;
  /** Seconds from a Retry-After header (429, some 5xx). */
  readonly retryAfterSeconds?: number;

  constructor(options: {
    verb: string;
    resource: string;
    namespace?: string;
    name?: string;
    status: number;
    reason?: string;
    serverMessage?: string;
    server: string;
    retryAfterSeconds?: number;
    cause?: unknown;
  }) {
    const target = describeTarget(options.verb, options.resource, options.namespace, options.name);
    const head =
      options.status === 0
        ? `Kubernetes request failed (no answer from ${options.server}): ${target}`
        : `Kubernetes request failed with status ${options.status}: ${target}`;
    const detail = options.serverMessage ?? (options.cause instanceof Error ? options.cause.message : undefined);
    super(detail ? `${head}: ${detail}` : head, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeError';
    this.verb = options.verb;
    this.resource = options.resource;
    this.namespace = options.namespace;
    this.objectName = options.name;
    this.status = options.status;
    this.reason = options.reason;
    this.serverMessage = options.serverMessage;
    this.server = options.server;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** `get pod "basic-tikv-0" in namespace "tidb"`, for messages. */
  get target(): string {
    return describeTarget(this.verb, this.resource, this.namespace, this.objectName);
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }

  get isForbidden(): boolean {
    return this.status === 403;
  }

  /** No answer from the server (refused, DNS, TLS handshake, timeout before an answer). */
  get isConnectionFailure(): boolean {
    return this.status === 0;
  }
}

function describeTarget(verb: string, resource: string, namespace?: string, name?: string): string {
  const what = name ? `${resource} "${name}"` : resource;
  return namespace ? `${verb} ${what} in namespace "${namespace}"` : `${verb} ${what}`;
}
