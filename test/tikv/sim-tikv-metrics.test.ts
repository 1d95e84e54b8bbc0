import assert from 'node:assert/strict';
import type { HttpTarget } from '../../src/http-target.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import { createPdClient } from '../../src/pd/undici-pd-client.ts';
import { TikvMetricsConnectionError } from '../../src/tikv/tikv-metrics-errors.ts';
import { createTikvMetrics, type TikvMetricsClient } from '../../src/tikv/undici-tikv-metrics.ts';
import { History } from '../sim/history.ts';
import { PdCluster } from '../sim/pd/pd-cluster.ts';
import type { SimProcess } from '../sim/process.ts';
import { SimClock } from '../sim/sim-clock.ts';

/** The /metrics reader against engineer B's simulated TiKV processes: the TiKV's own count, which PD's may lag. */
describe('TiKV metrics reader against simulated TiKVs', function () {
  this.timeout(20_000);
  let cluster: PdCluster;
  let metrics: TikvMetricsClient;
  let pd: PdClient;
  const tikvs = new Map<string, SimProcess>();

  beforeEach(async () => {
    cluster = new PdCluster({ clock: new SimClock(0.005), history: new History(), regionsPerStore: 20 });
    for (const index of [0, 1, 2]) await cluster.startPd({ podName: `basic-pd-${index}`, namespace: 'ns', subdomain: 'basic-pd-peer' });
    for (const index of [0, 1, 2]) await startTikv(`basic-tikv-${index}`);
    await cluster.waitUntilSettled();
    metrics = createTikvMetrics(targetFor, { timeoutMs: 2_000, retries: 0 });
    const origin = cluster.directUrl();
    assert.ok(origin);
    pd = createPdClient({ origin, description: 'simulated PD' }, { timeoutMs: 2_000, retryBaseDelayMs: 5, retryMaxDelayMs: 40 });
  });

  afterEach(async () => {
    await metrics.close();
    await pd.close();
    await cluster.stop();
    cluster.clock.stop();
    tikvs.clear();
  });

  async function startTikv(podName: string): Promise<void> {
    tikvs.set(podName, await cluster.startTikv({ podName, namespace: 'ns', subdomain: 'basic-tikv-peer' }));
  }

  /** Where the pod's status port is now; a restarted process listens elsewhere, so the target changes with it. */
  function targetFor(podName: string): HttpTarget {
    const address = tikvs.get(podName)?.ports.get(20180);
    if (!address) throw new Error(`no TiKV running in ${podName}`);
    return { origin: `http://${address.host}:${address.port}`, description: `TiKV ${podName} status port` };
  }

  /** Reads the pod's count and asserts it is the TiKV's truth at some moment of the read (leaders may be moving). */
  async function assertTruthful(podName: string): Promise<number> {
    const before = cluster.storeOfPod(podName)?.leaderCount ?? Number.NaN;
    const read = await metrics.leaderCount(podName);
    const after = cluster.storeOfPod(podName)?.leaderCount ?? Number.NaN;
    assert.ok(read >= Math.min(before, after) && read <= Math.max(before, after), `${podName}: read ${read}, TiKV had ${before} then ${after}`);
    return read;
  }

  const cachedTargets = new Map<string, HttpTarget>();
  function stableTargetFor(podName: string): HttpTarget {
    const fresh = targetFor(podName);
    const cached = cachedTargets.get(podName);
    if (cached?.origin === fresh.origin) return cached;
    cachedTargets.set(podName, fresh);
    return fresh;
  }

  it('reads each store\'s leader count as the TiKV knows it', async () => {
    for (const podName of tikvs.keys()) assert.ok((await assertTruthful(podName)) > 0);
  });

  it('still reads the real count when a new PD leader reports the store with 0 leaders', async () => {
    const store = cluster.storeOfPod('basic-tikv-1');
    assert.ok(store && store.leaderCount > 0);
    cluster.faults.pdLeaderChangeView = 'zero';
    cluster.faults.transferPdLeader();
    const pdView = await pd.store(store.storeId);
    assert.equal(pdView.leaderCount, 0, "PD's count right after a leader change");
    assert.ok((await assertTruthful('basic-tikv-1')) > 0);
  });

  it('follows a pod whose TiKV restarted on a new port, and fails like an unreachable pod while it is down', async () => {
    await metrics.close();
    metrics = createTikvMetrics(stableTargetFor, { timeoutMs: 2_000, retries: 0 });
    assert.ok((await metrics.leaderCount('basic-tikv-2')) > 0);
    const address = tikvs.get('basic-tikv-2')?.ports.get(20180);
    await tikvs.get('basic-tikv-2')?.terminate();
    const down = createTikvMetrics(() => ({ origin: `http://${address?.host}:${address?.port}`, description: 'stopped TiKV' }), { timeoutMs: 2_000, retries: 0 });
    await assert.rejects(down.leaderCount('basic-tikv-2'), TikvMetricsConnectionError);
    await down.close();
    await startTikv('basic-tikv-2');
    await assertTruthful('basic-tikv-2');
  });
});
