/**
 * `npm run sandbox -- [--topology v1|v2|tikv-operator|statefulset] [--stores N] [--pd-version V] [--time-scale X]
 * [--kubeconfig PATH] …`: the whole simulated cluster in the foreground, for a person (or an end-to-end test) to use
 * with kubectl and the plugin. Writes the kubeconfig (its current context's namespace holds the cluster) and
 * `PATH.json` beside it ({topology, namespace, clusterName, tikvPods, pdUrl, apiServer, …}; `pdUrl` is rewritten
 * when the PD leader changes), prints how to use it and then a line `ready`. SIGINT/SIGTERM stop it cleanly and
 * remove both files.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TOPOLOGIES, type Topology } from '../../src/core/model.ts';
import { startSimCluster, type SimCluster } from './cluster.ts';

const CONTEXT = 'kubectl-tikv-sandbox';

const USAGE = `Usage: npm run sandbox -- [options]

Starts a simulated Kubernetes cluster running TiKV (nothing real: a fake API server, kubelet, operators, PD and
TiKV in this process) and keeps it running until Ctrl+C.

Options:
  --topology T          v1 | v2 | tikv-operator | statefulset (or tidb-operator-v1, tidb-operator-v2); default v1
  --stores N            TiKV stores (default 3)
  --pd-replicas N       PD members, 1..3 (default 1)
  --pd-version V        PD version (default v8.5.0)
  --tikv-version V      TiKV version (default v8.5.0)
  --time-scale X        simulated delays × X: 1 is real pace (default), 0.1 ten times faster
  --kubeconfig PATH     where to write the kubeconfig (default .sandbox/kubeconfig); PATH.json is written beside it
  --namespace NS        default tidb
  --cluster-name NAME   default basic
  --tls                 PD and TiKV speak mutual TLS (client secret <cluster>-cluster-client-secret)
  --operator-version V  tidb-operator v2 release to play: 2.1 (default) or 2.0
  --update-strategy S   RollingUpdate (default) or OnDelete (v1 and statefulset)
  --regions-per-store N default 60
  -h, --help            this text
`;

/** The sandbox's options, parsed from argv. */
export interface SandboxOptions {
  topology: Topology;
  stores: number;
  pdReplicas: number;
  pdVersion: string;
  tikvVersion: string;
  timeScale: number;
  kubeconfig: string;
  namespace: string;
  clusterName: string;
  tls: boolean;
  operatorVersion: '2.0' | '2.1';
  updateStrategy: 'RollingUpdate' | 'OnDelete';
  regionsPerStore: number;
}

/** What the sandbox writes to `<kubeconfig>.json` for scripts and tests. */
export interface SandboxState {
  topology: Topology;
  namespace: string;
  clusterName: string;
  tikvPods: string[];
  pdPods: string[];
  /** Direct loopback URL of the PD leader (no port-forward needed). */
  pdUrl: string | undefined;
  /** The simulated API server. */
  apiServer: string;
  kubeconfig: string;
  timeScale: number;
  /** With --tls: what a PD client needs (PEM). */
  pdTls?: { ca: string; cert: string; key: string };
  pid: number;
}

/** Parses the command line; throws an Error with a usage message on bad input. */
export function parseSandboxArgs(argv: string[]): SandboxOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      topology: { type: 'string', default: 'v1' },
      stores: { type: 'string', default: '3' },
      'pd-replicas': { type: 'string', default: '1' },
      'pd-version': { type: 'string', default: 'v8.5.0' },
      'tikv-version': { type: 'string', default: 'v8.5.0' },
      'time-scale': { type: 'string', default: '1' },
      kubeconfig: { type: 'string', default: '.sandbox/kubeconfig' },
      namespace: { type: 'string', default: 'tidb' },
      'cluster-name': { type: 'string', default: 'basic' },
      tls: { type: 'boolean', default: false },
      'operator-version': { type: 'string', default: '2.1' },
      'update-strategy': { type: 'string', default: 'RollingUpdate' },
      'regions-per-store': { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const aliases: Record<string, Topology> = { v1: 'tidb-operator-v1', v2: 'tidb-operator-v2' };
  const topology = aliases[values.topology] ?? values.topology;
  if (!(TOPOLOGIES as readonly string[]).includes(topology)) throw new Error(`unknown topology "${values.topology}": use v1, v2, tikv-operator or statefulset`);
  const integer = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
    return n;
  };
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0) || timeScale > 100) throw new Error(`--time-scale must be a number > 0 (1 = real pace), got "${values['time-scale']}"`);
  if (values['operator-version'] !== '2.0' && values['operator-version'] !== '2.1') throw new Error(`--operator-version must be 2.0 or 2.1`);
  if (values['update-strategy'] !== 'RollingUpdate' && values['update-strategy'] !== 'OnDelete') throw new Error(`--update-strategy must be RollingUpdate or OnDelete`);
  for (const version of [values['pd-version'], values['tikv-version']]) {
    if (!/^v?\d+\.\d+\.\d+/.test(version)) throw new Error(`not a version: "${version}" (e.g. v8.5.0)`);
  }
  return {
    topology: topology as Topology,
    stores: integer('stores', values.stores, 1, 20),
    pdReplicas: integer('pd-replicas', values['pd-replicas'], 1, 3),
    pdVersion: values['pd-version'],
    tikvVersion: values['tikv-version'],
    timeScale,
    kubeconfig: resolve(values.kubeconfig),
    namespace: values.namespace,
    clusterName: values['cluster-name'],
    tls: values.tls,
    operatorVersion: values['operator-version'],
    updateStrategy: values['update-strategy'],
    regionsPerStore: integer('regions-per-store', values['regions-per-store'], 1, 100_000),
  };
}

function sandboxState(sim: SimCluster, options: SandboxOptions): SandboxState {
  return {
    topology: sim.topology,
    namespace: sim.namespace,
    clusterName: sim.clusterName,
    tikvPods: sim.tikvPodNames(),
    pdPods: sim.pdPodNames(),
    pdUrl: sim.pdDirectUrl,
    apiServer: sim.url,
    kubeconfig: options.kubeconfig,
    timeScale: options.timeScale,
    ...(sim.tls ? { pdTls: { ca: sim.tls.ca, cert: sim.tls.clientCert, key: sim.tls.clientKey } } : {}),
    pid: process.pid,
  };
}

/** Writes a file atomically (readers never see half of it). */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

function kindsToTry(topology: Topology): string {
  switch (topology) {
    case 'tidb-operator-v1':
      return 'kubectl get tc';
    case 'tidb-operator-v2':
      return 'kubectl get kvg,tikv';
    case 'tikv-operator':
      return 'kubectl get tikvgroups,tikv';
    case 'statefulset':
      return 'kubectl get sts';
  }
}

async function main(): Promise<number> {
  let options: SandboxOptions | 'help';
  try {
    options = parseSandboxArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`sandbox: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const statePath = `${options.kubeconfig}.json`;
  if (existsSync(options.kubeconfig) && !readFileSync(options.kubeconfig, 'utf8').includes(CONTEXT)) {
    process.stderr.write(`sandbox: ${options.kubeconfig} exists and is not a sandbox kubeconfig; not overwriting it. Choose another --kubeconfig.\n`);
    return 2;
  }

  let sim: SimCluster | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      process.stderr.write(`sandbox: ${signal}, stopping\n`);
      await sim?.stop();
      rmSync(statePath, { force: true });
      rmSync(options.kubeconfig, { force: true });
    })();
    return stopping;
  };
  const stopped = new Promise<string>((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal('SIGINT'));
    process.once('SIGTERM', () => resolveSignal('SIGTERM'));
  });

  process.stderr.write(`sandbox: starting ${options.topology} with ${options.stores} stores at time scale ${options.timeScale}…\n`);
  const starting = startSimCluster({
    topology: options.topology,
    stores: options.stores,
    pdReplicas: options.pdReplicas,
    pdVersion: options.pdVersion,
    tikvVersion: options.tikvVersion,
    timeScale: options.timeScale,
    namespace: options.namespace,
    clusterName: options.clusterName,
    tls: options.tls,
    operatorVersion: options.operatorVersion,
    updateStrategy: options.updateStrategy,
    regionsPerStore: options.regionsPerStore,
    // At real pace a cluster takes simulated minutes to settle (v2 polls PD every 30 s).
    settleTimeoutMs: Math.max(60_000, 600_000 * options.timeScale),
  });
  const first = await Promise.race([starting.then(() => 'started' as const), stopped]);
  if (first !== 'started') {
    // Interrupted while starting: let the start finish or fail, then clean up.
    sim = await starting.catch(() => undefined);
    await stop(first);
    return 130;
  }
  try {
    sim = await starting;
  } catch (error) {
    process.stderr.write(`sandbox: the simulated cluster did not start: ${(error as Error).message}\n`);
    return 1;
  }

  sim.writeKubeconfig(options.kubeconfig, { context: CONTEXT });
  const writeState = () => writeAtomically(statePath, `${JSON.stringify(sandboxState(sim!, options), null, 2)}\n`);
  writeState();
  // Keep pdUrl pointing at the PD leader.
  const unsubscribe = sim.history.subscribe((entry) => {
    if (entry.source === 'pd' && entry.type === 'pd-leader' && !stopping) writeState();
  });

  const out = process.stdout;
  out.write(`kubectl-tikv sandbox: ${sim.topology}, cluster ${sim.clusterName} in namespace ${sim.namespace}, ${options.stores} TiKV stores, time scale ${options.timeScale}\n`);
  out.write(`  export KUBECONFIG=${options.kubeconfig}\n`);
  out.write(`  kubectl get pods\n  ${kindsToTry(sim.topology)}\n  kubectl tikv status\n`);
  out.write(`  PD leader (direct): ${sim.pdDirectUrl ?? '(none)'}; state in ${statePath}\n`);
  out.write('Ctrl+C stops it.\nready\n');

  const signal = await stopped;
  unsubscribe();
  await stop(signal);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/sandbox.ts')) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`sandbox: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
