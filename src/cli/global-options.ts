import type { Topology } from '../core/model.ts';
import { TOPOLOGIES } from '../core/model.ts';
import { UsageError } from '../errors.ts';
import type { ClusterSelection } from '../kube/cluster-selection.ts';
import type { KubeconfigFlags } from '../kube/kubeconfig.ts';
import type { StepOptions } from '../services/step-options.ts';
import { parseDuration } from './duration.ts';

/** Output formats of `-o`. */
export type OutputFormat = 'json' | 'yaml' | 'wide';

/** The global flags, parsed and validated: what commands hand to kube/, services and ui/. */
export interface GlobalOptions {
  kubeconfig: KubeconfigFlags;
  selection: ClusterSelection;
  output?: OutputFormat;
  verbose: boolean;
  /** False with `--no-color` or `NO_COLOR`; streams that are not terminals get no colour either way. */
  colorAllowed: boolean;
  pollIntervalMs: number;
  /** `--pd-insecure-skip-tls-verify`: PD's and TiKV's certificates are not verified (a warning says so). */
  pdInsecureSkipTlsVerify?: boolean;
}

/** Parsed oclif flags of `globalFlags` (durations still strings). */
export interface RawGlobalFlags {
  kubeconfig?: string;
  context?: string;
  'kube-cluster'?: string;
  user?: string;
  namespace?: string;
  as?: string;
  'as-group'?: string[];
  'request-timeout'?: string;
  server?: string;
  token?: string;
  'insecure-skip-tls-verify'?: boolean;
  cluster?: string;
  topology?: string;
  selector?: string;
  'pd-service'?: string;
  'pd-url'?: string;
  'pd-insecure-skip-tls-verify'?: boolean;
  output?: string;
  verbose?: boolean;
  'no-color'?: boolean;
  'poll-interval'?: string;
}

/** Parsed oclif flags of `operationFlags`. */
export interface RawOperationFlags {
  yes?: boolean;
  'evict-timeout'?: string;
  'on-evict-timeout'?: string;
  'ready-timeout'?: string;
  'leader-return-timeout'?: string;
  'skip-leader-return'?: boolean;
  force?: boolean;
}

// Twice a second: a condition is seen within half a second (reaction ≤ 1 s even with a slow PD answer), at ~6 small PD
// requests a second while waiting — nothing to a PD. TiUP polls every 2 s, tidb-operator every 15–30 s.
export const DEFAULT_POLL_INTERVAL_MS = 500;

/** Validates the global flags; throws a UsageError (exit 2) naming the flag before anything touches the cluster. */
export function resolveGlobalOptions(flags: RawGlobalFlags, env: Readonly<Record<string, string | undefined>>): GlobalOptions {
  const requestTimeoutMs =
    flags['request-timeout'] === undefined ? undefined : parseDuration(flags['request-timeout'], 'request-timeout', { bareNumberUnit: 's' });
  const pollIntervalMs = flags['poll-interval'] === undefined ? DEFAULT_POLL_INTERVAL_MS : parseDuration(flags['poll-interval'], 'poll-interval');
  if (pollIntervalMs <= 0) throw new UsageError('--poll-interval must be greater than 0');
  if (flags['pd-url'] !== undefined) validatePdUrl(flags['pd-url']);
  if (flags['pd-url'] !== undefined && flags['pd-service'] !== undefined) {
    throw new UsageError('--pd-url and --pd-service cannot be used together', {
      suggestions: ['--pd-url reaches PD directly; --pd-service port-forwards to a service. Pick one.'],
    });
  }
  if (flags.server !== undefined && flags.server.trim() === '') throw new UsageError('-s/--server needs an address, e.g. https://HOST:6443');
  if (flags.selector !== undefined && flags.selector.trim() === '') throw new UsageError('--selector needs a label selector, e.g. app.kubernetes.io/component=tikv');
  for (const [flag, value] of [['cluster', flags.cluster], ['pd-service', flags['pd-service']]] as const) {
    if (value !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
      throw new UsageError(`invalid --${flag} "${value}": Kubernetes names are lowercase letters, digits, '-' and '.'`);
    }
  }
  const topology = flags.topology as Topology | undefined;
  if (topology !== undefined && !TOPOLOGIES.includes(topology)) {
    throw new UsageError(`unknown topology "${flags.topology}"`, { suggestions: [`Use one of: ${TOPOLOGIES.join(', ')}.`] });
  }
  return {
    kubeconfig: {
      kubeconfig: flags.kubeconfig,
      context: flags.context,
      kubeCluster: flags['kube-cluster'],
      user: flags.user,
      namespace: flags.namespace,
      as: flags.as,
      asGroups: flags['as-group'],
      requestTimeoutMs,
      server: flags.server,
      token: flags.token,
      insecureSkipTlsVerify: flags['insecure-skip-tls-verify'] || undefined,
    },
    selection: {
      clusterName: flags.cluster,
      topology,
      selector: flags.selector,
      pdService: flags['pd-service'],
      pdUrl: flags['pd-url'],
    },
    output: flags.output as OutputFormat | undefined,
    verbose: flags.verbose ?? false,
    colorAllowed: !flags['no-color'] && !env.NO_COLOR,
    pollIntervalMs,
    pdInsecureSkipTlsVerify: flags['pd-insecure-skip-tls-verify'] ?? false,
  };
}

/** Validates the safety knobs of evict/restart/upgrade. */
export function resolveStepOptions(flags: RawOperationFlags, pollIntervalMs: number): StepOptions {
  const evictTimeoutMs = parseDuration(flags['evict-timeout'] ?? '10m', 'evict-timeout');
  const readyTimeoutMs = parseDuration(flags['ready-timeout'] ?? '10m', 'ready-timeout');
  const leaderReturnTimeoutMs = parseDuration(flags['leader-return-timeout'] ?? '5m', 'leader-return-timeout');
  for (const [flag, value] of [
    ['evict-timeout', evictTimeoutMs],
    ['ready-timeout', readyTimeoutMs],
  ] as const) {
    if (value <= 0) throw new UsageError(`--${flag} must be greater than 0`, { suggestions: [`For example --${flag}=10m.`] });
  }
  const onEvictTimeout = flags['on-evict-timeout'] ?? 'abort';
  if (onEvictTimeout !== 'abort' && onEvictTimeout !== 'restart') {
    throw new UsageError(`--on-evict-timeout must be abort or restart, not "${onEvictTimeout}"`);
  }
  return {
    yes: flags.yes ?? false,
    evictTimeoutMs,
    onEvictTimeout,
    readyTimeoutMs,
    leaderReturnTimeoutMs,
    skipLeaderReturn: flags['skip-leader-return'] ?? false,
    force: flags.force ?? false,
    pollIntervalMs,
  };
}

function validatePdUrl(value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(`invalid --pd-url "${value}": expected http(s)://HOST:PORT`, {
      suggestions: ['For example --pd-url http://127.0.0.1:2379.'],
    });
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new UsageError(`invalid --pd-url "${value}": give PD's address without a path`, { suggestions: [`Use --pd-url ${url.origin}.`] });
  }
}
