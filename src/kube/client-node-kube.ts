import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';
import type {
  ApiResource,
  KindRef,
  Kube,
  KubeObject,
  ListOptions,
  ObjectList,
  ObjectRef,
  PatchType,
  WatchEvent,
} from './kube.ts';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { ResolvedKubeConfig } from './client-node-config.ts';
import { discoverResources } from './discovery.ts';
import { KubeError } from './kube-error.ts';
import type { ResolvedKubeconfig } from './kubeconfig.ts';
import { openPortForwardStream } from './port-forward-stream.ts';

/** Tuning for tests; production uses the defaults. */
export interface ClientNodeKubeOptions {
  /** Attempts for idempotent requests that failed without an answer, or with 429/5xx. Default 3. */
  attempts?: number;
  /** First retry delay; doubles per attempt (with jitter). Default 200 ms. */
  retryDelayMs?: number;
  /** A watch that has sent nothing (not even a bookmark) for this long is reopened. Default 60 s. */
  watchIdleTimeoutMs?: number;
  /** How long the server keeps one watch request open before we resume it (`timeoutSeconds`). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Consecutive failed attempts after which a watch gives up with the last error. Default 8 (about half a minute). */
  watchAttempts?: number;
  /** Page size of lists. Default 500, as kubectl. */
  listPageSize?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

/** What one API call is, for errors and RBAC messages. */
interface Operation {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

interface SendOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Reads are retried on no-answer/429/5xx; writes only when the server certainly did not act (429, refused). */
  idempotent: boolean;
  /** Answers with these statuses are returned instead of thrown. */
  accept?: number[];
  /** Overrides the Accept header. */
  acceptHeader?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

/** Kinds every cluster serves, so that the common calls need no discovery (and no RBAC on discovery). */
const BUILT_IN: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Endpoints': { plural: 'endpoints', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Event': { plural: 'events', namespaced: true },
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/Node': { plural: 'nodes', namespaced: false },
  'apps/v1/StatefulSet': { plural: 'statefulsets', namespaced: true },
  'apps/v1/ControllerRevision': { plural: 'controllerrevisions', namespaced: true },
  'discovery.k8s.io/v1/EndpointSlice': { plural: 'endpointslices', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
  'events.k8s.io/v1/Event': { plural: 'events', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
};

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/**
 * The Kube port on @kubernetes/client-node: client-node resolves credentials (tokens, client certificates, exec and
 * auth-provider plugins, refreshed per request) and speaks port-forward; requests go through one undici Agent built
 * from the same TLS material, so that connections are reused and every verb, subresource and patch type is
 * available with the server's Status intact in errors.
 */
export class ClientNodeKube implements Kube {
  readonly namespace: string;
  readonly contextName: string;
  /** The API server URL. */
  readonly server: string;
  readonly #config: ResolvedKubeConfig;
  readonly #resolved: ResolvedKubeconfig;
  readonly #options: Required<ClientNodeKubeOptions>;
  #agent: Promise<Dispatcher> | undefined;
  #discovery: Promise<ApiResource[]> | undefined;
  readonly #openStreams = new Set<Duplex>();
  #closed = false;

  constructor(resolved: ResolvedKubeconfig, options: ClientNodeKubeOptions = {}) {
    this.#resolved = resolved;
    this.#config = new ResolvedKubeConfig(resolved);
    this.namespace = resolved.namespace;
    this.contextName = resolved.contextName;
    this.server = resolved.server;
    this.#options = {
      attempts: options.attempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 200,
      watchIdleTimeoutMs: options.watchIdleTimeoutMs ?? 60_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      watchAttempts: options.watchAttempts ?? 8,
      listPageSize: options.listPageSize ?? 500,
      userAgent: options.userAgent ?? 'kubectl-tikv',
    };
  }

  /** The client-node configuration in use (for client-node APIs the port does not cover). */
  get kubeConfig(): ResolvedKubeConfig {
    return this.#config;
  }

  discover(options: { signal?: AbortSignal } = {}): Promise<ApiResource[]> {
    if (!this.#discovery) {
      const pending = discoverResources((path, accept, signal) => this.#getRaw(path, accept, signal), options.signal);
      this.#discovery = pending;
      // A failed discovery is not cached: the next call tries again.
      pending.catch(() => {
        if (this.#discovery === pending) this.#discovery = undefined;
      });
    }
    return this.#discovery;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef, options: { signal?: AbortSignal } = {}): Promise<T | null> {
    const resource = await this.#resource(ref, options.signal);
    const namespace = this.#namespaceFor(resource, ref.namespace);
    const answer = await this.#send(
      { verb: 'get', resource: rbacResource(resource), namespace, name: ref.name },
      'GET',
      objectPath(resource, namespace, ref.name),
      { signal: options.signal, idempotent: true, accept: [404] },
    );
    if (answer.status === 404) return null;
    return withKind(answer.body as T, ref);
  }

  async list<T extends KubeObject = KubeObject>(kind: KindRef, options: ListOptions = {}): Promise<ObjectList<T>> {
    const resource = await this.#resource(kind, options.signal);
    const namespace = resource.namespaced ? options.namespace : undefined;
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    for (let restarts = 0; ; ) {
      const answer = await this.#send(
        { verb: 'list', resource: rbacResource(resource), namespace },
        'GET',
        collectionPath(resource, namespace),
        {
          query: {
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            limit: this.#options.listPageSize,
            continue: continueToken,
          },
          signal: options.signal,
          idempotent: true,
          accept: continueToken ? [410] : [],
        },
      );
      if (answer.status === 410) {
        // The continue token expired between pages: start over, as kubectl does (once).
        if (++restarts > 1) throw this.#errorFrom({ verb: 'list', resource: rbacResource(resource), namespace }, answer.status, answer.body);
        items.length = 0;
        continueToken = undefined;
        continue;
      }
      const body = answer.body as { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
      for (const item of body.items ?? []) items.push(withKind(item, kind));
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      continueToken = body.metadata?.continue || undefined;
      if (!continueToken) break;
    }
    return { items, resourceVersion };
  }

  async create<T extends KubeObject = KubeObject>(object: T, options: { signal?: AbortSignal } = {}): Promise<T> {
    const resource = await this.#resource(object, options.signal);
    const namespace = this.#namespaceFor(resource, object.metadata.namespace);
    const body = resource.namespaced ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    const answer = await this.#send(
      { verb: 'create', resource: rbacResource(resource), namespace, name: object.metadata.name || undefined },
      'POST',
      collectionPath(resource, namespace),
      { body, signal: options.signal, idempotent: false },
    );
    return withKind(answer.body as T, object);
  }

  async replace<T extends KubeObject = KubeObject>(object: T, options: { signal?: AbortSignal } = {}): Promise<T> {
    const resource = await this.#resource(object, options.signal);
    const namespace = this.#namespaceFor(resource, object.metadata.namespace);
    const answer = await this.#send(
      { verb: 'update', resource: rbacResource(resource), namespace, name: object.metadata.name },
      'PUT',
      objectPath(resource, namespace, object.metadata.name),
      // A replace carries a resourceVersion: repeating it after a lost answer yields a 409, never a double write.
      { body: object, signal: options.signal, idempotent: true },
    );
    return withKind(answer.body as T, object);
  }

  async patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options: { type?: PatchType; subresource?: 'status'; signal?: AbortSignal } = {},
  ): Promise<T> {
    const resource = await this.#resource(ref, options.signal);
    const namespace = this.#namespaceFor(resource, ref.namespace);
    const type = options.type ?? 'merge';
    const path = objectPath(resource, namespace, ref.name) + (options.subresource ? `/${options.subresource}` : '');
    const answer = await this.#send(
      { verb: 'patch', resource: rbacResource(resource, options.subresource), namespace, name: ref.name },
      'PATCH',
      path,
      // Merge and strategic patches state the desired values: repeating one is harmless. JSON patches may not be.
      { body: patch, contentType: PATCH_CONTENT_TYPE[type], signal: options.signal, idempotent: type !== 'json' },
    );
    return withKind(answer.body as T, ref);
  }

  async delete(ref: ObjectRef, options: { gracePeriodSeconds?: number; uid?: string; signal?: AbortSignal } = {}): Promise<boolean> {
    const resource = await this.#resource(ref, options.signal);
    const namespace = this.#namespaceFor(resource, ref.namespace);
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' };
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.uid !== undefined) body.preconditions = { uid: options.uid };
    const operation = { verb: 'delete', resource: rbacResource(resource), namespace, name: ref.name };
    const answer = await this.#send(operation, 'DELETE', objectPath(resource, namespace, ref.name), {
      body,
      signal: options.signal,
      idempotent: true,
      accept: options.uid !== undefined ? [404, 409] : [404],
    });
    if (answer.status === 404) return false;
    if (answer.status === 409) {
      // The uid precondition failed: the object we meant is gone and another one took its name.
      const current = await this.get(ref, { signal: options.signal });
      if (current === null || current.metadata.uid !== options.uid) return false;
      throw this.#errorFrom(operation, answer.status, answer.body);
    }
    return true;
  }

  watch<T extends KubeObject = KubeObject>(kind: KindRef, options: ListOptions & { resourceVersion?: string }): AsyncIterable<WatchEvent<T>> {
    return { [Symbol.asyncIterator]: () => this.#watch<T>(kind, options)[Symbol.asyncIterator]() };
  }

  async portForward(namespace: string, podName: string, port: number, options: { signal?: AbortSignal } = {}): Promise<Duplex> {
    this.#assertOpen();
    const stream = await openPortForwardStream(this.#config, namespace, podName, port, {
      signal: options.signal,
      server: this.server,
      handshakeTimeoutMs: this.#resolved.requestTimeoutMs,
    });
    this.#openStreams.add(stream);
    stream.once('close', () => this.#openStreams.delete(stream));
    return stream;
  }

  /** Ends port-forward streams and closes pooled connections. Watches end with their signals. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const stream of this.#openStreams) stream.destroy();
    this.#openStreams.clear();
    const agent = this.#agent;
    this.#agent = undefined;
    if (agent) await (await agent).close();
  }

  async *#watch<T extends KubeObject>(kind: KindRef, options: ListOptions & { resourceVersion?: string }): AsyncGenerator<WatchEvent<T>> {
    const signal = options.signal;
    const resource = await this.#resource(kind, signal);
    const namespace = resource.namespaced ? options.namespace : undefined;
    const operation = { verb: 'watch', resource: rbacResource(resource), namespace };
    const known = new Map<string, T>();
    const keyOf = (object: KubeObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    let resourceVersion = options.resourceVersion;
    let failures = 0;
    let lastError: unknown;
    let quickEnds = 0;
    while (!signal?.aborted) {
      let outcome: 'ended' | 'expired' | 'failed';
      const startedAt = Date.now();
      let delivered = false;
      try {
        outcome = 'ended';
        for await (const event of this.#watchOnce(resource, namespace, operation, options, resourceVersion, signal)) {
          if (event.type === 'BOOKMARK') {
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            continue;
          }
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number };
            outcome = status.code === 410 ? 'expired' : 'failed';
            if (outcome === 'failed') lastError = this.#errorFrom(operation, status.code ?? 500, event.object);
            break;
          }
          if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') continue;
          const object = withKind(event.object as T, kind);
          resourceVersion = object.metadata.resourceVersion ?? resourceVersion;
          if (event.type === 'DELETED') known.delete(keyOf(object));
          else known.set(keyOf(object), object);
          failures = 0;
          delivered = true;
          yield { type: event.type, object };
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (error instanceof KubeError && error.status === 410) outcome = 'expired';
        else if (error instanceof KubeError && !isRetryableStatus(error.status)) throw error;
        else {
          outcome = 'failed';
          lastError = error;
        }
      }
      if (signal?.aborted) return;
      if (outcome === 'expired') {
        // Too old to resume: list again, report what changed while we could not see it, and go on from the list.
        const list = await this.list<T>(kind, { namespace, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, signal });
        const current = new Set(list.items.map(keyOf));
        for (const [key, object] of known) {
          if (!current.has(key)) {
            known.delete(key);
            yield { type: 'DELETED', object };
          }
        }
        for (const object of list.items) {
          known.set(keyOf(object), object);
          yield { type: 'ADDED', object };
        }
        resourceVersion = list.resourceVersion;
        continue;
      }
      if (outcome === 'ended') {
        // A server (or proxy) that ends every watch at once must not be hammered: back off while that goes on.
        quickEnds = !delivered && Date.now() - startedAt < 1_000 ? quickEnds + 1 : 0;
        if (quickEnds > 1) await sleep(backoffMs(this.#options.retryDelayMs, quickEnds - 1, 5_000), undefined, { signal }).catch(() => undefined);
      }
      if (outcome === 'failed') {
        // A watch that keeps failing (API server gone) ends with its last error rather than retry silently forever.
        if (++failures >= this.#options.watchAttempts) throw lastError;
        await sleep(backoffMs(this.#options.retryDelayMs, failures, 5_000), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** One watch request: events until the server ends the stream, the stream stalls, or the signal aborts. */
  async *#watchOnce(
    resource: ApiResource,
    namespace: string | undefined,
    operation: Operation,
    options: ListOptions,
    resourceVersion: string | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ type: string; object: KubeObject }> {
    this.#assertOpen();
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let idleTimer: NodeJS.Timeout | undefined;
    let stalled = false;
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        stalled = true;
        controller.abort(new Error('watch stalled'));
      }, this.#options.watchIdleTimeoutMs);
      idleTimer.unref();
    };
    try {
      armIdleTimer();
      const query: Record<string, string | number | boolean | undefined> = {
        watch: true,
        allowWatchBookmarks: true,
        timeoutSeconds: this.#options.watchTimeoutSeconds,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        resourceVersion,
      };
      const response = await this.#dispatch(operation, 'GET', collectionPath(resource, namespace), { query, idempotent: true }, controller.signal);
      if (response.statusCode !== 200) {
        const text = await response.body.text().catch(() => '');
        throw this.#errorFrom(operation, response.statusCode, parseJson(text), headerValue(response.headers['retry-after']));
      }
      let buffered = '';
      response.body.setEncoding('utf8');
      for await (const chunk of response.body as AsyncIterable<string>) {
        armIdleTimer();
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline !== -1) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line === '') continue;
          const event = parseJson(line) as { type?: string; object?: KubeObject } | undefined;
          if (!event?.type || !event.object) continue;
          yield { type: event.type, object: event.object };
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      // A stalled stream is reopened by the caller from the last resourceVersion.
      if (stalled) return;
      throw error;
    } finally {
      clearTimeout(idleTimer);
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  async #resource(kind: KindRef, signal?: AbortSignal): Promise<ApiResource> {
    const builtIn = BUILT_IN[`${kind.apiVersion}/${kind.kind}`];
    const { group, version } = splitApiVersion(kind.apiVersion);
    if (builtIn) return { group, version, kind: kind.kind, plural: builtIn.plural, namespaced: builtIn.namespaced, shortNames: [] };
    const resources = await this.discover({ signal });
    const found = resources.find((r) => r.group === group && r.version === version && r.kind === kind.kind);
    if (found) return found;
    throw new KubeError({
      verb: 'discover',
      resource: `${kind.kind} (${kind.apiVersion})`,
      status: 404,
      reason: 'NotFound',
      serverMessage: `the server does not serve ${kind.kind} in ${kind.apiVersion}; is its CRD installed?`,
      server: this.server,
    });
  }

  #namespaceFor(resource: ApiResource, namespace: string | undefined): string | undefined {
    return resource.namespaced ? (namespace ?? this.namespace) : undefined;
  }

  /** GET for discovery documents: body and status, with the content negotiation discovery needs. */
  async #getRaw(path: string, accept: string, signal?: AbortSignal): Promise<Answer> {
    return this.#send({ verb: 'get', resource: path }, 'GET', path, { signal, idempotent: true, acceptHeader: accept, accept: [404, 503] });
  }

  async #send(operation: Operation, method: Dispatcher.HttpMethod, path: string, options: SendOptions): Promise<Answer> {
    this.#assertOpen();
    const attempts = this.#options.attempts;
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      const timeoutMs = this.#resolved.requestTimeoutMs;
      const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
      const signal = combineSignals(options.signal, timeout);
      let retryAfterMs: number | undefined;
      try {
        const response = await this.#dispatch(operation, method, path, options, signal);
        const text = await response.body.text();
        const status = response.statusCode;
        const body = parseJson(text);
        if (status < 400 || options.accept?.includes(status)) return { status, body: body ?? text };
        const retryAfter = headerValue(response.headers['retry-after']);
        const error = this.#errorFrom(operation, status, body ?? text, retryAfter);
        const retryable = status === 429 || (options.idempotent && isRetryableStatus(status));
        if (!retryable || attempt >= attempts) throw error;
        retryAfterMs = error.retryAfterSeconds !== undefined ? Math.min(error.retryAfterSeconds * 1000, 5_000) : undefined;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof KubeError) {
          if (error.status !== 0 || attempt >= attempts || !(options.idempotent || isRefused(error.cause))) throw error;
        } else if (timeout?.aborted) {
          const timedOut = new KubeError({
            ...operation,
            status: 0,
            server: this.server,
            serverMessage: `no answer within ${timeoutMs} ms (--request-timeout)`,
            cause: error,
          });
          if (!options.idempotent || attempt >= attempts) throw timedOut;
        } else {
          throw error;
        }
      }
      await sleep(retryAfterMs ?? backoffMs(this.#options.retryDelayMs, attempt, 5_000), undefined, { signal: options.signal });
    }
  }

  /** Sends one request with fresh credentials; connection failures become KubeErrors with status 0. */
  async #dispatch(
    operation: Operation,
    method: Dispatcher.HttpMethod,
    path: string,
    options: SendOptions,
    signal: AbortSignal | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const requestOptions: { headers?: Record<string, string | string[] | number | undefined> } = {};
    try {
      await this.#config.applyToHTTPSOptions(requestOptions);
    } catch (error) {
      throw new KubeError({
        ...operation,
        status: 0,
        reason: 'CredentialsUnavailable',
        server: this.server,
        serverMessage: `cannot get credentials for the API server: ${(error as Error).message}`,
        cause: error,
      });
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(requestOptions.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value);
    }
    headers['user-agent'] = this.#options.userAgent;
    headers.accept = options.acceptHeader ?? 'application/json';
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    try {
      return await request(url, { method, headers, body, signal, dispatcher: await this.#dispatcher() });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new KubeError({ ...operation, status: 0, server: this.server, cause: error });
    }
  }

  /** One undici Agent for the run, with client-node's TLS material (CA, client certificate, verification). */
  #dispatcher(): Promise<Dispatcher> {
    this.#agent ??= (async () => {
      if (this.#resolved.cluster['proxy-url']) {
        // Through a proxy (kubeconfig proxy-url, or HTTPS_PROXY): client-node builds the proxy agent (HTTP CONNECT
        // or SOCKS) with the cluster's TLS material, as it does for port-forward WebSockets.
        const context = new RequestContext(this.server, HttpMethod.GET);
        await this.#config.applySecurityAuthentication(context);
        const proxied = context.getDispatcher() as Dispatcher | undefined;
        if (proxied) return proxied;
      }
      const tlsOptions: { ca?: unknown; cert?: unknown; key?: unknown; rejectUnauthorized?: boolean; servername?: string; headers?: unknown } = {};
      await this.#config.applyToHTTPSOptions(tlsOptions);
      const connect: Record<string, unknown> = { keepAlive: true, keepAliveInitialDelay: 30_000 };
      for (const key of ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const) {
        if (tlsOptions[key] !== undefined && tlsOptions[key] !== null) connect[key] = tlsOptions[key];
      }
      return new Agent({ connect, allowH2: false });
    })();
    return this.#agent;
  }

  #errorFrom(operation: Operation, status: number, body: unknown, retryAfter?: string): KubeError {
    const statusObject = body && typeof body === 'object' && (body as { kind?: string }).kind === 'Status' ? (body as { message?: string; reason?: string }) : undefined;
    const text = typeof body === 'string' ? body.trim() : undefined;
    const retryAfterSeconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    return new KubeError({
      ...operation,
      status,
      reason: statusObject?.reason,
      serverMessage: statusObject?.message ?? (text ? text.slice(0, 500) : undefined),
      server: this.server,
      retryAfterSeconds,
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the Kubernetes client was closed');
  }
}

/** `pods`, `tidbclusters.pingcap.com`, `pods/status` — how RBAC and kubectl name a resource. */
function rbacResource(resource: ApiResource, subresource?: string): string {
  const base = resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
  return subresource ? `${base}/${subresource}` : base;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function groupVersionPath(resource: ApiResource): string {
  return resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
}

function collectionPath(resource: ApiResource, namespace: string | undefined): string {
  const ns = namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(resource)}${ns}/${resource.plural}`;
}

function objectPath(resource: ApiResource, namespace: string | undefined, name: string): string {
  if (!name) throw new TypeError(`a ${resource.kind} needs a name`);
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

/** List items come without apiVersion/kind from a real API server; the port promises them. */
function withKind<T extends KubeObject>(object: T, kind: KindRef): T {
  if (object && typeof object === 'object') {
    if (!object.apiVersion) object.apiVersion = kind.apiVersion;
    if (!object.kind) object.kind = kind.kind;
  }
  return object;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** The request never reached the server: safe to send again even if it is not idempotent. */
function isRefused(cause: unknown): boolean {
  const code = (cause as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

function backoffMs(baseMs: number, attempt: number, maxMs: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}

function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a && b) return AbortSignal.any([a, b]);
  return a ?? b;
}
