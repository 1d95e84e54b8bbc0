import { TOPOLOGIES } from '../core/model.ts';
import { COMMANDS } from '../commands/index.ts';
import { globalFlags } from './global-flags.ts';
import { resolveGlobalOptions, type RawGlobalFlags } from './global-options.ts';
import type { KubeOnly } from './cluster-connection.ts';
import type { CliRuntime } from './runtime.ts';

/** Cobra's completion directives, which kubectl (≥ 1.26) reads from `kubectl_complete-tikv`. */
const DIRECTIVE = { default: 0, noSpace: 2, noFileComp: 4 } as const;

/** A flag as completion needs it. */
interface FlagInfo {
  name: string;
  char?: string;
  type: string;
  description?: string;
  hidden?: boolean;
  options?: readonly string[];
}

type CommandClass = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Time allowed to ask the cluster for candidates (pods, namespaces): a slow completion is worse than none. */
const CLUSTER_TIMEOUT_MS = 3_000;

/**
 * Shell completion in Cobra's `__complete` protocol, which kubectl uses for plugins (it runs
 * `kubectl_complete-tikv ARGS… PARTIAL`): one candidate per line (`value<TAB>description`), then `:<directive>`.
 * Commands, flags and fixed flag values come from the CLI's definitions; kubeconfig contexts, clusters and users
 * from the kubeconfig; namespaces and TiKV pods (for `restart` and `evict`) from the cluster, best effort.
 * Never fails: a candidate that cannot be found is not offered.
 */
export async function complete(words: readonly string[], runtime: CliRuntime): Promise<string> {
  const partial = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const { commandId, rawFlags, awaiting } = scan(before);
  const command = commandId ? (COMMANDS as Record<string, CommandClass>)[commandId] : undefined;
  const flags = flagsOf(command);

  let candidates: [string, string?][] = [];
  if (awaiting) {
    candidates = await flagValues(awaiting, rawFlags, runtime);
  } else if (partial.startsWith('-')) {
    const long = partial.startsWith('--');
    for (const flag of flags) {
      if (flag.hidden) continue;
      candidates.push([`--${flag.name}`, flag.description]);
      if (!long && flag.char) candidates.push([`-${flag.char}`, flag.description]);
    }
  } else if (!command) {
    for (const [id, cls] of Object.entries(COMMANDS)) {
      candidates.push([id, cls.summary]);
      for (const alias of cls.aliases ?? []) candidates.push([alias, `alias of ${id}`]);
    }
  } else if (commandId === 'restart' || commandId === 'evict') {
    candidates = (await tikvPodNames(rawFlags, runtime)).map((name) => [name]);
  }
  const lines = candidates
    .filter(([value]) => value.startsWith(partial))
    .map(([value, description]) => (description ? `${value}\t${description.split('\n')[0]}` : value));
  return `${[...lines, `:${DIRECTIVE.noFileComp}`].join('\n')}\n`;
}

/** Walks the complete words: which command, which flag values were given, and whether a flag still wants its value. */
function scan(words: readonly string[]): { commandId?: string; rawFlags: Record<string, string>; awaiting?: FlagInfo } {
  let commandId: string | undefined;
  const rawFlags: Record<string, string> = {};
  const all = allFlags();
  const byLong = new Map(all.map((f) => [f.name, f]));
  const byChar = new Map(all.filter((f) => f.char).map((f) => [f.char as string, f]));
  const names = new Map<string, string>();
  for (const [id, cls] of Object.entries(COMMANDS)) {
    names.set(id, id);
    for (const alias of cls.aliases ?? []) names.set(alias, id);
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    let flag: FlagInfo | undefined;
    let value: string | undefined;
    if (word.startsWith('--')) {
      const [name, ...rest] = word.slice(2).split('=');
      flag = byLong.get(name);
      if (rest.length > 0) value = rest.join('=');
    } else if (word.startsWith('-') && word.length > 1) {
      flag = byChar.get(word[1]);
      if (word.length > 2) value = word.slice(2).replace(/^=/, '');
    } else {
      commandId ??= names.get(word);
      continue;
    }
    if (!flag || flag.type !== 'option') continue;
    if (value === undefined) {
      if (i === words.length - 1) return { commandId, rawFlags, awaiting: flag };
      value = words[++i];
    }
    rawFlags[flag.name] = value;
  }
  return { commandId, rawFlags };
}

function allFlags(): FlagInfo[] {
  const seen = new Map<string, FlagInfo>();
  for (const cls of [undefined, ...Object.values(COMMANDS)]) for (const flag of flagsOf(cls)) seen.set(flag.name, flag);
  return [...seen.values()];
}

function flagsOf(command: CommandClass | undefined): FlagInfo[] {
  const definitions = { ...globalFlags, ...(command?.flags ?? {}) } as Record<string, Omit<FlagInfo, 'name'>>;
  return Object.entries(definitions).map(([name, flag]) => ({ ...flag, name }));
}

async function flagValues(flag: FlagInfo, rawFlags: Record<string, string>, runtime: CliRuntime): Promise<[string, string?][]> {
  if (flag.options) return flag.options.map((value) => [value]);
  if (flag.name === 'topology') return TOPOLOGIES.map((value) => [value]);
  if (flag.name === 'context' || flag.name === 'kube-cluster' || flag.name === 'user') {
    return (await kubeconfigNames(flag.name, rawFlags, runtime)).map((value) => [value]);
  }
  if (flag.name === 'namespace') return (await namespaces(rawFlags, runtime)).map((value) => [value]);
  return [];
}

async function kubeconfigNames(kind: 'context' | 'kube-cluster' | 'user', rawFlags: Record<string, string>, runtime: CliRuntime): Promise<string[]> {
  try {
    const { mergeKubeconfigFiles } = await import('../kube/kubeconfig.ts');
    const { existsSync } = await import('node:fs');
    const path = await import('node:path');
    const { homedir } = await import('node:os');
    const home = runtime.env.HOME || homedir();
    const files = rawFlags.kubeconfig
      ? [rawFlags.kubeconfig]
      : runtime.env.KUBECONFIG
        ? runtime.env.KUBECONFIG.split(path.delimiter).filter((f) => f !== '')
        : [path.join(home, '.kube', 'config')];
    const merged = mergeKubeconfigFiles(files.filter((f) => existsSync(f)));
    const map = kind === 'context' ? merged.contexts : kind === 'kube-cluster' ? merged.clusters : merged.users;
    return [...map.keys()];
  } catch {
    return [];
  }
}

/** Runs `fn` with a Kubernetes client for the flags typed so far, within the completion time budget. */
async function withKube<T>(rawFlags: Record<string, string>, runtime: CliRuntime, fn: (connection: KubeOnly, signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const signal = AbortSignal.any([runtime.signal, AbortSignal.timeout(CLUSTER_TIMEOUT_MS)]);
  let close: (() => Promise<void>) | undefined;
  try {
    const globals = resolveGlobalOptions(rawFlags as RawGlobalFlags, runtime.env);
    globals.kubeconfig.requestTimeoutMs = CLUSTER_TIMEOUT_MS;
    const { openKube } = await import('./cluster-connection.ts');
    const connection = await openKube(globals, runtime.env);
    close = () => connection.kube.close();
    return await fn(connection, signal);
  } catch {
    return undefined;
  } finally {
    await close?.().catch(() => undefined);
  }
}

async function namespaces(rawFlags: Record<string, string>, runtime: CliRuntime): Promise<string[]> {
  const found = await withKube(rawFlags, runtime, async ({ kube }, signal) => {
    const { items } = await kube.list({ apiVersion: 'v1', kind: 'Namespace' }, { signal });
    return items.map((n) => n.metadata.name);
  });
  return found ?? [];
}

async function tikvPodNames(rawFlags: Record<string, string>, runtime: CliRuntime): Promise<string[]> {
  const found = await withKube(rawFlags, runtime, async ({ kube }, signal) => {
    const [{ detectCluster }, { listTikvPods }] = await Promise.all([import('../kube/topology-detect.ts'), import('../kube/tikv-pods.ts')]);
    const globals = resolveGlobalOptions(rawFlags as RawGlobalFlags, runtime.env);
    const cluster = await detectCluster(kube, globals.selection, { signal });
    return (await listTikvPods(kube, cluster, { signal })).map((pod) => pod.name);
  });
  return found ?? [];
}
