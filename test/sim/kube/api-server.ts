/**
 * The simulated Kubernetes API server: a real HTTP(S) server on 127.0.0.1 that the real `kubectl` and
 * @kubernetes/client-node use through an ordinary kubeconfig. It serves an `ObjectStore` with the REST semantics of
 * kube-apiserver 1.32: discovery (legacy and aggregated), CRUD at the real paths for every registered kind, lists
 * with `limit`/`continue`, chunked `watch` streams (BOOKMARK, `timeoutSeconds`, legacy `/watch/` paths), the
 * `status` subresource, `dryRun`, graceful deletion with `gracePeriodSeconds`/`propagationPolicy`/preconditions,
 * server-side Tables (`kubectl get`), SelfSubjectAccessReview (`kubectl auth can-i`), `pods/portforward` over
 * WebSocket, bearer-token authentication, impersonation (`--as`), RBAC (`rbac.ts`) and fault injection
 * (`kube-faults.ts`). Errors are `Status` objects with the real reasons and messages. Every request is recorded to
 * History as `kube-request` (verb, resource, subresource, namespace, name, user, status).
 *
 * ```ts
 * const store = new ObjectStore({ history });
 * const api = await startApiServer({ store, history, tls: true });
 * api.addToken('operator-token', { name: 'operator', groups: [] });
 * api.authz.bind('operator', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]);
 * api.writeKubeconfig('/tmp/x/kubeconfig', { namespace: 'tidb' });          // admin token by default
 * api.setPortForwardResolver(kubelet);                                      // routes pods/portforward
 * …
 * await api.close();
 * ```
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import { issueCert, makeCa, type CertificateAuthority } from '../tls.ts';
import { ObjectStore, StatusError, type PropagationPolicy } from './object-store.ts';
import {
  badRequest, forbidden, internalError, methodNotAllowed, notFound, resourceNotFound, success, tooManyRequests,
  unauthorized, unsupportedMediaType, conflict, invalid, type KubeStatus,
} from './kube-status.ts';
import { jsonPatch, mergePatch } from './patch.ts';
import { formatLabelSelector, selectorFromObject, type LabelSelectorObject } from './selectors.ts';
import { Rbac, type RequestAttributes, type UserInfo } from './rbac.ts';
import { KubeFaults } from './kube-faults.ts';
import { joinApiVersion, type ResourceDef } from './resources.ts';
import { aggregatedDiscovery, aggregatedDiscoveryContentType, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { toTable, type IncludeObject } from './table.ts';
import { PortForwardHandler, parsePorts, portForwardProtocols, type PortForwardResolver } from './port-forward.ts';
import { serveSpdyPortForward } from './spdy-port-forward.ts';
import { writeKubeconfig, type KubeconfigOptions } from './kubeconfig.ts';
import { decodeReview } from './protobuf.ts';
import { openApiV3GroupVersion, openApiV3Root } from './openapi.ts';

export { writeKubeconfig, type KubeconfigOptions, type PortForwardResolver };

export interface ApiServerOptions {
  store: ObjectStore;
  /** RBAC rules per user; a fresh `Rbac` (everyone allowed until bound) by default. */
  authz?: Rbac;
  /**
   * `true`: serve HTTPS with a certificate from a fresh CA (`ca` on the handle); or bring your own certificate.
   * Plain HTTP when absent.
   */
  tls?: boolean | { cert: string; key: string; ca: string; caKey?: string };
  history?: History;
  faults?: KubeFaults;
  /** Where pods' container ports are served (normally the kubelet); can be set later with setPortForwardResolver. */
  portForward?: PortForwardResolver;
  /** The admin token (user `admin`, group `system:masters`). Default `sim-admin-token`. */
  adminToken?: string;
  /** Port on 127.0.0.1 (0 = any free port). */
  port?: number;
  /** Interval of watch BOOKMARK events when a client allows them (wall ms, default 60 000). */
  bookmarkIntervalMs?: number;
  /** How long a watch without `timeoutSeconds` lasts (wall ms, default 1 800 000 as --min-request-timeout). */
  defaultWatchTimeoutMs?: number;
  /** Reported by /version (default v1.32.4). */
  gitVersion?: string;
  /**
   * Who requests without credentials are (default: nobody — they get 401, except /version and health checks).
   * kubectl sends no bearer token over plain HTTP (clientcmd only applies user credentials to TLS transports), so
   * use `tls: true` for kubectl, or set this for a plain-HTTP server that kubectl should reach.
   */
  anonymousUser?: { name: string; groups?: string[] };
}

export interface ApiServer {
  /** `http(s)://127.0.0.1:<port>` */
  readonly url: string;
  /** The CA certificate (PEM) clients must trust, when serving HTTPS. */
  readonly ca?: string;
  readonly store: ObjectStore;
  readonly authz: Rbac;
  readonly faults: KubeFaults;
  /** Token of the built-in admin user. */
  readonly adminToken: string;
  /**
   * A client certificate the server accepts for `user` (CN) and `groups` (O), as kubeadm/kind kubeconfigs carry:
   * HTTPS servers whose CA key is known (`tls: true`, or `tls.caKey`) only.
   */
  issueClientCert(user: string, groups?: string[]): { cert: string; key: string };
  /** Makes `token` authenticate as `user` (groups default to none; `system:authenticated` is always added). */
  addToken(token: string, user: { name: string; groups?: string[] }): void;
  removeToken(token: string): void;
  setPortForwardResolver(resolver: PortForwardResolver | undefined): void;
  /** Ends every open watch stream now, as an API server restart or a load balancer would; returns how many. */
  endWatches(): number;
  /** Writes a kubeconfig for this server (admin token unless `token` is given). */
  writeKubeconfig(path: string, options?: Partial<Omit<KubeconfigOptions, 'server' | 'ca'>>): void;
  /** Ends open watches and port-forwards and stops listening. */
  close(): Promise<void>;
}

/** What the request-info resolver derives from a request, as in k8s.io/apiserver. */
interface RequestInfo {
  isResource: boolean;
  verb: string;
  path: string;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  watch: boolean;
}

/** Parses `/api/v1/namespaces/tidb/pods/x/status`, `/apis/apps/v1/watch/statefulsets` … */
function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const parts = path.split('/').filter((p) => p !== '');
  const base: RequestInfo = { isResource: false, verb: method.toLowerCase(), path, group: '', version: '', resource: '', watch: false };
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    base.version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    base.group = parts[1];
    base.version = parts[2];
    rest = parts.slice(3);
  } else {
    return base;
  }
  base.isResource = true;
  if (rest[0] === 'watch') {
    base.watch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]))) {
    base.namespace = decodeURIComponent(rest[1]);
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length >= 2) {
    base.namespace = decodeURIComponent(rest[1]);
  }
  base.resource = rest[0] ?? '';
  if (rest[1] !== undefined) base.name = decodeURIComponent(rest[1]);
  if (rest[2] !== undefined) base.subresource = rest[2];
  if (rest.length > 3) base.resource = '';
  const watchParam = url.searchParams.get('watch');
  if (watchParam === 'true' || watchParam === '1') base.watch = true;
  switch (method) {
    case 'GET':
    case 'HEAD':
      base.verb = base.watch ? 'watch' : base.name !== undefined ? 'get' : 'list';
      break;
    case 'POST': base.verb = 'create'; break;
    case 'PUT': base.verb = 'update'; break;
    case 'PATCH': base.verb = 'patch'; break;
    case 'DELETE': base.verb = base.name !== undefined ? 'delete' : 'deletecollection'; break;
    default: base.verb = method.toLowerCase();
  }
  // Streaming subresources are authorized as create (Kubernetes ≥ 1.30 checks create for WebSocket GETs too).
  if (base.subresource && ['portforward', 'exec', 'attach'].includes(base.subresource)) base.verb = 'create';
  return base;
}

/** The Accept header's wish: a Table, PartialObjectMetadata(List), or the object itself. */
function acceptAs(req: IncomingMessage): { as?: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' } {
  const accept = req.headers.accept ?? '';
  for (const clause of accept.split(',')) {
    const params = new Map(clause.split(';').slice(1).map((p) => p.trim().split('=') as [string, string]));
    const as = params.get('as');
    if (params.get('g') === 'meta.k8s.io' && (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList')) {
      return { as, version: params.get('v') === 'v1beta1' ? 'v1beta1' : 'v1' };
    }
    if (as === undefined && /^\s*(application\/json|\*\/\*|application\/\*)/.test(clause)) return { version: 'v1' };
  }
  return { version: 'v1' };
}

function wantsAggregatedDiscovery(req: IncomingMessage): boolean {
  const first = (req.headers.accept ?? '').split(',').find((c) => /as=APIGroupDiscoveryList/.test(c));
  return first !== undefined && /g=apidiscovery\.k8s\.io/.test(first) && /v=v2(;|$|\s)/.test(first + ';');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType && /vnd\.kubernetes\.protobuf/.test(contentType)) return decodeReview(raw);
  const text = raw.toString('utf8');
  try {
    if (contentType && /yaml/.test(contentType)) return parseYaml(text);
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
}

function encodeContinue(rv: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: `${lastKey}\u0000` })).toString('base64url');
}

function decodeContinue(token: string): { start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: string };
    if (typeof parsed.start !== 'string') throw new Error('no start');
    return { start: parsed.start };
  } catch {
    throw badRequest(`continue key is not valid: ${token}`);
  }
}

function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Typed lists from the real server carry no kind/apiVersion on their items; custom resources keep them. */
function listItem(resource: ResourceDef, object: KubeObject): KubeObject {
  if (resource.custom) return object;
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest as KubeObject;
}

const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Starts the API server on 127.0.0.1. See the module comment. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { store, history } = options;
  const authz = options.authz ?? new Rbac();
  if (!authz.attached) authz.attach(store);
  const faults = options.faults ?? new KubeFaults();
  const adminToken = options.adminToken ?? 'sim-admin-token';
  const tokens = new Map<string, UserInfo>([[adminToken, { name: 'admin', groups: ['system:masters', 'system:authenticated'] }]]);
  let resolver = options.portForward;
  const portForward = new PortForwardHandler({ resolver: () => resolver, faults, history });
  const openWatches = new Set<() => void>();
  const spdyConnections = new Set<() => void>();
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
  const defaultWatchTimeoutMs = options.defaultWatchTimeoutMs ?? 1_800_000;

  let tls: { cert: string; key: string; ca: string; caKey?: string } | undefined;
  if (options.tls === true) {
    const ca: CertificateAuthority = makeCa('kubernetes-sim-ca');
    const cert = issueCert({ ca, commonName: 'kube-apiserver', dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'], ips: ['127.0.0.1', '::1'] });
    tls = { cert: cert.cert, key: cert.key, ca: ca.cert, caKey: ca.key };
  } else if (options.tls) {
    tls = options.tls;
  }

  function record(info: RequestInfo, user: UserInfo | undefined, status: number, method: string): void {
    history?.record('kube', 'kube-request', {
      method,
      verb: info.verb,
      resource: info.isResource ? info.resource : undefined,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
      path: info.path,
      user: user?.name,
      status,
    });
  }

  function authenticate(req: IncomingMessage): UserInfo | undefined {
    const header = req.headers.authorization;
    if (!header) return certificateUser(req);
    const match = header.match(/^Bearer\s+(.+)$/i);
    if (!match) return undefined;
    return tokens.get(match[1].trim());
  }

  /** x509 client authentication: CN is the user, each O a group (verified against the server's CA). */
  function certificateUser(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (!tls || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
    const peer = socket.getPeerCertificate();
    if (!peer?.subject?.CN) return undefined;
    const o = peer.subject.O as string | string[] | undefined;
    const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
    return { name: String(peer.subject.CN), groups: [...groups, 'system:authenticated'] };
  }

  /** `Impersonate-User` / `Impersonate-Group` (kubectl --as / --as-group), authorized as `impersonate`. */
  function impersonate(req: IncomingMessage, user: UserInfo): UserInfo {
    const asUser = req.headers['impersonate-user'];
    if (typeof asUser !== 'string' || asUser === '') return user;
    const groupsHeader = req.headers['impersonate-group'];
    const groups = (Array.isArray(groupsHeader) ? groupsHeader : groupsHeader ? [groupsHeader] : []).flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean);
    const check = (resource: string, name: string) => {
      const decision = authz.authorize(user, { verb: 'impersonate', apiGroup: '', resource, name });
      if (!decision.allowed) {
        const err = forbidden({ group: '', resource }, name, user.name, 'impersonate', resource, undefined);
        throw err;
      }
    };
    check('users', asUser);
    for (const g of groups) check('groups', g);
    return { name: asUser, groups: [...groups, 'system:authenticated'] };
  }

  function authorize(user: UserInfo, info: RequestInfo): void {
    const attributes: RequestAttributes = info.isResource
      ? { verb: info.verb, apiGroup: info.group, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name }
      : { verb: info.verb, apiGroup: '', resource: '', path: info.path };
    const decision = authz.authorize(user, attributes);
    if (decision.allowed) return;
    if (!info.isResource) {
      const body: KubeStatus = {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
        message: `forbidden: User "${user.name}" cannot ${info.verb} path "${info.path}"`, details: {},
      };
      throw new StatusError(body);
    }
    const resourceName = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    throw forbidden({ group: info.group, resource: info.resource }, info.name, user.name, info.verb, resourceName, info.namespace);
  }

  function resourceFor(info: RequestInfo): ResourceDef {
    const resource = store.resources.byPlural(info.group, info.version, info.resource);
    if (!resource) throw resourceNotFound();
    if (info.subresource !== undefined && !resource.subresources.includes(info.subresource)) throw resourceNotFound();
    if (!resource.namespaced && info.namespace !== undefined && !(resource.plural === 'namespaces')) throw resourceNotFound();
    return resource;
  }

  function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
    res.end(text);
  }

  function sendError(res: ServerResponse, error: unknown): number {
    if (error instanceof PlainTextError) {
      if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      res.writeHead(error.code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(`${error.message}\n`);
      return error.code;
    }
    const statusError = error instanceof StatusError ? error : internalError((error as Error)?.message ?? String(error));
    if (!(error instanceof StatusError)) process.emitWarning(`simulated API server: ${(error as Error)?.stack ?? String(error)}`);
    if (statusError.code === 429) res.setHeader('Retry-After', String(statusError.status.details?.retryAfterSeconds ?? 1));
    if (!res.headersSent) sendJson(res, statusError.code, statusError.status);
    else res.end();
    return statusError.code;
  }

  function faultError(info: RequestInfo, user: UserInfo | undefined): StatusError | PlainTextError | undefined {
    const fault = faults.takeError({ verb: info.verb, resource: info.resource || undefined, subresource: info.subresource, namespace: info.namespace, name: info.name, user: user?.name });
    if (!fault) return undefined;
    if ((fault.format ?? (fault.status === 429 ? 'text' : 'status')) === 'text') {
      const text = fault.message ?? (fault.status === 429 ? 'Too many requests, please try again later.' : `injected fault ${fault.status}`);
      return new PlainTextError(fault.status, text, fault.status === 429 ? fault.retryAfterSeconds ?? 1 : undefined);
    }
    const gr = { group: info.group, resource: info.resource };
    let error: StatusError;
    switch (fault.status) {
      case 429: error = tooManyRequests(fault.retryAfterSeconds ?? 1); break;
      case 409: error = conflict(gr, info.name ?? '', fault.message); break;
      case 404: error = notFound(gr, info.name ?? ''); break;
      case 500: error = internalError(fault.message ?? 'injected fault'); break;
      default: error = new StatusError({
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: fault.status,
        reason: fault.status === 503 ? 'ServiceUnavailable' : fault.status === 504 ? 'Timeout' : fault.status === 401 ? 'Unauthorized' : fault.status === 403 ? 'Forbidden' : 'InternalError',
        message: fault.message ?? `injected fault ${fault.status}`,
      });
    }
    if (fault.message && fault.status !== 409 && fault.status !== 500) error.status.message = fault.message;
    return error;
  }

  // ——— handlers ———

  function handleNonResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo, serverAddress: string): number {
    const path = info.path.replace(/\/+$/, '') || '/';
    const parts = path.split('/').filter(Boolean);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
    if (path === '/version') {
      const gitVersion = options.gitVersion ?? 'v1.32.4';
      const [major, minor] = gitVersion.replace(/^v/, '').split('.');
      sendJson(res, 200, { major, minor, gitVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: startedAt, goVersion: 'go1.23.6', compiler: 'gc', platform: 'linux/amd64' });
      return 200;
    }
    if (['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end('ok');
      return 200;
    }
    if (path === '/api') {
      if (wantsAggregatedDiscovery(req)) sendJson(res, 200, aggregatedDiscovery(store.resources, true), aggregatedDiscoveryContentType);
      else sendJson(res, 200, apiVersions(serverAddress));
      return 200;
    }
    if (path === '/apis') {
      if (wantsAggregatedDiscovery(req)) sendJson(res, 200, aggregatedDiscovery(store.resources, false), aggregatedDiscoveryContentType);
      else sendJson(res, 200, apiGroupList(store.resources));
      return 200;
    }
    if (parts[0] === 'api' && parts.length === 2) {
      const doc = apiResourceList(store.resources, '', parts[1]);
      if (!doc) throw resourceNotFound();
      sendJson(res, 200, doc);
      return 200;
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const doc = apiGroup(store.resources, parts[1]);
      if (!doc) throw resourceNotFound();
      sendJson(res, 200, doc);
      return 200;
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const doc = apiResourceList(store.resources, parts[1], parts[2]);
      if (!doc) throw resourceNotFound();
      sendJson(res, 200, doc);
      return 200;
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, openApiV3Root(store.resources));
      return 200;
    }
    if (parts[0] === 'openapi' && parts[1] === 'v3') {
      const doc = parts[2] === 'api' ? openApiV3GroupVersion(store.resources, '', parts[3] ?? '') : openApiV3GroupVersion(store.resources, parts[3] ?? '', parts[4] ?? '');
      if (doc) {
        sendJson(res, 200, doc);
        return 200;
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
    return 404;
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo, url: URL, user: UserInfo): Promise<number> {
    if (info.group === 'authorization.k8s.io' && req.method === 'POST' && info.name === undefined) {
      return handleAccessReview(req, res, info, user);
    }
    const resource = resourceFor(info);
    const kind = { apiVersion: joinApiVersion(resource.group, info.version), kind: resource.kind };
    const namespace = resource.namespaced ? info.namespace : undefined;
    if (resource.namespaced && info.name !== undefined && namespace === undefined && !(info.verb === 'watch')) {
      throw resourceNotFound();
    }
    const q = url.searchParams;
    const dryRun = q.getAll('dryRun').includes('All');
    const gr = { group: resource.group, resource: resource.plural };
    const accept = acceptAs(req);
    const subresource = info.subresource === 'status' ? 'status' as const : undefined;

    if (info.subresource === 'log' && req.method === 'GET') {
      if (!store.get(kind, namespace, info.name!)) throw notFound(gr, info.name!);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('');
      return 200;
    }
    if (info.subresource === 'eviction' && req.method === 'POST') {
      const body = (parseBody(await readBody(req), req.headers['content-type']) ?? {}) as { deleteOptions?: Record<string, unknown> };
      const existing = store.get(kind, namespace, info.name!);
      if (!existing) throw notFound(gr, info.name!);
      const opts = body.deleteOptions ?? {};
      store.delete(kind, namespace, info.name!, {
        gracePeriodSeconds: typeof opts.gracePeriodSeconds === 'number' ? opts.gracePeriodSeconds : undefined,
        preconditions: opts.preconditions as { uid?: string; resourceVersion?: string } | undefined,
        dryRun,
      });
      sendJson(res, 201, { ...success(), status: 'Success', code: 201 });
      return 201;
    }
    if (info.subresource === 'scale' && resource.scale) {
      return handleScale(req, res, info, resource, kind, namespace!, q.getAll('dryRun').includes('All'));
    }
    if (info.subresource !== undefined && info.subresource !== 'status') throw methodNotAllowed();

    switch (info.verb) {
      case 'get': {
        const object = store.get(kind, namespace, info.name!);
        if (!object) throw notFound(gr, info.name!);
        if (accept.as === 'Table') {
          sendJson(res, 200, toTable(resource, info.version, [object], { resourceVersion: object.metadata.resourceVersion, includeObject: includeObject(q), tableVersion: accept.version }));
        } else if (accept.as === 'PartialObjectMetadata') {
          sendJson(res, 200, { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${accept.version}`, metadata: object.metadata });
        } else sendJson(res, 200, object);
        return 200;
      }
      case 'list': {
        const all = store.list(kind, { namespace, labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
        let items = all.items;
        const token = q.get('continue');
        if (token) {
          const { start } = decodeContinue(token);
          items = items.filter((o) => objectKey(o) >= start);
        }
        const limit = Number(q.get('limit') ?? '0');
        let next: string | undefined;
        let remaining: number | undefined;
        if (limit > 0 && items.length > limit) {
          remaining = items.length - limit;
          items = items.slice(0, limit);
          next = encodeContinue(all.resourceVersion, objectKey(items.at(-1)!));
        }
        if (accept.as === 'Table') {
          sendJson(res, 200, toTable(resource, info.version, items, { resourceVersion: all.resourceVersion, continue: next, includeObject: includeObject(q), tableVersion: accept.version }));
        } else if (accept.as === 'PartialObjectMetadataList' || accept.as === 'PartialObjectMetadata') {
          sendJson(res, 200, {
            kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${accept.version}`,
            metadata: { resourceVersion: all.resourceVersion, ...(next ? { continue: next, remainingItemCount: remaining } : {}) },
            items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${accept.version}`, metadata: o.metadata })),
          });
        } else {
          sendJson(res, 200, {
            kind: `${resource.kind}List`, apiVersion: kind.apiVersion,
            metadata: { resourceVersion: all.resourceVersion, ...(next ? { continue: next, remainingItemCount: remaining } : {}) },
            items: items.map((o) => listItem(resource, o)),
          });
        }
        return 200;
      }
      case 'watch':
        return serveWatch(req, res, info, resource, kind, namespace, q, accept);
      case 'create': {
        if (info.name !== undefined) throw methodNotAllowed();
        const body = parseBody(await readBody(req), req.headers['content-type']) as KubeObject | undefined;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request was empty');
        const object = { ...body, metadata: { ...(body.metadata ?? {}) } } as KubeObject;
        if (object.kind !== undefined && object.kind !== resource.kind) {
          throw badRequest(`${object.kind} in version "${String(object.apiVersion ?? '').split('/').at(-1)}" cannot be handled as a ${resource.kind}: the object provided is unrecognized`);
        }
        object.apiVersion = kind.apiVersion;
        object.kind = resource.kind;
        if (resource.namespaced) {
          if (object.metadata.namespace && object.metadata.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
          object.metadata.namespace = namespace;
        }
        const created = store.create(object, { dryRun, strictNamespace: true });
        sendJson(res, 201, created);
        return 201;
      }
      case 'update': {
        const body = parseBody(await readBody(req), req.headers['content-type']) as KubeObject | undefined;
        if (!body || typeof body !== 'object' || !body.metadata) throw badRequest('the body of the request was empty');
        if (body.metadata.name !== info.name) throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${info.name})`);
        if (resource.namespaced) {
          if (body.metadata.namespace && body.metadata.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
          body.metadata.namespace = namespace;
        }
        body.apiVersion = kind.apiVersion;
        body.kind = resource.kind;
        const updated = store.update(body, { subresource, dryRun });
        sendJson(res, 200, updated);
        return 200;
      }
      case 'patch': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const type = contentType === 'application/merge-patch+json' ? 'merge'
          : contentType === 'application/json-patch+json' ? 'json'
          : contentType === 'application/strategic-merge-patch+json' ? 'strategic' : undefined;
        if (!type) throw unsupportedMediaType(contentType);
        const patch = parseBody(await readBody(req), 'application/json');
        const patched = store.patch(kind, namespace, info.name!, patch, type, { subresource, dryRun });
        sendJson(res, 200, patched);
        return 200;
      }
      case 'delete': {
        const body = (parseBody(await readBody(req), req.headers['content-type']) ?? {}) as Record<string, unknown>;
        const grace = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
        const propagation = (q.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents === true || q.get('orphanDependents') === 'true' ? 'Orphan' : undefined)) as PropagationPolicy | undefined;
        if (propagation !== undefined && !['Orphan', 'Background', 'Foreground'].includes(propagation)) {
          throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${propagation}": supported values: "Foreground", "Background", "Orphan", "nil"`);
        }
        const preconditions = body.preconditions as { uid?: string; resourceVersion?: string } | undefined;
        const bodyDryRun = Array.isArray(body.dryRun) && body.dryRun.includes('All');
        const result = store.delete(kind, namespace, info.name!, {
          gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
          preconditions,
          propagationPolicy: propagation,
          dryRun: dryRun || bodyDryRun,
        });
        if (!result) throw notFound(gr, info.name!);
        const stillThere = store.get(kind, namespace, info.name!) !== undefined;
        if (stillThere || (resource.group === '' && resource.kind === 'Pod') || resource.custom || dryRun || bodyDryRun) sendJson(res, 200, result);
        else sendJson(res, 200, success({ name: info.name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural, uid: result.metadata.uid }));
        return 200;
      }
      case 'deletecollection': {
        const body = (parseBody(await readBody(req), req.headers['content-type']) ?? {}) as Record<string, unknown>;
        const grace = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
        const matched = store.list(kind, { namespace, labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined });
        const deleted: KubeObject[] = [];
        for (const o of matched.items) {
          const result = store.delete(kind, o.metadata.namespace, o.metadata.name, { gracePeriodSeconds: grace === undefined ? undefined : Number(grace), dryRun });
          if (result) deleted.push(listItem(resource, result));
        }
        sendJson(res, 200, { kind: `${resource.kind}List`, apiVersion: kind.apiVersion, metadata: { resourceVersion: store.resourceVersion }, items: deleted });
        return 200;
      }
      default:
        throw methodNotAllowed();
    }
  }

  /** The `scale` subresource (autoscaling/v1 Scale) of workloads and of custom resources that declare one. */
  async function handleScale(req: IncomingMessage, res: ServerResponse, info: RequestInfo, resource: ResourceDef, kind: { apiVersion: string; kind: string }, namespace: string | undefined, dryRun: boolean): Promise<number> {
    const paths = resource.scale!;
    const gr = { group: resource.group, resource: resource.plural };
    const object = store.get<KubeObject>(kind, namespace, info.name!);
    if (!object) throw notFound(gr, info.name!);
    const scaleOf = (o: KubeObject) => {
      const selector = paths.labelSelectorPath ? readPath(o, paths.labelSelectorPath) : undefined;
      const selectorText = typeof selector === 'string' ? selector : selector && typeof selector === 'object' ? formatLabelSelector(selectorFromObject(selector as LabelSelectorObject) ?? []) : undefined;
      const statusReplicas = readPath(o, paths.statusReplicasPath);
      return {
        kind: 'Scale', apiVersion: 'autoscaling/v1',
        metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
        spec: { replicas: Number(readPath(o, paths.specReplicasPath) ?? 0) },
        status: { replicas: Number(statusReplicas ?? 0), ...(selectorText ? { selector: selectorText } : {}) },
      };
    };
    if (req.method === 'GET') {
      sendJson(res, 200, scaleOf(object));
      return 200;
    }
    let wanted: { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
    if (req.method === 'PUT') {
      wanted = (parseBody(await readBody(req), req.headers['content-type']) ?? {}) as typeof wanted;
    } else if (req.method === 'PATCH') {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
      const patch = parseBody(await readBody(req), 'application/json');
      const current = scaleOf(object);
      if (contentType === 'application/json-patch+json') wanted = jsonPatch(current, patch) as typeof wanted;
      else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') wanted = mergePatch(current, patch) as typeof wanted;
      else throw unsupportedMediaType(contentType);
    } else throw methodNotAllowed();
    const rv = wanted.metadata?.resourceVersion;
    if (rv && rv !== object.metadata.resourceVersion) throw conflict(gr, info.name!);
    const replicas = wanted.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('autoscaling', 'Scale', info.name!, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const next = structuredClone(object);
    writePath(next, paths.specReplicasPath, replicas);
    const updated = store.update(next, { dryRun });
    sendJson(res, 200, scaleOf(updated));
    return 200;
  }

  function includeObject(q: URLSearchParams): IncludeObject {
    const value = q.get('includeObject');
    return value === 'None' || value === 'Object' ? value : 'Metadata';
  }

  function serveWatch(
    req: IncomingMessage, res: ServerResponse, info: RequestInfo, resource: ResourceDef, kind: { apiVersion: string; kind: string },
    namespace: string | undefined, q: URLSearchParams, accept: ReturnType<typeof acceptAs>,
  ): number {
    let fieldSelector = q.get('fieldSelector') ?? undefined;
    if (info.name !== undefined) fieldSelector = [fieldSelector, `metadata.name=${info.name}`].filter(Boolean).join(',');
    const labelSelector = q.get('labelSelector') ?? undefined;
    const rv = q.get('resourceVersion') ?? undefined;
    const sendInitialEvents = q.get('sendInitialEvents') === 'true';
    const allowBookmarks = q.get('allowWatchBookmarks') === 'true';
    const timeoutSeconds = q.get('timeoutSeconds');
    const asTable = accept.as === 'Table';
    let headersSentForTable = false;
    // Validate selectors before answering 200.
    const initial = store.list(kind, { namespace, labelSelector, fieldSelector });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const write = (type: string, object: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const encode = (object: KubeObject): unknown => {
      if (!asTable) return object;
      const table = toTable(resource, info.version, [object], { resourceVersion: object.metadata.resourceVersion, includeObject: includeObject(q), noHeaders: headersSentForTable, tableVersion: accept.version });
      headersSentForTable = true;
      return table;
    };
    let lastRv = initial.resourceVersion;
    const bookmark = (annotations?: Record<string, string>) => {
      write('BOOKMARK', { kind: resource.kind, apiVersion: kind.apiVersion, metadata: { resourceVersion: lastRv, ...(annotations ? { annotations } : {}) } });
    };
    const timers: NodeJS.Timeout[] = [];
    let stop: () => void = () => {};
    const finish = () => {
      stop();
      for (const t of timers) clearTimeout(t);
      openWatches.delete(finish);
      if (!res.writableEnded) res.end();
    };
    openWatches.add(finish);
    req.on('close', finish);
    res.on('close', finish);
    const fromNow = rv === undefined || rv === '' || rv === '0';
    if (fromNow && q.get('sendInitialEvents') !== 'false') {
      // rv unset or "0": the current state first as synthetic ADDED events ("Get State and Start at Most Recent"),
      // and with sendInitialEvents=true (watch-list) a bookmark marking their end.
      for (const o of initial.items) write('ADDED', encode(o));
      if (sendInitialEvents && allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    }
    try {
      stop = store.watch(kind, { namespace, labelSelector, fieldSelector, resourceVersion: fromNow ? initial.resourceVersion : rv }, (event) => {
        lastRv = event.object.metadata.resourceVersion ?? lastRv;
        write(event.type, encode(event.object));
      });
    } catch (error) {
      if (error instanceof StatusError) {
        write('ERROR', error.status);
        finish();
        return 200;
      }
      throw error;
    }
    if (allowBookmarks) {
      const tick = () => {
        bookmark();
        timers.push(setTimeout(tick, bookmarkIntervalMs).unref());
      };
      timers.push(setTimeout(tick, bookmarkIntervalMs).unref());
    }
    const timeoutMs = timeoutSeconds !== null && Number(timeoutSeconds) > 0 ? Number(timeoutSeconds) * 1000 : defaultWatchTimeoutMs;
    timers.push(setTimeout(finish, timeoutMs).unref());
    return 200;
  }

  async function handleAccessReview(req: IncomingMessage, res: ServerResponse, info: RequestInfo, user: UserInfo): Promise<number> {
    const body = (parseBody(await readBody(req), req.headers['content-type']) ?? {}) as { spec?: Record<string, unknown> };
    const spec = body.spec ?? {};
    if (info.resource === 'selfsubjectaccessreviews') {
      const ra = spec.resourceAttributes as Record<string, string> | undefined;
      const nra = spec.nonResourceAttributes as Record<string, string> | undefined;
      const decision = ra
        ? authz.authorize(user, { verb: ra.verb ?? '', apiGroup: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource || undefined, namespace: ra.namespace || undefined, name: ra.name || undefined })
        : authz.authorize(user, { verb: nra?.verb ?? '', apiGroup: '', resource: '', path: nra?.path ?? '' });
      sendJson(res, 201, {
        kind: 'SelfSubjectAccessReview', apiVersion: `authorization.k8s.io/${info.version}`, metadata: { creationTimestamp: null },
        spec, status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
      });
      return 201;
    }
    if (info.resource === 'selfsubjectrulesreviews') {
      const rules = authz.rulesFor(user);
      const namespace = spec.namespace as string | undefined;
      const applicable = rules === undefined
        ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]
        : rules.filter((r) => r.resources && (!r.namespaces || (namespace !== undefined && r.namespaces.includes(namespace))))
          .map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) }));
      const nonResource = rules === undefined
        ? [{ verbs: ['*'], nonResourceURLs: ['*'] }]
        : [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] }, ...rules.filter((r) => r.nonResourceURLs).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }))];
      sendJson(res, 201, {
        kind: 'SelfSubjectRulesReview', apiVersion: `authorization.k8s.io/${info.version}`, metadata: { creationTimestamp: null },
        spec, status: { resourceRules: applicable, nonResourceRules: nonResource, incomplete: false },
      });
      return 201;
    }
    throw resourceNotFound();
  }

  // ——— server ———

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const info = requestInfo(req.method ?? 'GET', url);
    let user: UserInfo | undefined;
    let status = 500;
    try {
      user = authenticate(req);
      const publicPath = !info.isResource && ['/version', '/healthz', '/livez', '/readyz'].includes(info.path.replace(/\/+$/, ''));
      if (!user && options.anonymousUser && !req.headers.authorization) {
        user = impersonate(req, { name: options.anonymousUser.name, groups: [...(options.anonymousUser.groups ?? []), 'system:authenticated'] });
      } else if (!user) {
        if (!publicPath || req.headers.authorization) throw unauthorized();
        user = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
      } else {
        user = impersonate(req, user);
      }
      const delayMs = faults.takeDelay({ verb: info.verb, resource: info.resource || undefined, subresource: info.subresource, namespace: info.namespace, name: info.name, user: user.name });
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (!publicPath) authorize(user, info);
      const injected = faultError(info, user);
      if (injected) throw injected;
      status = info.isResource ? await handleResource(req, res, info, url, user) : handleNonResource(req, res, info, address());
    } catch (error) {
      status = sendError(res, error);
    } finally {
      record(info, user, status, req.method ?? 'GET');
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const info = requestInfo('GET', url);
    let user: UserInfo | undefined;
    const reject = (error: unknown) => {
      if (error instanceof PlainTextError) {
        socket.end(`HTTP/1.1 ${error.code} ${statusText(error.code)}\r\nContent-Type: text/plain; charset=utf-8\r\n${error.retryAfterSeconds !== undefined ? `Retry-After: ${error.retryAfterSeconds}\r\n` : ''}Content-Length: ${Buffer.byteLength(error.message) + 1}\r\nConnection: close\r\n\r\n${error.message}\n`);
        record(info, user, error.code, 'GET');
        return;
      }
      const statusError = error instanceof StatusError ? error : internalError(String(error));
      const text = JSON.stringify(statusError.status);
      socket.end(`HTTP/1.1 ${statusError.code} ${statusText(statusError.code)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
      record(info, user, statusError.code, 'GET');
    };
    try {
      user = authenticate(req);
      if (!user && options.anonymousUser && !req.headers.authorization) user = { name: options.anonymousUser.name, groups: [...(options.anonymousUser.groups ?? []), 'system:authenticated'] };
      if (!user) throw unauthorized();
      user = impersonate(req, user);
      if (info.subresource !== 'portforward' || info.resource !== 'pods' || info.group !== '') {
        authorize(user, info);
        throw badRequest('upgrade requests are only served for pods/portforward');
      }
      authorize(user, info);
      const injected = faultError(info, user);
      if (injected) throw injected;
      const pod = store.get({ apiVersion: 'v1', kind: 'Pod' }, info.namespace, info.name!);
      if (!pod) throw notFound({ group: '', resource: 'pods' }, info.name!);
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (!spec.nodeName) throw badRequest(`pod ${info.name} does not have a host assigned`);
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase !== 'Running') {
        // The kubelet finds no running pod sandbox and answers through the API server's proxy as streaming.WriteError does.
        throw new PlainTextError(500, `pod not found ("${info.name}_${info.namespace}")`);
      }
      const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
      if (upgrade === 'spdy/3.1') {
        // kubectl port-forward (classic SPDY upgrade; the ports come with each stream).
        const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
        if (offered.length > 0 && !offered.includes('portforward.k8s.io')) {
          throw new PlainTextError(403, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ["portforward.k8s.io"]`);
        }
        record(info, user, 101, req.method ?? 'POST');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nDate: ${new Date().toUTCString()}\r\n\r\n`);
        let stop = () => {};
        stop = serveSpdyPortForward(socket, head, { namespace: info.namespace!, pod: info.name!, podUid: pod.metadata.uid! }, {
          resolver, faults, history, onClose: () => spdyConnections.delete(stop),
        });
        spdyConnections.add(stop);
        return;
      }
      const offeredProtocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offeredProtocols.some((p) => portForwardProtocols.includes(p))) {
        // Not a channel protocol we serve (e.g. kubectl's SPDY-over-WebSocket tunnelling): a failed upgrade makes
        // kubectl fall back to the SPDY upgrade above, as with API servers without the tunnelling feature.
        throw badRequest(`unable to upgrade: no supported WebSocket subprotocol in ${JSON.stringify(offeredProtocols)}, server supports ${JSON.stringify(portForwardProtocols)}`);
      }
      let ports: number[];
      try {
        ports = parsePorts(url);
      } catch (error) {
        throw badRequest((error as Error).message);
      }
      record(info, user, 101, 'GET');
      portForward.accept(req, socket, head, { namespace: info.namespace!, pod: info.name!, podUid: pod.metadata.uid!, ports });
    } catch (error) {
      reject(error);
    }
  };

  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => void onRequest(req, res))
    : createHttpServer((req, res) => void onRequest(req, res));
  server.on('upgrade', onUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = () => {
    const a = server.address() as AddressInfo;
    return `127.0.0.1:${a.port}`;
  };
  const url = `${tls ? 'https' : 'http'}://${address()}`;

  return {
    url,
    ca: tls?.ca,
    store,
    authz,
    faults,
    adminToken,
    issueClientCert(user, groups = []) {
      if (!tls?.caKey) throw new Error('issueClientCert needs an HTTPS server whose CA key is known (tls: true or tls.caKey)');
      if (groups.length > 1) throw new Error('one group per client certificate is supported (a single O in the subject)');
      const issued = issueCert({ ca: { cert: tls.ca, key: tls.caKey }, commonName: user, client: true, organization: groups[0] });
      return { cert: issued.cert, key: issued.key };
    },
    addToken(token, user) {
      tokens.set(token, { name: user.name, groups: [...(user.groups ?? []), 'system:authenticated'] });
    },
    removeToken(token) {
      tokens.delete(token);
    },
    setPortForwardResolver(next) {
      resolver = next;
    },
    endWatches() {
      const open = [...openWatches];
      for (const finish of open) finish();
      return open.length;
    },
    writeKubeconfig(path, kubeconfigOptions = {}) {
      const token = kubeconfigOptions.clientCert && kubeconfigOptions.token === undefined ? undefined : adminToken;
      writeKubeconfig(path, { server: url, ca: tls?.ca, token, ...kubeconfigOptions });
    },
    async close() {
      for (const finish of [...openWatches]) finish();
      for (const stop of [...spdyConnections]) stop();
      portForward.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An error answered as plain text, as some kube-apiserver filters do (`http.Error`). */
class PlainTextError extends Error {
  readonly code: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: number, message: string, retryAfterSeconds?: number) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Reads a simple JSONPath (`.spec.replicas`). */
function readPath(object: unknown, path: string): unknown {
  let at: unknown = object;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** Writes a simple JSONPath, creating objects on the way. */
function writePath(object: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let at = object;
  for (const part of parts.slice(0, -1)) {
    if (at[part] === null || typeof at[part] !== 'object') at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1)!] = value;
}

function statusText(code: number): string {
  return ({ 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' } as Record<number, string>)[code] ?? 'Error';
}
