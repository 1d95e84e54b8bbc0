import assert from 'node:assert/strict';
import { ExitCode } from '../../src/errors.ts';
import { runEvict } from '../../src/services/evict.ts';
import { evictOptions, rejection, withSimSession } from './sim-fixtures.ts';

describe('services/evict against the simulated cluster', function () {
  this.timeout(60_000);

  it('evicts a store to 0 leaders, lists it as ours, and ends it', async () => {
    await withSimSession({ topology: 'statefulset' }, async (sim, deps) => {
      const pod = sim.tikvPodNames()[0];
      const begun = await runEvict(deps, evictOptions({ podName: pod }));
      assert.equal(begun.action, 'begin');
      if (begun.action !== 'begin') return;
      assert.equal(begun.store.outcome, 'done');
      const store = await deps.session.pd.store(begun.storeId);
      assert.equal(store.leaderCount, 0);
      assert.deepEqual((await deps.session.pd.evictLeaderState()).storeIds, [begun.storeId], 'the eviction stays');

      const listed = await runEvict(deps, evictOptions({ list: true }));
      assert.equal(listed.action, 'list');
      if (listed.action !== 'list') return;
      assert.deepEqual(listed.evictions.map((e) => [e.storeId, e.podName, e.owner, e.leadersTikv]), [[begun.storeId, pod, 'kubectl-tikv', 0]]);

      const ended = await runEvict(deps, evictOptions({ storeId: begun.storeId, end: true }));
      assert.equal(ended.action === 'end' && ended.removed, true);
      assert.deepEqual((await deps.session.pd.evictLeaderState()).storeIds, []);
      const again = await runEvict(deps, evictOptions({ storeId: begun.storeId, end: true }));
      assert.match(again.action === 'end' ? again.message : '', /is not being evicted; nothing to end/);
    });
  });

  it('removes the scheduler again when leaders never drain (max-replicas 1 forced)', async () => {
    await withSimSession(
      { topology: 'statefulset', maxReplicas: 1 },
      async (sim, deps) => {
        const error = await rejection(runEvict(deps, evictOptions({ podName: sim.tikvPodNames()[1], evictTimeoutMs: 1_000, force: true })));
        assert.equal(error.code, ExitCode.failed);
        assert.match(error.message, /still holds \d+ leader\(s\) after the eviction timeout.*the evict-leader scheduler of store \d+ was removed/);
        assert.deepEqual((await deps.session.pd.evictLeaderState()).storeIds, []);
      },
    );
  });

  it('refuses on tidb-operator v2 without --force and changes nothing', async () => {
    await withSimSession({ topology: 'tidb-operator-v2' }, async (sim, deps) => {
      const error = await rejection(runEvict(deps, evictOptions({ podName: sim.tikvPodNames()[0] })));
      assert.equal(error.code, ExitCode.usage);
      assert.match(error.message, /tidb-operator v2 removes every evict-leader scheduler it did not ask for/);
      assert.match(error.suggestions[0], /kubectl tikv restart/);
      assert.deepEqual((await deps.session.pd.evictLeaderState()).storeIds, []);
    });
  });

  it('answers an unknown store id or pod with a usage error listing what exists', async () => {
    await withSimSession({ topology: 'statefulset' }, async (_sim, deps) => {
      const missing = await rejection(runEvict(deps, evictOptions({ storeId: 999 })));
      assert.equal(missing.code, ExitCode.usage);
      assert.match(missing.message, /store 999 does not exist in PD/);
      assert.match(missing.suggestions[0], /Stores of basic-tikv: \d+ \(basic-tikv-0\)/);
      const pod = await rejection(runEvict(deps, evictOptions({ podName: 'basic-pd-0' })));
      assert.match(pod.message, /pod "basic-pd-0" is not a TiKV pod of cluster basic-tikv/);
      assert.deepEqual((await deps.session.pd.evictLeaderState()).storeIds, []);
    });
  });
});
