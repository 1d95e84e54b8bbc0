import assert from 'node:assert/strict';
import type { Store } from '../../src/core/model.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import { PdStoreNotFoundError } from '../../src/pd/pd-errors.ts';
import { EVICT_LEADER_SCHEDULER, LEGACY_EVICT_LEADER_PREFIX, isEvictLeaderSchedulerName } from '../../src/pd/pd-routes.ts';

/**
 * The behaviour services rely on from any PdClient, run against the in-memory fake (test/fakes/in-memory-pd.ts)
 * and against the undici client talking to the PD simulator, so that the fake cannot drift from PD's semantics.
 */

/** A running PD with a healthy cluster, as one contract test needs it. Each test gets a fresh one. */
export interface PdContractCluster {
  client: PdClient;
  /** Up stores the cluster starts with (at least three, every one holding leaders), ascending. */
  upStoreIds: number[];
  /** A Tombstone store (a replaced pod's old store); required when the contract runs with `tombstones: true`. */
  tombstoneStoreId?: number;
  /** PD's version as `/version` gives it, e.g. `v8.5.0`. */
  pdVersion: string;
  maxReplicas: number;
  leaderScheduleLimit: number;
  /** Stops the store's TiKV and starts it again (a pod restart), optionally on a new version; resolves once PD has seen it re-register. */
  restartStore(storeId: number, options?: { version?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface PdContractOptions {
  /** The cluster can hold a Tombstone store (`tombstoneStoreId`); the Tombstone tests run only then. Default true. */
  tombstones?: boolean;
  /** How long leaders may take to drain from / return to a store. Default 10 s. */
  leaderMovementTimeoutMs?: number;
  /** Pause between polls while waiting for leaders to move. Default 20 ms. */
  pollIntervalMs?: number;
}

/** Defines the contract suite for one PdClient implementation. Call inside a mocha file. */
export function runPdClientContract(name: string, start: () => Promise<PdContractCluster>, options: PdContractOptions = {}): void {
  const leaderMovementTimeoutMs = options.leaderMovementTimeoutMs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  const tombstones = options.tombstones ?? true;

  describe(`PdClient contract: ${name}`, function () {
    this.timeout(leaderMovementTimeoutMs * 3 + 10_000);
    let cluster: PdContractCluster;
    let client: PdClient;

    beforeEach(async () => {
      cluster = await start();
      client = cluster.client;
    });

    afterEach(async () => {
      await cluster.close();
    });

    async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
      const deadline = Date.now() + leaderMovementTimeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)} after ${leaderMovementTimeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
    }

    async function leadersOf(storeId: number): Promise<number> {
      return (await client.store(storeId)).leaderCount;
    }

    describe('stores', () => {
      it('lists the Up stores with their identity, version and heartbeat', async () => {
        const stores = await client.stores();
        const up = stores.filter((store) => store.stateName === 'Up');
        assert.deepEqual(
          up.map((store) => store.storeId).sort((a, b) => a - b),
          cluster.upStoreIds,
        );
        for (const store of up) {
          assert.match(store.address, /^[^:]+:\d+$/);
          assert.match(store.version, /^\d+\.\d+\.\d+/, 'no leading v');
          assert.ok(store.startTimestampSec > 1_600_000_000 && store.startTimestampSec < 1e10, 'start timestamp in seconds');
          assert.ok(store.lastHeartbeatMs > 1_600_000_000_000 && store.lastHeartbeatMs < 1e14, 'heartbeat in milliseconds');
          assert.ok(store.leaderCount > 0, `store ${store.storeId} holds leaders`);
          assert.ok(store.regionCount >= store.leaderCount);
        }
      });

      it('reads one store as the list shows it', async () => {
        const [listed] = await client.stores();
        const one = await client.store(listed.storeId);
        assert.deepEqual(identity(one), identity(listed));
      });

      it('rejects an unknown store with PdStoreNotFoundError naming it', async () => {
        const unknown = Math.max(...cluster.upStoreIds, cluster.tombstoneStoreId ?? 0) + 1000;
        await assert.rejects(client.store(unknown), (error: unknown) => error instanceof PdStoreNotFoundError && error.storeId === unknown);
      });

      // Defined only for clusters that can make a Tombstone store (PdContractOptions.tombstones).
      if (tombstones) it('hides Tombstone stores unless asked, and reads one by id', async () => {
        const tombstoneId = cluster.tombstoneStoreId;
        assert.ok(tombstoneId !== undefined, 'a cluster run with tombstones names its Tombstone store');
        assert.ok(!(await client.stores()).some((store) => store.storeId === tombstoneId));
        const all = await client.stores({ includeTombstone: true });
        assert.equal(all.find((store) => store.storeId === tombstoneId)?.stateName, 'Tombstone');
        assert.equal((await client.store(tombstoneId)).stateName, 'Tombstone');
      });
    });

    describe('evict-leader scheduler', () => {
      it('starts with no store evicted and PD\'s own schedulers listed', async () => {
        assert.deepEqual(await client.evictLeaderState(), { storeIds: [], schedulerNames: [] });
        const names = await client.schedulers();
        assert.ok(names.includes('balance-leader-scheduler'));
        assert.ok(!names.some(isEvictLeaderSchedulerName));
      });

      it('adds stores idempotently and removes them one by one, the last removal removing the scheduler', async () => {
        const [a, b] = cluster.upStoreIds;
        await client.addEvictLeader(a);
        await client.addEvictLeader(a);
        // PD ≤ v3.0 runs one scheduler per store.
        const schedulerName = legacyEvictLeader(cluster.pdVersion) ? `${LEGACY_EVICT_LEADER_PREFIX}${a}` : EVICT_LEADER_SCHEDULER;
        assert.deepEqual(await client.evictLeaderState(), { storeIds: [a], schedulerNames: [schedulerName] });
        assert.ok((await client.schedulers()).includes(schedulerName));
        await client.addEvictLeader(b);
        assert.deepEqual((await client.evictLeaderState()).storeIds, [a, b].sort((x, y) => x - y));

        assert.equal(await client.removeEvictLeader(a), 'removed');
        assert.deepEqual((await client.evictLeaderState()).storeIds, [b]);
        assert.equal(await client.removeEvictLeader(a), 'absent');
        assert.equal(await client.removeEvictLeader(b), 'removed');
        assert.deepEqual(await client.evictLeaderState(), { storeIds: [], schedulerNames: [] });
        assert.ok(!(await client.schedulers()).some(isEvictLeaderSchedulerName));
      });

      it('answers absent when removing a store that was never added', async () => {
        assert.equal(await client.removeEvictLeader(cluster.upStoreIds[0]), 'absent');
      });

      it('refuses to add an unknown store and changes nothing', async () => {
        const unknown = Math.max(...cluster.upStoreIds, cluster.tombstoneStoreId ?? 0) + 1000;
        await assert.rejects(client.addEvictLeader(unknown), (error: unknown) => error instanceof PdStoreNotFoundError && error.storeId === unknown);
        assert.deepEqual((await client.evictLeaderState()).storeIds, []);
      });

      it('drains an evicted store to 0 leaders, keeps it at 0, and gives leaders back after removal', async () => {
        const storeId = cluster.upStoreIds[0];
        const before = await leadersOf(storeId);
        assert.ok(before > 0);
        await client.addEvictLeader(storeId);
        await until(`leaders of evicted store ${storeId}`, () => leadersOf(storeId), (count) => count === 0);
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs * 3));
        assert.equal(await leadersOf(storeId), 0, 'an evicted store receives no leaders');
        assert.equal(await client.removeEvictLeader(storeId), 'removed');
        await until(`leaders of store ${storeId} after its eviction ended`, () => leadersOf(storeId), (count) => count > 0);
      });

      it('keeps a restarted store at 0 leaders while it is still evicted, with a new start timestamp', async () => {
        const storeId = cluster.upStoreIds[1];
        const before = await client.store(storeId);
        await client.addEvictLeader(storeId);
        await until(`leaders of evicted store ${storeId}`, () => leadersOf(storeId), (count) => count === 0);
        await cluster.restartStore(storeId);
        const after = await until(`store ${storeId} Up again`, () => client.store(storeId), (store) => store.stateName === 'Up' && store.startTimestampSec !== before.startTimestampSec);
        assert.ok(after.startTimestampSec > before.startTimestampSec);
        assert.equal(after.leaderCount, 0);
        assert.deepEqual((await client.evictLeaderState()).storeIds, [storeId], 'PD never removes the scheduler by itself');
        assert.equal(await client.removeEvictLeader(storeId), 'removed');
      });
    });

    describe('cluster information', () => {
      it('names a PD leader among healthy members', async () => {
        const members = await client.members();
        assert.ok(members.clusterId !== '');
        assert.ok(members.leader, 'a leader');
        assert.ok(members.members.some((member) => member.name === members.leader?.name));
        const health = await client.health();
        assert.deepEqual(
          health.map((member) => member.name).sort(),
          members.members.map((member) => member.name).sort(),
        );
        assert.ok(health.every((member) => member.healthy === true));
      });

      it('reports PD\'s version with a leading v', async () => {
        assert.equal(await client.version(), cluster.pdVersion);
      });

      it('reads the replication and schedule configuration', async () => {
        assert.equal((await client.replicationConfig()).maxReplicas, cluster.maxReplicas);
        assert.equal((await client.scheduleConfig()).leaderScheduleLimit, cluster.leaderScheduleLimit);
      });

      it('finds no unhealthy regions in a healthy cluster', async () => {
        for (const kind of ['down-peer', 'miss-peer', 'pending-peer'] as const) {
          assert.equal((await client.regionCheck(kind)).count, 0, kind);
        }
      });

      it('is ready', async () => {
        assert.equal(await client.ready(), true);
      });
    });

    describe('cancellation', () => {
      it('rejects with the abort reason when the signal is already aborted', async () => {
        const reason = new Error('interrupted');
        await assert.rejects(client.stores({ signal: AbortSignal.abort(reason) }), (error: unknown) => error === reason);
        await assert.rejects(client.addEvictLeader(cluster.upStoreIds[0], { signal: AbortSignal.abort(reason) }), (error: unknown) => error === reason);
        assert.deepEqual((await client.evictLeaderState()).storeIds, [], 'an aborted add does nothing');
      });
    });
  });
}

function legacyEvictLeader(pdVersion: string): boolean {
  const major = Number(/^v?(\d+)\./.exec(pdVersion)?.[1] ?? 'NaN');
  return major < 4;
}

function identity(store: Store): Pick<Store, 'storeId' | 'address' | 'statusAddress' | 'version' | 'stateName' | 'startTimestampSec' | 'labels'> {
  const { storeId, address, statusAddress, version, stateName, startTimestampSec, labels } = store;
  return { storeId, address, statusAddress, version, stateName, startTimestampSec, labels };
}
