import { History } from '../history.ts';
import { SimClock } from '../sim-clock.ts';
import type { SimProcess } from '../process.ts';
import type { TikvProcess } from '../tikv/tikv-process.ts';
import { PdCluster, type PdClusterOptions } from './pd-cluster.ts';

/** What `startPdCluster` starts: PD members and TiKVs without Kubernetes, for tests of PD/TiKV behaviour. */
export interface StartPdClusterOptions extends Partial<Omit<PdClusterOptions, 'clock' | 'history'>> {
  /** Default 0.01 (a hundred times faster than real). */
  timeScale?: number;
  /** PD members (default 1). */
  pdMembers?: number;
  /** TiKV stores (default 3). */
  stores?: number;
  /** TiKV image tag (default `v8.5.0`). */
  tikvVersion?: string;
  namespace?: string;
  clusterName?: string;
  /** Wait until `isSettled()` before returning (default true). */
  waitSettled?: boolean;
  clock?: SimClock;
  history?: History;
}

/** A running PD + TiKV simulation and its handles. */
export interface RunningPdCluster {
  pd: PdCluster;
  clock: SimClock;
  history: History;
  pdProcesses: SimProcess[];
  tikvs: TikvProcess[];
  namespace: string;
  clusterName: string;
  /** Loopback URL of the current PD leader (`http://127.0.0.1:<port>`). */
  url(): string;
  tikvPodName(index: number): string;
  /** Starts the TiKV of pod `index` again (after it stopped), with the same address, optionally another version. */
  startTikv(index: number, version?: string): Promise<TikvProcess>;
  /** Stops every process, timer and the clock (if this call made it). */
  stop(): Promise<void>;
}

/**
 * Starts `pdMembers` PD members and `stores` TiKVs directly (no kubelet): pods `<cluster>-pd-<i>` and
 * `<cluster>-tikv-<i>` with StatefulSet-style addresses `<pod>.<cluster>-tikv-peer.<ns>.svc:20160`.
 */
export async function startPdCluster(options: StartPdClusterOptions = {}): Promise<RunningPdCluster> {
  const ownClock = !options.clock;
  const clock = options.clock ?? new SimClock(options.timeScale ?? 0.01);
  const history = options.history ?? new History();
  const namespace = options.namespace ?? 'sim';
  const clusterName = options.clusterName ?? 'basic';
  const pd = new PdCluster({ ...options, clock, history });
  const pdProcesses: SimProcess[] = [];
  const tikvs: TikvProcess[] = [];
  const tikvPodName = (i: number): string => `${clusterName}-tikv-${i}`;
  const startTikv = async (i: number, version = options.tikvVersion ?? 'v8.5.0'): Promise<TikvProcess> => {
    const process = (await pd.startTikv({
      podName: tikvPodName(i),
      namespace,
      subdomain: `${clusterName}-tikv-peer`,
      image: `pingcap/tikv:${version}`,
    })) as TikvProcess;
    tikvs[i] = process;
    return process;
  };
  try {
    for (let i = 0; i < (options.pdMembers ?? 1); i++) {
      pdProcesses.push(await pd.startPd({ podName: `${clusterName}-pd-${i}`, namespace, subdomain: `${clusterName}-pd-peer` }));
    }
    for (let i = 0; i < (options.stores ?? 3); i++) await startTikv(i);
    if (options.waitSettled ?? true) await pd.waitUntilSettled();
  } catch (error) {
    await pd.stop();
    if (ownClock) clock.stop();
    throw error;
  }
  return {
    pd,
    clock,
    history,
    pdProcesses,
    tikvs,
    namespace,
    clusterName,
    url: () => {
      const url = pd.directUrl();
      if (!url) throw new Error('no PD member is running');
      return url;
    },
    tikvPodName,
    startTikv,
    stop: async () => {
      await pd.stop();
      if (ownClock) clock.stop();
    },
  };
}
