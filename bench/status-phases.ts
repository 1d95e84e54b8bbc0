import { runCli, type CliInstall } from './cli.ts';
import type { SimProcess } from './sim-process.ts';
import type { HistoryEntry } from '../test/sim/history.ts';
import { spread, type Spread } from './summary.ts';

/** Where one `kubectl-tikv status` run spends its wall time, read from the simulator's History. */
export interface StatusRunPhases {
  /** Process start → its first Kubernetes API request (Node, the bundle, kubeconfig, the client). */
  startUpMs: number;
  /** First API request → first port-forward to PD (discovery, topology detection, PD's service). */
  detectionMs: number;
  /** First PD port-forward → last PD answer (tunnels and PD's reads). */
  pdMs: number;
  /** Last PD answer → last TiKV /metrics answer (one port-forward per TiKV pod). */
  tikvMs: number;
  /** Last answer → process exit (rendering, closing tunnels). */
  exitMs: number;
  totalMs: number;
  requests: { kube: number; pd: number; tikv: number; portForwards: number };
}

/** Medians over several runs. */
export interface StatusPhases {
  runs: number;
  stores: number;
  phases: Record<Exclude<keyof StatusRunPhases, 'requests'>, Spread>;
  requests: StatusRunPhases['requests'];
}

/** Splits one status run at its first API request, first PD port-forward, last PD and last TiKV answer. */
export function statusRunPhases(entries: readonly HistoryEntry[], startAt: number, endAt: number, kubeUser: string): StatusRunPhases {
  const kube = entries.filter((e) => e.source === 'kube' && e.type === 'kube-request' && e.data.user === kubeUser && e.at >= startAt && e.at <= endAt);
  const pd = entries.filter((e) => e.source === 'pd' && e.type === 'pd-request' && !e.data.redirectedFrom && e.at >= startAt && e.at <= endAt);
  const tikv = entries.filter((e) => e.source === 'tikv' && e.type === 'tikv-request' && e.at >= startAt && e.at <= endAt);
  const forwards = kube.filter((e) => e.data.subresource === 'portforward');
  const pdForwards = forwards.filter((e) => !tikv.some((t) => t.data.podName === e.data.name));
  if (kube.length === 0 || pd.length === 0 || pdForwards.length === 0) throw new Error('status made no Kubernetes, PD or port-forward request');
  const firstApi = kube[0].at;
  const firstPdForward = pdForwards[0].at;
  const lastPd = pd[pd.length - 1].at;
  const lastTikv = tikv.length ? Math.max(lastPd, tikv[tikv.length - 1].at) : lastPd;
  return {
    startUpMs: firstApi - startAt,
    detectionMs: firstPdForward - firstApi,
    pdMs: lastPd - firstPdForward,
    tikvMs: lastTikv - lastPd,
    exitMs: endAt - lastTikv,
    totalMs: endAt - startAt,
    requests: { kube: kube.length, pd: pd.length, tikv: tikv.length, portForwards: forwards.length },
  };
}

/** Runs `kubectl-tikv status` `runs` times against the cluster and reads each run's phases back. */
export async function measureStatusPhases(sim: SimProcess, install: CliInstall, stores: number, runs: number): Promise<StatusPhases> {
  const all: StatusRunPhases[] = [];
  for (let i = 0; i < runs; i++) {
    await sim.mark();
    const startAt = Date.now();
    const run = await runCli(install, ['status'], { kubeconfig: sim.kubeconfig, timeoutMs: 60_000 });
    const endAt = Date.now();
    if (run.code !== 0) throw new Error(`kubectl-tikv status exited ${run.code ?? run.signal}: ${run.stderr}`);
    all.push(statusRunPhases(await sim.history(), startAt, endAt, 'admin'));
  }
  const of = (key: Exclude<keyof StatusRunPhases, 'requests'>) => spread(all.map((p) => p[key]));
  return {
    runs,
    stores,
    phases: { startUpMs: of('startUpMs'), detectionMs: of('detectionMs'), pdMs: of('pdMs'), tikvMs: of('tikvMs'), exitMs: of('exitMs'), totalMs: of('totalMs') },
    requests: all[all.length - 1].requests,
  };
}
