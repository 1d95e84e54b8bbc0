import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { startPdCluster, type RunningPdCluster } from './start-pd-cluster.ts';

describe('PD simulator leader scheduling', function () {
  this.timeout(20_000);
  let c: RunningPdCluster | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  const sinceNow = (): number => Date.now();

  it('drains an evicted store at PD\'s pace (leader-schedule-limit in flight, 3 per round) and keeps it at 0', async () => {
    c = await startPdCluster({ leaderScheduleLimit: 2, regionsPerStore: 90 });
    const store = c.pd.storeOfPod(c.tikvPodName(0))!;
    const leaders = store.leaderCount;
    assert.equal(leaders, 30);
    const statsBefore = { ...c.pd.stats };
    const since = sinceNow();
    assert.deepEqual(c.pd.addEvictLeader(store.storeId), { ok: true, created: true });
    const truthZero = await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.data.view === 'truth' && e.at >= since);
    const pdZero = await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.data.view === 'pd' && e.at >= since);
    assert.ok(pdZero.at >= truthZero.at, 'PD learns of the last transfer from a heartbeat, after the TiKV');
    // At most limit-1 in flight when a round starts, plus one batch of 3: never more than limit + 2.
    assert.ok(c.pd.stats.maxInFlight <= 2 + 2, `in flight ${c.pd.stats.maxInFlight}`);
    const rounds = c.pd.stats.roundsWithNewTransfers - statsBefore.roundsWithNewTransfers;
    assert.ok(rounds >= Math.ceil(leaders / 4), `${leaders} leaders moved in ${rounds} rounds`);
    assert.ok(c.pd.stats.transfersFinished - statsBefore.transfersFinished >= leaders);
    await c.clock.sleep(10_000);
    const after = c.pd.storeView(store.storeId)!;
    assert.deepEqual([after.leaderCount, after.pdLeaderCount, after.evicting], [0, 0, true]);
    const others = c.pd.storeViews().filter((s) => s.storeId !== store.storeId);
    assert.equal(others.reduce((n, s) => n + s.leaderCount, 0), 90);
  });

  it('never drains a store when max-replicas is 1 (no follower to take a leader)', async () => {
    c = await startPdCluster({ maxReplicas: 1, stores: 2, regionsPerStore: 20 });
    const store = c.pd.storeOfPod(c.tikvPodName(0))!;
    assert.equal(store.leaderCount, 20);
    const started = c.pd.stats.transfersStarted;
    c.pd.addEvictLeader(store.storeId);
    await c.clock.sleep(30_000);
    assert.equal(c.pd.storeView(store.storeId)!.leaderCount, 20);
    assert.equal(c.pd.stats.transfersStarted, started);
  });

  it('never drains a store whose followers all sit on busy stores', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const [store, ...others] = c.pd.storeViews();
    for (const o of others) c.pd.faults.setBusy(o.storeId, true);
    c.pd.addEvictLeader(store.storeId);
    await c.clock.sleep(20_000);
    assert.equal(c.pd.storeView(store.storeId)!.leaderCount, store.leaderCount);
    c.pd.faults.setBusy(others[0].storeId, false);
    const since = sinceNow();
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.at >= since);
    assert.equal(c.pd.storeView(others[1].storeId)!.leaderCount, others[1].leaderCount, 'nothing moved to the busy store');
  });

  it('times stuck transfers out after 60 s and retries them once they can finish', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const store = c.pd.storeViews()[0];
    c.pd.faults.stuckTransfers = true;
    c.pd.addEvictLeader(store.storeId);
    await c.clock.sleep(70_000);
    assert.ok(c.pd.stats.transfersTimedOut > 0);
    assert.equal(c.pd.storeView(store.storeId)!.leaderCount, store.leaderCount);
    c.pd.faults.stuckTransfers = false;
    const since = sinceNow();
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.at >= since);
  });

  it('keeps the leaders of a store that never drains while others still move', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const [stuck, free] = c.pd.storeViews();
    c.pd.faults.leadersNeverDrain.add(stuck.storeId);
    // Stuck transfers hold leader-schedule-limit slots until they time out, so the other store drains slowly.
    c.pd.addEvictLeader(free.storeId);
    c.pd.addEvictLeader(stuck.storeId);
    const since = sinceNow();
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === free.storeId && e.at >= since);
    await c.clock.sleep(5_000);
    assert.equal(c.pd.storeView(stuck.storeId)!.leaderCount, stuck.leaderCount);
  });

  it('brings leaders back gradually through balance-leader once the store leaves the scheduler', async () => {
    c = await startPdCluster({ regionsPerStore: 90 });
    const store = c.pd.storeViews()[0];
    let since = sinceNow();
    c.pd.addEvictLeader(store.storeId);
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.data.view === 'pd' && e.at >= since);
    since = sinceNow();
    const roundsBefore = c.pd.stats.roundsWithNewTransfers;
    assert.equal(c.pd.removeEvictLeader(store.storeId), 'removed-last');
    const returned = await c.history.waitFor((e) => e.type === 'leaders-returned' && e.data.storeId === store.storeId && e.at >= since);
    assert.ok((returned.data.leaderCount as number) > 0);
    assert.equal(returned.data.countBeforeZero, 30);
    assert.ok(c.pd.stats.roundsWithNewTransfers - roundsBefore >= 2, 'more than one round of transfers');
    await c.pd.waitUntilSettled();
    const counts = c.pd.storeViews().map((s) => s.leaderCount);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 10, `balanced within PD's tolerance: ${counts}`);
    assert.ok(c.pd.storeView(store.storeId)!.leaderCount >= 20);
  });

  it('stops evicting when the scheduler is removed behind the client\'s back', async () => {
    c = await startPdCluster({ regionsPerStore: 30, stores: 4 });
    const store = c.pd.storeViews()[0];
    c.pd.addEvictLeader(store.storeId, 'kubectl-tikv');
    const since = sinceNow();
    assert.equal(c.pd.removeScheduler('evict-leader-scheduler', 'tidb-operator-v2'), true);
    const removed = c.history.ofType('scheduler-removed').filter((e) => e.at >= since);
    assert.deepEqual(removed.map((e) => [e.data.storeId, e.data.by]), [[store.storeId, 'tidb-operator-v2']]);
    assert.deepEqual(c.pd.evictLeaderStoreIds(), []);
    await c.pd.waitUntilSettled();
    assert.ok(c.pd.storeView(store.storeId)!.leaderCount > 0);
  });

  it('refuses to evict a store another scheduler paused (500 ErrPauseLeaderTransfer on v8.5)', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const store = c.pd.storeViews()[0];
    const resume = c.pd.faults.pauseLeaderTransfer(store.storeId);
    const response = await fetch(`${c.url()}/pd/api/v1/schedulers`, {
      method: 'POST',
      body: JSON.stringify({ name: 'evict-leader-scheduler', store_id: store.storeId }),
    });
    assert.equal(response.status, 500);
    assert.equal(await response.text(), `"[PD:core:ErrPauseLeaderTransfer]store ${store.storeId} is paused for leader transfer"\n`);
    resume();
    assert.deepEqual(c.pd.addEvictLeader(store.storeId), { ok: true, created: true });
  });

  it('lets evict-slow-store drain a slow store, which can still be added to evict-leader', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const store = c.pd.storeViews()[0];
    const since = sinceNow();
    c.pd.faults.setSlow(store.storeId, true);
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.at >= since);
    assert.deepEqual(c.pd.addEvictLeader(store.storeId), { ok: true, created: true });
    c.pd.removeEvictLeader(store.storeId);
    c.pd.faults.setSlow(store.storeId, false);
    await c.history.waitFor((e) => e.type === 'leaders-returned' && e.data.storeId === store.storeId && e.at >= since);
  });

  it('leaves regions without a quorum unavailable until enough of their stores run again', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const since = Date.now();
    c.tikvs[0].kill();
    c.tikvs[1].kill();
    await c.clock.sleep(25_000);
    // Every region has a peer on each of the three stores: one running peer of three is no quorum.
    assert.equal(c.pd.unavailableRegionCount(), 20);
    assert.equal(c.history.ofType('regions-available').filter((e) => e.at >= since).length, 0);
    await c.startTikv(1);
    await c.history.waitFor((e) => e.type === 'regions-available' && e.data.totalUnavailable === 0 && e.at >= since);
    assert.equal(c.pd.storeOfPod(c.tikvPodName(0))!.leaderCount, 0);
  });

  it('keeps PD\'s stale leader count for a killed store until followers elect new leaders', async () => {
    c = await startPdCluster({ regionsPerStore: 30 });
    const store = c.pd.storeOfPod(c.tikvPodName(1))!;
    const since = sinceNow();
    c.tikvs[1].kill();
    const view = c.pd.storeView(store.storeId)!;
    assert.deepEqual([view.running, view.leaderCount, view.pdLeaderCount, view.stateName], [false, 0, store.leaderCount, 'Up']);
    assert.equal(c.pd.unavailableRegionCount(), store.leaderCount);
    // Eviction cannot help a stopped store: its leaders are gone already, PD's operators fail.
    c.pd.addEvictLeader(store.storeId);
    await c.history.waitFor((e) => e.type === 'regions-available' && e.data.totalUnavailable === 0 && e.at >= since);
    // The new leaders' region heartbeats reach PD right after the elections.
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.data.view === 'pd' && e.at >= since);
    assert.equal(c.pd.storeView(store.storeId)!.pdLeaderCount, 0);
    const unavailable = c.history.ofType('regions-unavailable').filter((e) => e.at >= since);
    assert.deepEqual(unavailable.map((e) => [e.data.storeId, e.data.count]), [[store.storeId, store.leaderCount]]);
  });
});
