import assert from 'node:assert/strict';
import type { PdClient } from '../../src/pd/pd-client.ts';
import {
  PdConnectionError,
  PdLeaderTransferPausedError,
  PdNotBootstrappedError,
  PdResponseError,
  PdStoreNotFoundError,
  PdTimeoutError,
  PdUnavailableError,
} from '../../src/pd/pd-errors.ts';
import { createPdClient, type PdClientOptions } from '../../src/pd/undici-pd-client.ts';
import { History } from '../sim/history.ts';
import { PdCluster, type PdClusterOptions } from '../sim/pd/pd-cluster.ts';
import type { SimProcess } from '../sim/process.ts';
import { SimClock } from '../sim/sim-clock.ts';

/** The undici client against the PD simulator's faults: each failure arrives as the typed error services expect. */
const TIME_SCALE = 0.005;
const FAST: PdClientOptions = { timeoutMs: 3_000, retryBaseDelayMs: 5, retryMaxDelayMs: 40 };

interface Running {
  cluster: PdCluster;
  pds: Map<string, SimProcess>;
  tikvs: Map<string, SimProcess>;
}

describe('undici PD client against PD simulator faults', function () {
  this.timeout(20_000);
  let running: Running | undefined;
  const clients: PdClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await running?.cluster.stop();
    running?.cluster.clock.stop();
    running = undefined;
  });

  async function start(options: { pdMembers?: number; tikvs?: number } & Partial<Omit<PdClusterOptions, 'clock' | 'history'>> = {}): Promise<Running> {
    const { pdMembers = 1, tikvs = 3, ...clusterOptions } = options;
    const cluster = new PdCluster({ clock: new SimClock(TIME_SCALE), history: new History(), regionsPerStore: 20, ...clusterOptions });
    running = { cluster, pds: new Map(), tikvs: new Map() };
    for (let i = 0; i < pdMembers; i++) {
      const podName = `basic-pd-${i}`;
      running.pds.set(podName, await cluster.startPd({ podName, namespace: 'ns', subdomain: 'basic-pd-peer' }));
    }
    for (let i = 0; i < tikvs; i++) {
      const podName = `basic-tikv-${i}`;
      running.tikvs.set(podName, await cluster.startTikv({ podName, namespace: 'ns', subdomain: 'basic-tikv-peer' }));
    }
    if (tikvs > 0) await cluster.waitUntilSettled();
    return running;
  }

  function clientFor(origin: string | undefined, options: PdClientOptions = FAST): PdClient {
    if (origin === undefined) throw new Error('no PD URL');
    const client = createPdClient({ origin, description: 'simulated PD' }, options);
    clients.push(client);
    return client;
  }

  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) assert.fail(`still ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('answers "not bootstrapped" before any TiKV registered, while member routes work', async () => {
    const { cluster } = await start({ tikvs: 0 });
    await cluster.clock.sleep(3_000);
    const client = clientFor(cluster.directUrl());
    await assert.rejects(client.stores(), PdNotBootstrappedError);
    assert.equal((await client.members()).members.length, 1);
  });

  it('fails with PdUnavailableError while PD has no leader, and works again once one is elected', async () => {
    const { cluster } = await start({ pdMembers: 3 });
    const client = clientFor(cluster.directUrl(), { ...FAST, retries: 1 });
    cluster.faults.noPdLeader = true;
    await assert.rejects(client.stores(), (error: unknown) => error instanceof PdUnavailableError && error.status === 503);
    cluster.faults.noPdLeader = false;
    const stores = await eventually(
      () => client.stores().catch((error: unknown) => (error instanceof PdUnavailableError ? [] : Promise.reject(error))),
      (list) => list.length === 3,
    );
    assert.equal(stores.length, 3);
  });

  it('reaches the leader through a follower, which proxies', async () => {
    const { cluster } = await start({ pdMembers: 3 });
    const follower = cluster.memberViews().find((member) => !member.leader && member.running);
    const client = clientFor(follower?.loopbackUrl);
    const [store] = cluster.storeViews();
    await client.addEvictLeader(store.storeId);
    assert.deepEqual((await client.evictLeaderState()).storeIds, [store.storeId]);
    assert.deepEqual(cluster.evictLeaderStoreIds(), [store.storeId]);
  });

  it('retries reads through injected 500s and succeeds', async () => {
    const { cluster } = await start();
    const client = clientFor(cluster.directUrl());
    cluster.faults.failRequests({ method: 'GET', path: '/pd/api/v1/stores', status: 500, times: 2 });
    assert.equal((await client.stores()).length, 3);
  });

  it('does not retry an add that failed, and PD holds no eviction', async () => {
    const { cluster } = await start();
    const client = clientFor(cluster.directUrl());
    cluster.faults.failRequests({ method: 'POST', path: '/pd/api/v1/schedulers', status: 500, times: 1 });
    await assert.rejects(client.addEvictLeader(cluster.storeViews()[1].storeId), (error: unknown) => error instanceof PdResponseError && error.pdCode === 'PD:simulator:ErrInjected');
    assert.deepEqual(cluster.evictLeaderStoreIds(), []);
  });

  it('times out a slow answer as PdTimeoutError', async () => {
    const { cluster } = await start();
    const client = clientFor(cluster.directUrl(), { ...FAST, timeoutMs: 100, retries: 0 });
    cluster.faults.slowRequests({ path: '/pd/api/v1/stores', delayMs: 200_000 });
    await assert.rejects(client.stores(), PdTimeoutError);
  });

  it('reports a PD that is down as a connection failure', async () => {
    const { cluster, pds } = await start();
    const origin = cluster.directUrl();
    for (const process of pds.values()) process.kill();
    const client = clientFor(origin, { ...FAST, retries: 1 });
    await assert.rejects(client.version(), (error: unknown) => error instanceof PdConnectionError && !(error instanceof PdTimeoutError));
  });

  it('refuses to evict a store paused for leader transfer on PD v8.5', async () => {
    const { cluster } = await start({ pdVersion: 'v8.5.0' });
    const client = clientFor(cluster.directUrl());
    const store = cluster.storeOfPod('basic-tikv-2');
    assert.ok(store);
    cluster.faults.pauseLeaderTransfer(store.storeId);
    await assert.rejects(client.addEvictLeader(store.storeId), (error: unknown) => error instanceof PdLeaderTransferPausedError && error.storeId === store.storeId);
  });

  for (const pdVersion of ['v7.5.0', 'v8.5.0', 'master']) {
    it(`reports an unknown store on add as PdStoreNotFoundError on PD ${pdVersion}`, async () => {
      const { cluster } = await start({ pdVersion });
      const client = clientFor(cluster.directUrl());
      await assert.rejects(client.addEvictLeader(404), (error: unknown) => {
        assert.ok(error instanceof PdStoreNotFoundError);
        assert.equal(error.storeId, 404);
        assert.match(error.message, /^PD request failed with status (400|500): POST \/pd\/api\/v1\/schedulers: \[PD:core:ErrStoreNotFound\]store 404 not found$/);
        return true;
      });
    });
  }

  it('reads readiness from /pd/api/v2/ready, and a PD before v8.5.2 as ready', async () => {
    const { cluster } = await start({ pdVersion: 'v8.5.5' });
    const client = clientFor(cluster.directUrl());
    assert.equal(await client.ready(), true);
    cluster.faults.regionsNotLoaded = true;
    assert.equal(await client.ready(), false);
    await cluster.stop();
    cluster.clock.stop();
    const old = await start({ pdVersion: 'v6.5.0' });
    assert.equal(await clientFor(old.cluster.directUrl()).ready(), true);
  });

  it('shows a stopped TiKV as Disconnected, then its regions\' down peers', async () => {
    const { cluster, tikvs } = await start({ timing: { maxPeerDownMs: 30_000 } });
    const client = clientFor(cluster.directUrl());
    const victim = cluster.storeOfPod('basic-tikv-2');
    assert.ok(victim);
    tikvs.get('basic-tikv-2')?.kill();
    await eventually(() => client.store(victim.storeId), (store) => store.stateName === 'Disconnected');
    const check = await eventually(() => client.regionCheck('down-peer'), (result) => result.count > 0);
    assert.ok(check.regions.every((region) => region.downPeers.some((peer) => peer.storeId === victim.storeId)));
    assert.ok(check.regions.every((region) => region.storeIds.includes(victim.storeId)));
  });

  it('keeps a store the client evicted in the scheduler across its restart, until the client removes it', async () => {
    const { cluster, tikvs } = await start({ pdVersion: 'v8.5.5' });
    const client = clientFor(cluster.directUrl());
    const store = cluster.storeOfPod('basic-tikv-0');
    assert.ok(store);
    await client.addEvictLeader(store.storeId);
    await eventually(() => client.store(store.storeId), (s) => s.leaderCount === 0);
    await tikvs.get('basic-tikv-0')?.terminate();
    tikvs.set('basic-tikv-0', await cluster.startTikv({ podName: 'basic-tikv-0', namespace: 'ns', subdomain: 'basic-tikv-peer', image: 'pingcap/tikv:v8.5.5' }));
    const back = await eventually(() => client.store(store.storeId), (s) => s.stateName === 'Up' && s.startTimestampSec > store.startTimestampSec);
    assert.equal(back.version, '8.5.5');
    assert.equal(back.leaderCount, 0);
    assert.deepEqual((await client.evictLeaderState()).storeIds, [store.storeId]);
    assert.equal(await client.removeEvictLeader(store.storeId), 'removed');
    await eventually(() => client.store(store.storeId), (s) => s.leaderCount > 0);
  });
});
