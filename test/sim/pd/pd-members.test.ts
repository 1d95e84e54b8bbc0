import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import type { PdMemberProcess } from './pd-member-process.ts';
import { startPdCluster, type RunningPdCluster } from './start-pd-cluster.ts';

async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(base + path);
  return { status: response.status, body: await response.text() };
}

async function metricsLeaderCount(c: RunningPdCluster, index: number): Promise<number> {
  const port = c.tikvs[index].ports.get(20180)!.port;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^tikv_raftstore_region_count\{type="leader"\} (\d+)$/m.exec(text)![1]);
}

describe('PD simulator members, leadership and faults', function () {
  this.timeout(20_000);
  let c: RunningPdCluster | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  const member = (name: string) => c!.pd.memberViews().find((m) => m.name === name)!;

  it('proxies a follower\'s API calls to the leader, as PD\'s redirector does', async () => {
    c = await startPdCluster({ pdMembers: 3 });
    const follower = c.pd.memberViews().find((m) => !m.leader)!;
    const since = Date.now();
    const answer = await get(follower.loopbackUrl!, '/pd/api/v1/stores');
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { count: number }).count, 3);
    const requests = c.history.ofType('pd-request').filter((e) => e.at >= since);
    assert.deepEqual(
      requests.map((e) => [e.data.member, e.data.redirectedFrom]),
      [[c.pd.leaderName(), follower.name], [follower.name, null]],
    );
    // /pd/api/v2/ready is answered by the member itself; v8.5.0 does not have it.
    assert.equal((await get(follower.loopbackUrl!, '/pd/api/v2/ready')).status, 404);
  });

  it('elects a new leader after the old one is killed; followers fail until its lease expires', async () => {
    c = await startPdCluster({ pdMembers: 3 });
    const oldLeader = c.pd.leaderName()!;
    const follower = c.pd.memberViews().find((m) => !m.leader)!;
    const since = Date.now();
    (c.pdProcesses[Number(oldLeader.split('-').pop())] as PdMemberProcess).kill();
    const during = await get(follower.loopbackUrl!, '/pd/api/v1/stores');
    assert.deepEqual(during, { status: 500, body: '[PD:apiutil:ErrRedirect]redirect failed\n' });
    const elected = await c.history.waitFor((e) => e.type === 'pd-leader' && typeof e.data.name === 'string' && e.at >= since);
    assert.notEqual(elected.data.name, oldLeader);
    assert.equal((await get(follower.loopbackUrl!, '/pd/api/v1/stores')).status, 200);
    const health = JSON.parse((await get(c.url(), '/pd/api/v1/health')).body) as { name: string; health: boolean }[];
    assert.deepEqual(health.filter((h) => !h.health).map((h) => h.name), [oldLeader]);
    assert.equal(member(oldLeader).running, false);
  });

  it('has no leader without a quorum of running members (503) and refuses connections when all are down', async () => {
    c = await startPdCluster({ pdMembers: 3, pdVersion: 'v7.5.0' });
    const processes = c.pdProcesses as PdMemberProcess[];
    const survivor = processes.find((p) => !c!.pd.isLeader(p.name))!;
    const survivorUrl = member(survivor.name).loopbackUrl!;
    const since = Date.now();
    for (const p of processes) if (p !== survivor) await p.terminate();
    await c.history.waitFor((e) => e.type === 'pd-leader' && e.data.name === null && e.at >= since);
    await c.clock.sleep(3_000);
    assert.equal(c.pd.leaderName(), undefined, 'one of three members is no quorum');
    assert.deepEqual(await get(survivorUrl, '/pd/api/v1/members'), { status: 503, body: 'no leader\n' });
    survivor.kill();
    await assert.rejects(fetch(`${survivorUrl}/pd/api/v1/members`), (error: Error & { cause?: { code?: string } }) => {
      assert.equal(error.cause?.code, 'ECONNREFUSED');
      return true;
    });
  });

  it('a graceful PD leader stop hands leadership over without waiting for the lease', async () => {
    c = await startPdCluster({ pdMembers: 3 });
    const leader = c.pd.leaderName()!;
    const since = Date.now();
    await (c.pdProcesses[Number(leader.split('-').pop())] as PdMemberProcess).terminate();
    const lost = c.history.ofType('pd-leader').filter((e) => e.at >= since);
    assert.deepEqual(lost.map((e) => e.data), [{ name: null, previous: leader }]);
    await c.history.waitFor((e) => e.type === 'pd-leader' && typeof e.data.name === 'string' && e.at >= since);
  });

  it('a PD leader change can leave PD\'s counts at 0 while /metrics stays right, until heartbeats refresh them', async () => {
    c = await startPdCluster({ pdMembers: 2 });
    const truth = c.pd.storeViews().map((s) => s.leaderCount);
    c.pd.faults.pdLeaderChangeView = 'zero';
    c.pd.faults.transferPdLeader();
    const stores = (JSON.parse((await get(c.url(), '/pd/api/v1/stores')).body) as { stores: { store: { id: number }; status: { leader_count: number } }[] }).stores;
    assert.ok(stores.every((s) => s.status.leader_count === 0), 'PD counts are 0');
    for (let i = 0; i < 3; i++) {
      const running: RunningPdCluster = c;
      const count = running.pd.storeOfPod(running.tikvPodName(i))!.leaderCount;
      assert.equal(await metricsLeaderCount(running, i), count);
    }
    assert.deepEqual(c.pd.storeViews().map((s) => s.leaderCount), truth);
    await c.clock.sleep(65_000);
    assert.deepEqual(c.pd.storeViews().map((s) => s.pdLeaderCount), truth, 'periodic region heartbeats refreshed PD');
  });

  it('a PD leader change can load a stale region cache: PD reports leaders a drained store no longer has', async () => {
    c = await startPdCluster({ pdMembers: 2 });
    const store = c.pd.storeOfPod(c.tikvPodName(0))!;
    c.pd.faults.snapshotPdView();
    const since = Date.now();
    c.pd.addEvictLeader(store.storeId);
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.data.view === 'pd' && e.at >= since);
    c.pd.faults.pdLeaderChangeView = 'stale';
    c.pd.faults.transferPdLeader();
    const info = JSON.parse((await get(c.url(), `/pd/api/v1/store/${store.storeId}`)).body) as { status: { leader_count: number } };
    assert.equal(info.status.leader_count, store.leaderCount, 'PD still believes the old count');
    assert.equal(await metricsLeaderCount(c, 0), 0, 'the TiKV knows it has none');
  });

  it('injects 500s on matching routes a given number of times, and slow answers', async () => {
    c = await startPdCluster();
    c.pd.faults.failRequests({ method: 'GET', path: '/pd/api/v1/stores', status: 500, times: 2 });
    assert.equal((await get(c.url(), '/pd/api/v1/stores')).status, 500);
    assert.equal((await get(c.url(), '/pd/api/v1/schedulers')).status, 200, 'other routes are not affected');
    const second = await get(c.url(), '/pd/api/v1/stores');
    assert.deepEqual(second, { status: 500, body: '"[PD:simulator:ErrInjected]injected fault"\n' });
    assert.equal((await get(c.url(), '/pd/api/v1/stores')).status, 200);
    const clear = c.pd.faults.failRequests({ path: /^\/pd\/api\/v1\/schedulers/, status: 503, body: 'busy\n' });
    assert.deepEqual(await get(c.url(), '/pd/api/v1/schedulers'), { status: 503, body: 'busy\n' });
    clear();
    assert.equal((await get(c.url(), '/pd/api/v1/schedulers')).status, 200);
    c.pd.faults.slowRequests({ path: '/pd/api/v1/version', delayMs: 5_000, times: 1 });
    let slowDone = false;
    const slow = get(c.url(), '/pd/api/v1/version').then((a) => {
      slowDone = true;
      return a;
    });
    await c.clock.sleep(1_000);
    assert.equal(slowDone, false, 'still waiting');
    assert.equal((await slow).status, 200);
  });
});
