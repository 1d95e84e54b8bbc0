/**
 * The benchmark's simulated cluster, in its own process so that the CPU and memory the harness measures for the
 * CLI are the CLI's alone. Started by `bench/sim-process.ts` with `fork()`; options come as one JSON argument.
 *
 * Over the IPC channel it answers:
 * - `{type: 'dump', id, fromIndex, path}` → writes History entries from `fromIndex` on to `path` (JSON) and
 *   replies `{type: 'dumped', id, count, nextIndex, leaderCounts}` (every store's TiKV-side leader count now);
 * - `{type: 'settle', id}` → waits until the cluster is settled again (every pod Ready, every store Up, leaders
 *   balanced) and replies `{type: 'settled', id, historyLength}`;
 * - `{type: 'stop', id}` → stops the cluster and exits.
 *
 * Besides what the simulator records, it adds one History entry per raft leader change (source `bench`, type
 * `leader-change`: region, from/to store and both stores' leader counts afterwards), because the tool's
 * leader-return rule needs the TiKV-side count of the restarted store over time.
 */
import { startSimCluster, type SimCluster } from '../test/sim/cluster.ts';
import type { Topology } from '../src/core/model.ts';

/** What the harness asks for. */
export interface SimServerOptions {
  topology: Topology;
  stores: number;
  regionsPerStore: number;
  timeScale: number;
  tikvVersion: string;
  kubeconfig: string;
}

/** Messages from the harness. */
export type SimRequest =
  | { type: 'dump'; id: number; fromIndex: number; path: string }
  | { type: 'settle'; id: number }
  | { type: 'stop'; id: number };

/** Messages to the harness. */
export type SimReply =
  | { type: 'ready'; kubeconfig: string; tikvPods: string[]; namespace: string; clusterName: string; historyLength: number; startMs: number }
  | { type: 'dumped'; id: number; count: number; nextIndex: number; leaderCounts: Record<number, number> }
  | { type: 'settled'; id: number; historyLength: number }
  | { type: 'stopped'; id: number }
  | { type: 'error'; id?: number; message: string };

function send(reply: SimReply): void {
  process.send?.(reply);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SimServerOptions;
  const startedAt = Date.now();
  const sim: SimCluster = await startSimCluster({
    topology: options.topology,
    stores: options.stores,
    regionsPerStore: options.regionsPerStore,
    timeScale: options.timeScale,
    tikvVersion: options.tikvVersion,
    pdVersion: 'v8.5.0',
    settleTimeoutMs: 120_000,
  });
  const { history } = sim;
  const regions = sim.pd.regions;
  regions.onLeaderChange((region, from, to) => {
    history.record('bench', 'leader-change', {
      regionId: region.regionId,
      from,
      to,
      fromCount: from ? regions.leaderCount(from) : null,
      toCount: to ? regions.leaderCount(to) : null,
    });
  });
  sim.writeKubeconfig(options.kubeconfig);
  send({
    type: 'ready',
    kubeconfig: options.kubeconfig,
    tikvPods: sim.tikvPodNames(),
    namespace: sim.namespace,
    clusterName: sim.clusterName,
    historyLength: history.entries.length,
    startMs: Date.now() - startedAt,
  });

  const { writeFileSync } = await import('node:fs');
  process.on('message', (message: SimRequest) => {
    void (async () => {
      try {
        switch (message.type) {
          case 'dump': {
            const entries = history.entries.slice(message.fromIndex);
            writeFileSync(message.path, JSON.stringify(entries));
            const leaderCounts: Record<number, number> = {};
            for (const view of sim.pd.storeViews()) leaderCounts[view.storeId] = view.leaderCount;
            send({ type: 'dumped', id: message.id, count: entries.length, nextIndex: message.fromIndex + entries.length, leaderCounts });
            break;
          }
          case 'settle':
            await sim.waitUntilSettled({ timeoutMs: 120_000 });
            send({ type: 'settled', id: message.id, historyLength: history.entries.length });
            break;
          case 'stop':
            await sim.stop();
            send({ type: 'stopped', id: message.id });
            process.disconnect?.();
            break;
        }
      } catch (error) {
        send({ type: 'error', id: message.id, message: (error as Error).stack ?? String(error) });
      }
    })();
  });
  // The harness going away (crash, Ctrl+C) stops the cluster too.
  process.on('disconnect', () => {
    void sim.stop().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: (error as Error).stack ?? String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
