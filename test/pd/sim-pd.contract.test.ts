import { createPdClient } from '../../src/pd/undici-pd-client.ts';
import { startPdCluster } from '../sim/pd/start-pd-cluster.ts';
import { runPdClientContract } from './pd-client.contract.ts';

/** The undici client against engineer B's PD simulator over loopback: what keeps the in-memory fake honest. */
const TIME_SCALE = 0.005;

// Every shape the client must absorb: the current one, v7.5's doubled errors, v8.5.5's extra default scheduler and
// PD ≤ v3.0's per-store evict-leader schedulers.
for (const pdVersion of ['v8.5.0', 'v7.5.0', 'v8.5.5', 'v3.0.0']) {
  runPdClientContract(
    `undici client against the PD simulator (${pdVersion})`,
    async () => {
      const running = await startPdCluster({ timeScale: TIME_SCALE, pdVersion, regionsPerStore: 20, stores: 4, namespace: 'ns' });
      try {
        // Scale the fourth store in: PD moves its replicas away and buries it (Tombstone); its TiKV exits.
        const buried = running.pd.storeOfPod(running.tikvPodName(3));
        if (!buried) throw new Error('the fourth TiKV did not register');
        const refused = running.pd.removeStore(buried.storeId);
        if (refused !== undefined) throw new Error(`could not remove store ${buried.storeId}: ${refused}`);
        running.tikvs[3].kill();
        await running.pd.waitUntilSettled();
        const client = createPdClient({ origin: running.url(), description: `simulated PD ${pdVersion}` }, { timeoutMs: 5_000, retryBaseDelayMs: 5, retryMaxDelayMs: 50 });
        return {
          client,
          upStoreIds: running.pd.storeViews().filter((store) => store.stateName === 'Up').map((store) => store.storeId),
          tombstoneStoreId: buried.storeId,
          pdVersion,
          maxReplicas: running.pd.maxReplicas,
          leaderScheduleLimit: running.pd.leaderScheduleLimit,
          async restartStore(storeId) {
            const podName = running.pd.storeView(storeId)?.podName;
            const index = [0, 1, 2].find((i) => running.tikvPodName(i) === podName);
            if (index === undefined) throw new Error(`no TiKV process for store ${storeId}`);
            await running.tikvs[index].terminate();
            await running.startTikv(index);
          },
          async close() {
            await client.close();
            await running.stop();
          },
        };
      } catch (error) {
        await running.stop();
        throw error;
      }
    },
    { leaderMovementTimeoutMs: 15_000 },
  );
}
