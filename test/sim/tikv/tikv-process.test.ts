import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { afterEach, describe, it } from 'mocha';
import { Agent, request as undiciRequest } from 'undici';
import { issueCert, makeCa } from '../tls.ts';
import { startPdCluster, type RunningPdCluster } from '../pd/start-pd-cluster.ts';

describe('TiKV simulator processes', function () {
  this.timeout(20_000);
  let c: RunningPdCluster | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  const statusUrl = (index: number): string => `http://127.0.0.1:${c!.tikvs[index].ports.get(20180)!.port}`;
  const storeOf = (index: number) => c!.pd.storeOfPod(c!.tikvPodName(index))!;

  it('serves Prometheus /metrics with its own leader and region counts, /status, and a TCP port 20160', async () => {
    c = await startPdCluster({ regionsPerStore: 45 });
    const store = storeOf(0);
    const response = await fetch(`${statusUrl(0)}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4');
    const text = await response.text();
    assert.match(text, /^# HELP tikv_raftstore_region_count Number of regions collected in region_collector$/m);
    assert.match(text, /^# TYPE tikv_raftstore_region_count gauge$/m);
    assert.match(text, new RegExp(`^tikv_raftstore_region_count\\{type="leader"\\} ${store.leaderCount}$`, 'm'));
    assert.match(text, /^tikv_raftstore_region_count\{type="region"\} 45$/m);
    assert.ok(text.endsWith('\n'));
    assert.equal((await fetch(`${statusUrl(0)}/status`)).status, 200);
    assert.equal((await fetch(`${statusUrl(0)}/nope`)).status, 404);
    const requests = c.history.ofType('tikv-request').map((e) => [e.data.path, e.data.status, e.data.storeId]);
    assert.deepEqual(requests, [['/metrics', 200, store.storeId], ['/status', 200, store.storeId], ['/nope', 404, store.storeId]]);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(c!.tikvs[0].ports.get(20160)!.port, '127.0.0.1', () => {
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    });
    assert.equal(c.tikvs[0].isReady(), true);
  });

  it('keeps its store id across a restart and always gets a new start_timestamp, even within a second', async () => {
    c = await startPdCluster({ timeScale: 0.001 });
    const before = storeOf(1);
    await c.tikvs[1].terminate();
    assert.equal(c.tikvs[1].isReady(), false);
    assert.equal(c.tikvs[1].ports.size, 0);
    const since = Date.now();
    // No heartbeat after the restart, so what PD shows right after re-registering stays observable.
    c.pd.faults.tikv(c.tikvPodName(1)).neverHeartbeat = true;
    const again = await c.startTikv(1, 'v8.5.1');
    await c.history.waitFor((e) => e.type === 'store-registered' && e.data.storeId === before.storeId && e.at >= since);
    const after = storeOf(1);
    assert.equal(after.storeId, before.storeId);
    assert.ok(after.startTimestampSec > before.startTimestampSec, `${after.startTimestampSec} > ${before.startTimestampSec}`);
    assert.equal(after.version, '8.5.1');
    assert.equal(again.isReady(), true);
    const registered = c.history.ofType('store-registered').filter((e) => e.data.storeId === before.storeId);
    assert.deepEqual(registered.map((e) => e.data.newStore), [true, false]);
    // PD keeps the old heartbeat until the first new one: no uptime right after a restart.
    const info = (await (await fetch(`${c.url()}/pd/api/v1/store/${before.storeId}`)).json()) as { status: Record<string, unknown> };
    assert.equal('uptime' in info.status, false);
  });

  it('gets a new store id for a new address, while the old store stays and goes Disconnected', async () => {
    c = await startPdCluster();
    const old = storeOf(2);
    c.tikvs[2].kill();
    const since = Date.now();
    const replacement = await c.pd.startTikv({ podName: 'basic-tikv-9', namespace: c.namespace, subdomain: 'basic-tikv-peer' });
    await c.history.waitFor((e) => e.type === 'store-registered' && e.data.newStore === true && e.at >= since);
    const fresh = c.pd.storeOfPod('basic-tikv-9')!;
    assert.notEqual(fresh.storeId, old.storeId);
    assert.ok(fresh.regionCount > 0, 'the new store received replicas');
    await c.history.waitFor((e) => e.type === 'store-state' && e.data.storeId === old.storeId && e.data.to === 'Disconnected');
    replacement.kill();
  });

  it('shows a stopped store Up until 20 s without heartbeat, then Disconnected, then Down after max-store-down-time', async () => {
    c = await startPdCluster({ timing: { maxStoreDownTimeMs: 60_000 } });
    const store = storeOf(0);
    const since = Date.now();
    c.tikvs[0].kill();
    assert.equal(c.pd.storeView(store.storeId)!.stateName, 'Up', 'the last heartbeat is recent');
    const disconnected = await c.history.waitFor((e) => e.type === 'store-state' && e.data.storeId === store.storeId && e.data.from !== null && e.at >= since);
    assert.deepEqual([disconnected.data.from, disconnected.data.to], ['Up', 'Disconnected']);
    const down = await c.history.waitFor((e) => e.type === 'store-state' && e.data.storeId === store.storeId && e.data.to === 'Down');
    assert.equal(down.data.from, 'Disconnected');
    const check = (await (await fetch(`${c.url()}/pd/api/v1/stores/check?state=down`)).json()) as { stores: { store: { id: number } }[] };
    assert.deepEqual(check.stores.map((s) => s.store.id), [store.storeId]);
    await c.startTikv(0);
    const up = await c.history.waitFor((e) => e.type === 'store-state' && e.data.storeId === store.storeId && e.data.to === 'Up' && e.at > down.at);
    assert.equal(up.data.from, 'Down');
  });

  it('on TiKV ≥ 8.5.5 with PD ≥ 8.5.5, SIGTERM drains its own leaders first and no region becomes unavailable', async () => {
    c = await startPdCluster({ pdVersion: 'v8.5.5', tikvVersion: 'v8.5.5' });
    const store = storeOf(1);
    assert.ok(store.leaderCount > 0);
    const since = Date.now();
    await c.tikvs[1].terminate();
    const events = c.history.entries.filter((e) => e.at >= since && e.data.storeId === store.storeId).map((e) => `${e.type}${e.data.view ? `:${e.data.view}` : ''}`);
    assert.deepEqual(events.filter((t) => ['tikv-stopping', 'store-leaders-zero:truth', 'store-stopped'].includes(t)), ['tikv-stopping', 'store-leaders-zero:truth', 'store-stopped']);
    assert.equal(c.history.ofType('regions-unavailable').length, 0);
    assert.equal(c.pd.unavailableRegionCount(), 0);
  });

  it('on TiKV 8.5.0, SIGTERM exits at once and its regions are unavailable until the election timeout', async () => {
    c = await startPdCluster({ pdVersion: 'v8.5.5', tikvVersion: 'v8.5.0' });
    const store = storeOf(1);
    const since = Date.now();
    await c.tikvs[1].terminate();
    const unavailable = c.history.ofType('regions-unavailable').filter((e) => e.at >= since);
    assert.deepEqual(unavailable.map((e) => [e.data.storeId, e.data.count]), [[store.storeId, store.leaderCount]]);
    assert.equal(c.pd.unavailableRegionCount(), store.leaderCount);
    const available = await c.history.waitFor((e) => e.type === 'regions-available' && e.data.totalUnavailable === 0 && e.at >= since);
    // Election timeouts are 10–20 s: the outage lasted at least the minimum (scaled).
    assert.ok((available.data.unavailableMs as number) >= 10_000 * c.clock.timeScale);
  });

  it('on TiKV ≥ 8.5.5 with an older PD, nothing drains it: it waits graceful-shutdown-timeout and then leaves leaders behind', async () => {
    c = await startPdCluster({ pdVersion: 'v8.5.0', tikvVersion: 'v8.5.5' });
    const store = storeOf(0);
    const since = Date.now();
    await c.tikvs[0].terminate();
    const unavailable = c.history.ofType('regions-unavailable').filter((e) => e.at >= since);
    assert.deepEqual(unavailable.map((e) => e.data.count), [store.leaderCount]);
  });

  it('the graceful path (evict, wait for 0, then stop) makes no region unavailable', async () => {
    c = await startPdCluster();
    const store = storeOf(2);
    const since = Date.now();
    c.pd.addEvictLeader(store.storeId);
    await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === store.storeId && e.data.view === 'truth' && e.at >= since);
    await c.tikvs[2].terminate();
    await c.startTikv(2);
    await c.history.waitFor((e) => e.type === 'store-registered' && e.data.storeId === store.storeId && e.at >= since);
    c.pd.removeEvictLeader(store.storeId);
    await c.pd.waitUntilSettled();
    assert.equal(c.history.ofType('regions-unavailable').length, 0);
  });

  it('fault knobs: never registers, never heartbeats after a restart, crashes', async () => {
    c = await startPdCluster();
    c.pd.faults.tikv('basic-tikv-5').neverRegister = true;
    const ghost = await c.pd.startTikv({ podName: 'basic-tikv-5', namespace: c.namespace, subdomain: 'basic-tikv-peer' });
    await c.clock.sleep(10_000);
    assert.equal(ghost.isReady(), false);
    assert.equal(c.pd.storeOfPod('basic-tikv-5'), undefined);
    ghost.kill();

    const silent = storeOf(1);
    c.tikvs[1].kill();
    c.pd.faults.tikv(c.tikvPodName(1)).neverHeartbeat = true;
    const since = Date.now();
    await c.startTikv(1);
    await c.history.waitFor((e) => e.type === 'store-registered' && e.data.storeId === silent.storeId && e.at >= since);
    const disconnected = await c.history.waitFor((e) => e.type === 'store-state' && e.data.storeId === silent.storeId && e.data.to === 'Disconnected');
    assert.ok(disconnected.at >= since);
    assert.ok(storeOf(1).startTimestampSec > silent.startTimestampSec);

    c.pd.faults.tikv(c.tikvPodName(2)).crashAfterMs = 1_000;
    c.tikvs[2].kill();
    const crashing = await c.startTikv(2);
    const code = await new Promise<number>((resolve) => crashing.onExit(resolve));
    assert.equal(code, 139);
    assert.equal(storeOf(2).running, false);
  });

  it('registers only once PD has a leader, retrying meanwhile', async () => {
    c = await startPdCluster({ stores: 0, waitSettled: false });
    c.pd.faults.noPdLeader = true;
    const tikv = await c.pd.startTikv({ podName: 'basic-tikv-0', namespace: c.namespace, subdomain: 'basic-tikv-peer' });
    await c.clock.sleep(8_000);
    assert.equal(tikv.isReady(), false);
    c.pd.faults.noPdLeader = false;
    await c.history.waitFor((e) => e.type === 'store-registered');
    assert.equal(tikv.isReady(), true);
  });

  it('speaks HTTPS with client-certificate verification on PD and TiKV when the cluster has TLS', async () => {
    const ca = makeCa();
    const server = issueCert({ ca, commonName: 'basic-pd', dnsNames: ['localhost', '*.basic-pd-peer.sim.svc'], ips: ['127.0.0.1', '::1'] });
    const client = issueCert({ ca, commonName: 'kubectl-tikv', client: true });
    c = await startPdCluster({ tls: { ca: ca.cert, cert: server.cert, key: server.key }, pdMembers: 2 });
    assert.match(c.url(), /^https:\/\/127\.0\.0\.1:\d+$/);
    const request = (url: string, withClientCert: boolean): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = https.get(url, { ca: ca.cert, ...(withClientCert ? { cert: client.cert, key: client.key } : {}) }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
    assert.equal(await request(`${c.url()}/pd/api/v1/stores`, true), 200);
    await assert.rejects(request(`${c.url()}/pd/api/v1/stores`, false));
    const follower = c.pd.memberViews().find((m) => !m.leader)!;
    assert.equal(await request(`${follower.loopbackUrl}/pd/api/v1/stores`, true), 200, 'the follower proxies over mTLS too');
    const tikvPort = c.tikvs[0].ports.get(20180)!.port;
    assert.equal(await request(`https://127.0.0.1:${tikvPort}/metrics`, true), 200);
    await assert.rejects(request(`https://127.0.0.1:${tikvPort}/metrics`, false));
    const members = (await new Promise<string>((resolve, reject) => {
      https.get(`${c!.url()}/pd/api/v1/members`, { ca: ca.cert, cert: client.cert, key: client.key }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    }));
    assert.match(members, /"https:\/\/basic-pd-0\.basic-pd-peer\.sim\.svc:2379"/);
    // PD's port also serves gRPC and offers h2: only an HTTP/1.1 client gets HTTP answers.
    for (const allowH2 of [false, true]) {
      const agent = new Agent({ allowH2, connect: { ca: ca.cert, cert: client.cert, key: client.key } });
      try {
        const url = `${c.url()}/pd/api/v1/version`;
        const attempt: Promise<number> = undiciRequest(url, { dispatcher: agent }).then(async (r) => {
          await r.body.text();
          return r.statusCode;
        });
        if (allowH2) await assert.rejects(attempt);
        else assert.equal(await attempt, 200);
      } finally {
        await agent.close();
      }
    }
  });
});
