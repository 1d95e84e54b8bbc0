import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.ts';

/**
 * Kubeconfig resolution as kubectl does it (client-go's clientcmd loading rules), without @kubernetes/client-node:
 * client-node's `loadFromDefault()` throws on names repeated across KUBECONFIG files, lets a later file's
 * current-context win and silently falls back to http://localhost:8080 when nothing is configured. The result is a
 * plain description of one cluster, one user and one namespace; `client-node-config.ts` turns it into a client.
 */

/** The kubectl flags that select and override kubeconfig entries (stack.md). */
export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
  /** kubectl's `--cluster`, spelled `--kube-cluster` here because `--cluster` names the TiKV cluster. */
  kubeCluster?: string;
  user?: string;
  namespace?: string;
  as?: string;
  asGroups?: string[];
  /** Per-request timeout for non-watch requests; 0 = none. */
  requestTimeoutMs?: number;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

/** What resolution reads from the process: the environment, the home directory and the service-account mount. */
export interface KubeconfigEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  /** Defaults to `$HOME` (then the OS's home directory). */
  homeDir?: string;
  /** Defaults to `/var/run/secrets/kubernetes.io/serviceaccount`. */
  serviceAccountDir?: string;
}

/** A kubeconfig map entry's body (`cluster:` / `user:` / `context:`), kubeconfig field names, file paths absolute. */
export type KubeconfigEntry = Record<string, unknown>;

/** One cluster + user + namespace, resolved and validated. */
export interface ResolvedKubeconfig {
  /** Where the configuration came from, for messages: a file list, `--kubeconfig x`, `in-cluster`, `flags`. */
  source: string;
  /** The context in use; empty when only flags (`--server`) configure the client. */
  contextName: string;
  clusterName: string;
  userName: string;
  namespace: string;
  /** True when `-n` chose the namespace. */
  namespaceFromFlag: boolean;
  /** API server URL, with a scheme. */
  server: string;
  /** kubeconfig `cluster:` body after overrides (server, certificate-authority(-data), insecure-skip-tls-verify …). */
  cluster: KubeconfigEntry;
  /** kubeconfig `user:` body after overrides (token, client-certificate, exec …). */
  user: KubeconfigEntry;
  impersonate: { user?: string; groups: string[] };
  /** 0 = no timeout. */
  requestTimeoutMs: number;
  /** Every context name the kubeconfig knows, for messages. */
  knownContexts: string[];
}

/** kubectl's default request timeout is none; a maintenance tool should not hang on a silent API server. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface NamedEntries {
  /** Name → entry body, in first-seen order. */
  entries: Map<string, KubeconfigEntry>;
}

interface MergedKubeconfig {
  clusters: NamedEntries['entries'];
  users: NamedEntries['entries'];
  contexts: NamedEntries['entries'];
  currentContext?: string;
  files: string[];
}

/** Resolves the kubeconfig the way kubectl would for the same flags and environment. */
export function resolveKubeconfig(flags: KubeconfigFlags, environment: KubeconfigEnvironment): ResolvedKubeconfig {
  const env = environment.env;
  const home = environment.homeDir ?? (env.HOME || homedir());
  const { files, source, explicit } = kubeconfigFiles(flags, env, home);
  const merged = mergeKubeconfigFiles(files);
  const knownContexts = [...merged.contexts.keys()];

  const isEmpty = merged.contexts.size === 0 && merged.clusters.size === 0 && merged.users.size === 0;
  if (isEmpty && !explicit && !flags.server) {
    const inCluster = inClusterConfig(env, environment.serviceAccountDir ?? DEFAULT_SERVICE_ACCOUNT_DIR);
    if (inCluster) return finish(inCluster, flags, [], env);
    throw noKubeconfigError(env, home, files);
  }

  const contextName = flags.context ?? merged.currentContext ?? '';
  let context: KubeconfigEntry = {};
  if (contextName !== '') {
    const found = merged.contexts.get(contextName);
    if (!found) {
      const from = flags.context !== undefined ? '' : ' (the current-context)';
      throw new UsageError(`context "${contextName}"${from} does not exist in the kubeconfig (${source})`, {
        suggestions: [
          knownContexts.length > 0 ? `Known contexts: ${knownContexts.join(', ')}.` : 'The kubeconfig defines no contexts.',
          "Choose one with --context NAME, or run 'kubectl config get-contexts'.",
        ],
      });
    }
    context = found;
  } else if (flags.server === undefined && flags.kubeCluster === undefined) {
    throw new UsageError(`the kubeconfig (${source}) has no current context`, {
      suggestions: [
        knownContexts.length > 0 ? `Choose one with --context NAME (known: ${knownContexts.join(', ')}).` : 'The kubeconfig defines no contexts.',
        "Or set one with 'kubectl config use-context NAME'.",
      ],
    });
  }

  const clusterName = flags.kubeCluster ?? stringField(context, 'cluster') ?? '';
  let cluster: KubeconfigEntry = {};
  if (clusterName !== '') {
    const found = merged.clusters.get(clusterName);
    if (!found) {
      const owner = flags.kubeCluster !== undefined ? 'given with --kube-cluster' : `of context "${contextName}"`;
      throw new UsageError(`cluster "${clusterName}" (${owner}) does not exist in the kubeconfig (${source})`, {
        suggestions: [`Known clusters: ${[...merged.clusters.keys()].join(', ') || 'none'}.`],
      });
    }
    cluster = found;
  }

  const userName = flags.user ?? stringField(context, 'user') ?? '';
  let user: KubeconfigEntry = {};
  if (userName !== '') {
    const found = merged.users.get(userName);
    if (!found) {
      const owner = flags.user !== undefined ? 'given with --user' : `of context "${contextName}"`;
      throw new UsageError(`user "${userName}" (${owner}) does not exist in the kubeconfig (${source})`, {
        suggestions: [`Known users: ${[...merged.users.keys()].join(', ') || 'none'}.`],
      });
    }
    user = found;
  }

  return finish(
    { source, contextName, clusterName, userName, cluster, user, contextNamespace: stringField(context, 'namespace') },
    flags,
    knownContexts,
    env,
  );
}

interface Selected {
  source: string;
  contextName: string;
  clusterName: string;
  userName: string;
  cluster: KubeconfigEntry;
  user: KubeconfigEntry;
  contextNamespace?: string;
}

/** Applies the override flags (clientcmd's precedence) and validates what a client needs. */
function finish(selected: Selected, flags: KubeconfigFlags, knownContexts: string[], env: Readonly<Record<string, string | undefined>>): ResolvedKubeconfig {
  const cluster: KubeconfigEntry = { ...selected.cluster };
  const user: KubeconfigEntry = { ...selected.user };

  if (flags.server !== undefined) {
    cluster.server = flags.server;
    // As kubectl: overriding the server also drops the kubeconfig's tls-server-name, which named the old server.
    delete cluster['tls-server-name'];
  }
  if (flags.insecureSkipTlsVerify) {
    // As kubectl: --insecure-skip-tls-verify clears the CA instead of failing on "CA and insecure both set".
    cluster['insecure-skip-tls-verify'] = true;
    delete cluster['certificate-authority'];
    delete cluster['certificate-authority-data'];
  }
  if (flags.token !== undefined) {
    // An explicit bearer token wins over every other credential source except client certificates (mTLS).
    user.token = flags.token;
    for (const key of ['tokenFile', 'exec', 'auth-provider', 'username', 'password']) delete user[key];
  }

  const rawServer = stringField(cluster, 'server') ?? '';
  if (rawServer === '') {
    const where = selected.clusterName ? `cluster "${selected.clusterName}"` : 'the configuration';
    throw new UsageError(`${where} has no API server address (${selected.source})`, {
      suggestions: ['Set the server in the kubeconfig, or pass -s/--server https://HOST:PORT.'],
    });
  }
  const server = normaliseServer(rawServer);
  if (cluster['insecure-skip-tls-verify'] === true && (cluster['certificate-authority'] || cluster['certificate-authority-data'])) {
    throw new UsageError(
      `cluster "${selected.clusterName}" sets both a certificate authority and insecure-skip-tls-verify; kubectl refuses that too`,
      { suggestions: ['Remove one of them from the kubeconfig, or pass --insecure-skip-tls-verify to ignore the CA.'] },
    );
  }
  cluster.server = server;
  checkReferencedFiles(selected, cluster, user);
  if (cluster['proxy-url'] === undefined) {
    const proxy = proxyFromEnvironment(server, env);
    if (proxy) cluster['proxy-url'] = proxy;
  }

  const namespace = flags.namespace ?? (selected.contextNamespace || 'default');
  if (!NAMESPACE_PATTERN.test(namespace) || namespace.length > 63) {
    throw new UsageError(`invalid namespace "${namespace}": a namespace is a lowercase RFC 1123 label (a-z, 0-9, '-')`, {
      suggestions: ['Check the -n/--namespace flag or the namespace of the kubeconfig context.'],
    });
  }

  if ((flags.asGroups?.length ?? 0) > 0 && !flags.as) {
    throw new UsageError('--as-group needs --as: Kubernetes impersonates groups only together with a user', {
      suggestions: ['Add --as USER.'],
    });
  }

  return {
    source: selected.source,
    contextName: selected.contextName,
    clusterName: selected.clusterName,
    userName: selected.userName,
    namespace,
    namespaceFromFlag: flags.namespace !== undefined,
    server,
    cluster,
    user,
    impersonate: { user: flags.as, groups: flags.asGroups ?? [] },
    requestTimeoutMs: flags.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    knownContexts,
  };
}

/**
 * The proxy kubectl (Go's ProxyFromEnvironment) would use for the API server: HTTPS_PROXY for https servers,
 * HTTP_PROXY for http ones (upper or lower case), unless NO_PROXY names the host (`*`, a host, a domain and its
 * subdomains, an IP or a CIDR range). Loopback servers are never proxied. Returned as the cluster's `proxy-url`, so
 * that client-node proxies both API requests and port-forward WebSockets.
 */
export function proxyFromEnvironment(server: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || isLoopback(host)) return undefined;
  const pick = (name: string) => env[name] || env[name.toLowerCase()] || undefined;
  const proxy = url.protocol === 'https:' ? pick('HTTPS_PROXY') : pick('HTTP_PROXY');
  if (!proxy) return undefined;
  const noProxy = (pick('NO_PROXY') ?? '').split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '');
  for (const entry of noProxy) {
    if (entry === '*') return undefined;
    const bare = entry.replace(/:\d+$/, '');
    if (bare.includes('/')) {
      if (isIP(host) && inCidr(host, bare)) return undefined;
      continue;
    }
    const domain = bare.replace(/^\*?\./, '');
    if (host === domain || host.endsWith(`.${domain}`)) return undefined;
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

function isLoopback(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (isIP(ip) !== 4 || isIP(base) !== 4 || !(bits >= 0 && bits <= 32)) return false;
  const toNumber = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return (toNumber(ip) & mask) >>> 0 === (toNumber(base) & mask) >>> 0;
}

/** A kubeconfig naming a certificate or token file that is not there fails now, with a message, not at the first request. */
function checkReferencedFiles(selected: Selected, cluster: KubeconfigEntry, user: KubeconfigEntry): void {
  const references: [KubeconfigEntry, string, string][] = [
    [cluster, 'certificate-authority', `cluster "${selected.clusterName}"`],
    [user, 'client-certificate', `user "${selected.userName}"`],
    [user, 'client-key', `user "${selected.userName}"`],
    [user, 'tokenFile', `user "${selected.userName}"`],
  ];
  for (const [entry, key, owner] of references) {
    const file = entry[key];
    if (typeof file === 'string' && file !== '' && !existsSync(file)) {
      throw new UsageError(`the ${key} file "${file}" of ${owner} does not exist (${selected.source})`, {
        suggestions: ["Fix the path in the kubeconfig; 'kubectl config view' shows it."],
      });
    }
  }
}

function kubeconfigFiles(
  flags: KubeconfigFlags,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): { files: string[]; source: string; explicit: boolean } {
  if (flags.kubeconfig !== undefined) {
    const file = path.resolve(expandHome(flags.kubeconfig, home));
    if (!existsSync(file)) {
      throw new UsageError(`the kubeconfig file "${flags.kubeconfig}" given with --kubeconfig does not exist`, {
        suggestions: ['Check the path, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config.'],
      });
    }
    return { files: [file], source: file, explicit: true };
  }
  if (env.KUBECONFIG) {
    const listed = [...new Set(env.KUBECONFIG.split(path.delimiter).filter((f) => f !== '').map((f) => path.resolve(expandHome(f, home))))];
    // As kubectl: files listed in KUBECONFIG that do not exist are skipped.
    return { files: listed.filter((f) => existsSync(f)), source: `KUBECONFIG=${env.KUBECONFIG}`, explicit: false };
  }
  const defaultFile = path.join(home, '.kube', 'config');
  return { files: existsSync(defaultFile) ? [defaultFile] : [], source: defaultFile, explicit: false };
}

/** Merges kubeconfig files by kubectl's rules: the first file to define a name wins, and so does the first current-context. */
export function mergeKubeconfigFiles(files: string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map(), files };
  for (const file of files) {
    const document = readKubeconfigFile(file);
    const dir = path.dirname(file);
    addEntries(merged.clusters, document.clusters, 'cluster', file, (entry) => resolvePaths(entry, dir, ['certificate-authority']));
    addEntries(merged.users, document.users, 'user', file, (entry) => resolveUserPaths(entry, dir));
    addEntries(merged.contexts, document.contexts, 'context', file, (entry) => entry);
    const current = document['current-context'];
    if (merged.currentContext === undefined && typeof current === 'string' && current !== '') merged.currentContext = current;
  }
  return merged;
}

function readKubeconfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the kubeconfig file "${file}": ${(error as Error).message}`, { cause: error });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UsageError(`the kubeconfig file "${file}" is not valid YAML: ${firstLine((error as Error).message)}`, {
      suggestions: ["Check it with 'kubectl config view'."],
      cause: error,
    });
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new UsageError(`the kubeconfig file "${file}" is not a kubeconfig (expected a YAML mapping with clusters, users and contexts)`);
  }
  return document as Record<string, unknown>;
}

function addEntries(
  target: Map<string, KubeconfigEntry>,
  list: unknown,
  key: 'cluster' | 'user' | 'context',
  file: string,
  fix: (entry: KubeconfigEntry) => KubeconfigEntry,
): void {
  if (list === undefined || list === null) return;
  // What to do about any malformation: look at the file as kubectl reads it.
  const suggestions = [`Check it with 'kubectl config view --kubeconfig ${file}': ${key}s is a list of entries, each with a name and a ${key} mapping.`];
  if (!Array.isArray(list)) throw new UsageError(`the kubeconfig file "${file}" is malformed: "${key}s" is not a list`, { suggestions });
  for (const item of list) {
    if (typeof item !== 'object' || item === null) throw new UsageError(`the kubeconfig file "${file}" is malformed: a ${key} entry is not a mapping`, { suggestions });
    const name = (item as Record<string, unknown>).name;
    if (typeof name !== 'string' || name === '') throw new UsageError(`the kubeconfig file "${file}" is malformed: a ${key} entry has no name`, { suggestions });
    if (target.has(name)) continue;
    const body = (item as Record<string, unknown>)[key];
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new UsageError(`the kubeconfig file "${file}" is malformed: ${key} "${name}" is not a mapping`, { suggestions });
    }
    target.set(name, fix({ ...((body as KubeconfigEntry | undefined) ?? {}) }));
  }
}

function resolvePaths(entry: KubeconfigEntry, dir: string, keys: string[]): KubeconfigEntry {
  for (const key of keys) {
    const value = entry[key];
    if (typeof value === 'string' && value !== '' && !path.isAbsolute(value)) entry[key] = path.resolve(dir, value);
  }
  return entry;
}

function resolveUserPaths(entry: KubeconfigEntry, dir: string): KubeconfigEntry {
  resolvePaths(entry, dir, ['client-certificate', 'client-key', 'tokenFile']);
  const exec = entry.exec;
  if (exec && typeof exec === 'object' && !Array.isArray(exec)) {
    const command = (exec as Record<string, unknown>).command;
    // As kubectl: a relative exec command with a path separator is relative to the kubeconfig's directory.
    if (typeof command === 'string' && command.includes('/') && !path.isAbsolute(command)) {
      entry.exec = { ...(exec as Record<string, unknown>), command: path.resolve(dir, command) };
    }
  }
  return entry;
}

function inClusterConfig(env: Readonly<Record<string, string | undefined>>, serviceAccountDir: string): Selected | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(serviceAccountDir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const namespaceFile = path.join(serviceAccountDir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const caFile = path.join(serviceAccountDir, 'ca.crt');
  return {
    source: 'in-cluster service account',
    contextName: '',
    clusterName: 'in-cluster',
    userName: 'service-account',
    cluster: { server: `https://${hostPart}:${port}`, ...(existsSync(caFile) ? { 'certificate-authority': caFile } : {}) },
    user: { tokenFile },
    contextNamespace: namespace || undefined,
  };
}

/** Nothing configures a client: no kubeconfig file, no in-cluster service account, no `--server`. */
export class NoKubeconfigError extends UsageError {
  constructor(message: string, options: { suggestions?: string[] } = {}) {
    super(message, options);
    this.name = 'NoKubeconfigError';
  }
}

function noKubeconfigError(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  files: string[],
): NoKubeconfigError {
  let why: string;
  if (files.length > 0) why = `the kubeconfig (${files.join(', ')}) defines no clusters, users or contexts`;
  else if (env.KUBECONFIG) why = `none of the files in KUBECONFIG exist (${env.KUBECONFIG})`;
  else why = `KUBECONFIG is not set and ${path.join(home, '.kube', 'config')} does not exist`;
  return new NoKubeconfigError(`no kubeconfig found: ${why}`, {
    suggestions: [
      'Point KUBECONFIG or --kubeconfig at the kubeconfig of your cluster, or pass -s/--server and --token.',
      "Check with 'kubectl config view'.",
    ],
  });
}

function normaliseServer(server: string): string {
  // As kubectl: a server without a scheme is https.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new UsageError(`invalid API server address "${server}"`, { suggestions: ['Use https://HOST:PORT.'], cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`invalid API server address "${server}": the scheme must be https or http`);
  }
  return withScheme.replace(/\/+$/, '');
}

function stringField(entry: KubeconfigEntry, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function expandHome(file: string, home: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(home, file.slice(1)) : file;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0];
}
