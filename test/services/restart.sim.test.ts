import assert from 'node:assert/strict';
import type { Topology } from '../../src/core/model.ts';
import { systemClock } from '../../src/services/clock.ts';
import type { ProgressEvent } from '../../src/services/progress.ts';
import { runRestart } from '../../src/services/restart.ts';
import type { RollingDeps } from '../../src/services/rolling-run.ts';
import type { RestartOptions } from '../../src/services/restart-options.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import { maxConcurrentUnavailable, startSimCluster, storeUnavailability, type SimCluster } from '../sim/cluster.ts';
import { gracefulRestartMilestones, openSimSession } from './sim-session.ts';

const TIME_SCALE = 0.02;

function options(overrides: Partial<RestartOptions> = {}): RestartOptions {
  return {
    podNames: [],
    all: false,
    interactive: false,
    yes: true,
    evictTimeoutMs: 60_000,
    onEvictTimeout: 'abort',
    readyTimeoutMs: 60_000,
    leaderReturnTimeoutMs: 20_000,
    skipLeaderReturn: false,
    force: false,
    pollIntervalMs: 50,
    ...overrides,
  };
}

/** A PdClient that counts the scheduler calls the plugin makes. */
function counting(pd: PdClient): { pd: PdClient; added: number[]; removed: number[] } {
  const added: number[] = [];
  const removed: number[] = [];
  const wrapped: PdClient = Object.create(pd);
  wrapped.addEvictLeader = (storeId, o) => (added.push(storeId), pd.addEvictLeader(storeId, o));
  wrapped.removeEvictLeader = (storeId, o) => (removed.push(storeId), pd.removeEvictLeader(storeId, o));
  return { pd: wrapped, added, removed };
}

async function withCluster(topology: Topology, body: (sim: SimCluster) => Promise<void>, stores = 3): Promise<void> {
  const sim = await startSimCluster({ topology, stores, timeScale: TIME_SCALE, regionsPerStore: 30 });
  try {
    await body(sim);
  } finally {
    await sim.stop();
  }
}

const TOPOLOGIES: Topology[] = ['statefulset', 'tidb-operator-v1', 'tikv-operator', 'tidb-operator-v2'];

describe('services/restart against the simulated cluster', function () {
  this.timeout(120_000);

  for (const topology of TOPOLOGIES) {
    const evictedBy = topology === 'tidb-operator-v2' ? 'operator' : 'plugin';

    it(`${topology}: restarts one pod gracefully, in order, and leaves nothing behind`, async () => {
      await withCluster(topology, async (sim) => {
        const session = await openSimSession(sim);
        try {
          const { pd, added, removed } = counting(session.pd);
          const podName = sim.tikvPodNames()[1];
          const before = (await session.pd.stores()).find((s) => s.address.startsWith(`${podName}.`))!;
          const from = sim.history.entries.length;
          const events: ProgressEvent[] = [];
          const deps: RollingDeps = { session: { ...session, pd }, clock: systemClock, progress: { emit: (e) => events.push(e) }, signal: new AbortController().signal, holder: 'test (pid 1)' };
          const result = await runRestart(deps, options({ podNames: [podName] }));

          assert.equal(result.stores.length, 1);
          assert.equal(result.stores[0].outcome, 'done', result.stores[0].reason);
          gracefulRestartMilestones(sim.history.entries, from, before.storeId, podName, { evictedBy });
          const after = (await session.pd.stores()).find((s) => s.storeId === before.storeId)!;
          assert.equal(after.stateName, 'Up');
          assert.notEqual(after.startTimestampSec, before.startTimestampSec, 'the store restarted');
          assert.ok(after.leaderCount > 0, 'leaders came back');
          assert.deepEqual((await session.pd.evictLeaderState()).storeIds, [], 'no scheduler left');
          if (evictedBy === 'operator') {
            assert.deepEqual(added, [], 'never adds a scheduler the v2 operator would fight');
            assert.deepEqual(removed, []);
          } else {
            assert.deepEqual(added, [before.storeId]);
          }
          const deleted = sim.history.entries.slice(from).filter((e) => e.type === 'pod-deleting' && e.data.name === podName);
          assert.equal(deleted.length, 1, 'deleted exactly once');
          assert.equal(sim.history.entries.slice(from).filter((e) => e.type === 'regions-unavailable').length, 0, 'no region lost its leader');
          assert.equal(await sim.store.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, sim.namespace, `kubectl-tikv-${session.cluster.ref.name}`), undefined, 'Lease released');
        } finally {
          await session.dispose();
        }
      });
    });

    it(`${topology}: restart --all restarts every store once, one at a time`, async () => {
      await withCluster(topology, async (sim) => {
        const session = await openSimSession(sim);
        try {
          const from = sim.history.entries.length;
          const stores = await session.pd.stores();
          const result = await runRestart({ session, clock: systemClock, progress: { emit: () => {} }, signal: new AbortController().signal, holder: 'test (pid 1)' }, options({ all: true }));
          assert.deepEqual(result.stores.map((s) => s.outcome), ['done', 'done', 'done']);
          for (const store of stores) {
            const podName = store.address.split('.')[0];
            gracefulRestartMilestones(sim.history.entries, from, store.storeId, podName, { evictedBy });
          }
          const pods = sim.tikvPodNames();
          assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history.entries.slice(from), { podNames: pods })), 1);
          const after = await session.pd.stores();
          for (const store of stores) {
            const now = after.find((s) => s.storeId === store.storeId)!;
            assert.notEqual(now.startTimestampSec, store.startTimestampSec);
          }
          assert.deepEqual((await session.pd.evictLeaderState()).storeIds, []);
        } finally {
          await session.dispose();
        }
      });
    });
  }
});
