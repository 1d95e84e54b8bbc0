import { createPdClient } from '../../src/pd/undici-pd-client.ts';
import { History } from '../sim/history.ts';
import { PdCluster } from '../sim/pd/pd-cluster.ts';
import type { SimProcess } from '../sim/process.ts';
import { SimClock } from '../sim/sim-clock.ts';
import { runPdClientContract } from './pd-client.contract.ts';

/** The undici client against engineer B's PD simulator over loopback: what keeps the in-memory fake honest. */
const TIME_SCALE = 0.005;

// Every shape the client must absorb: the current one, v7.5's doubled errors, v8.5.5's extra default scheduler and
// PD ≤ v3.0's per-store evict-leader schedulers.
for (const pdVersion of ['v8.5.0', 'v7.5.0', 'v8.5.5', 'v3.0.0']) {
  runPdClientContract(
    `undici client against the PD simulator (${pdVersion})`,
    async () => {
      const clock = new SimClock(TIME_SCALE);
      const cluster = new PdCluster({ clock, history: new History(), pdVersion, regionsPerStore: 20 });
      const tikvs = new Map<string, SimProcess>();
      const startTikv = async (podName: string) => {
        tikvs.set(podName, await cluster.startTikv({ podName, namespace: 'ns', hostname: podName, subdomain: 'basic-tikv-peer', image: 'pingcap/tikv:v8.5.0' }));
      };
      try {
        await cluster.startPd({ podName: 'basic-pd-0', namespace: 'ns', hostname: 'basic-pd-0', subdomain: 'basic-pd-peer' });
        for (const index of [0, 1, 2]) await startTikv(`basic-tikv-${index}`);
        await cluster.waitUntilSettled();
      } catch (error) {
        await cluster.stop();
        throw error;
      }
      const origin = cluster.directUrl();
      if (origin === undefined) throw new Error('the simulated PD serves no URL');
      const client = createPdClient({ origin, description: `simulated PD ${pdVersion}` }, { timeoutMs: 5_000, retryBaseDelayMs: 5, retryMaxDelayMs: 50 });
      return {
        client,
        upStoreIds: cluster.storeViews().map((store) => store.storeId),
        pdVersion,
        maxReplicas: cluster.maxReplicas,
        leaderScheduleLimit: cluster.leaderScheduleLimit,
        async restartStore(storeId) {
          const podName = cluster.storeView(storeId)?.podName;
          const process = podName === undefined ? undefined : tikvs.get(podName);
          if (podName === undefined || process === undefined) throw new Error(`no TiKV process for store ${storeId}`);
          await process.terminate();
          await startTikv(podName);
        },
        async close() {
          await client.close();
          await cluster.stop();
        },
      };
    },
    // The simulator has no way yet to turn a store into a Tombstone (see the report to engineer B).
    { tombstones: false, leaderMovementTimeoutMs: 15_000 },
  );
}
