import assert from 'node:assert/strict';
import type { Topology } from '../../src/core/model.ts';
import type { ProgressEvent } from '../../src/services/progress.ts';
import { runRestart } from '../../src/services/restart.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import { maxConcurrentUnavailable, storeUnavailability } from '../sim/cluster.ts';
import { restartOptions, testDeps, withSimSession } from './sim-fixtures.ts';
import { gracefulRestartMilestones } from './sim-session.ts';



/** A PdClient that counts the scheduler calls the plugin makes. */
function counting(pd: PdClient): { pd: PdClient; added: number[]; removed: number[] } {
  const added: number[] = [];
  const removed: number[] = [];
  const wrapped: PdClient = Object.create(pd);
  wrapped.addEvictLeader = (storeId, o) => (added.push(storeId), pd.addEvictLeader(storeId, o));
  wrapped.removeEvictLeader = (storeId, o) => (removed.push(storeId), pd.removeEvictLeader(storeId, o));
  return { pd: wrapped, added, removed };
}


const TOPOLOGIES: Topology[] = ['statefulset', 'tidb-operator-v1', 'tikv-operator', 'tidb-operator-v2'];

describe('services/restart against the simulated cluster', function () {
  this.timeout(120_000);

  for (const topology of TOPOLOGIES) {
    const evictedBy = topology === 'tidb-operator-v2' ? 'operator' : 'plugin';

    it(`${topology}: restarts one pod gracefully, in order, and leaves nothing behind`, async () => {
      await withSimSession({ topology }, async (sim, _deps, session) => {
        const { pd, added, removed } = counting(session.pd);
        const podName = sim.tikvPodNames()[1];
        const before = (await session.pd.stores()).find((s) => s.address.startsWith(`${podName}.`))!;
        const from = sim.history.entries.length;
        const events: ProgressEvent[] = [];
        const deps = testDeps(session, { session: { ...session, pd }, progress: { emit: (e) => events.push(e) } });
        const result = await runRestart(deps, restartOptions({ podNames: [podName] }));

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
      });
    });

    it(`${topology}: restart --all restarts every store once, one at a time`, async () => {
      await withSimSession({ topology }, async (sim, deps, session) => {
        const from = sim.history.entries.length;
        const stores = await session.pd.stores();
        const result = await runRestart(deps, restartOptions({ all: true }));
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
      });
    });
  }
});
