import assert from 'node:assert/strict';
import type { Topology } from '../../src/core/model.ts';
import { ExitCode } from '../../src/errors.ts';
import { runUpgrade } from '../../src/services/upgrade.ts';
import { maxConcurrentUnavailable, storeUnavailability, type SimClusterOptions } from '../sim/cluster.ts';
import { rejection, upgradeOptions, withSimSession } from './sim-fixtures.ts';
import { gracefulRestartMilestones } from './sim-session.ts';

const CASES: { name: string; topology: Topology; sim?: Partial<SimClusterOptions>; mode: 'driven' | 'followed' }[] = [
  { name: 'StatefulSet (RollingUpdate partition)', topology: 'statefulset', mode: 'driven' },
  { name: 'StatefulSet (OnDelete)', topology: 'statefulset', sim: { updateStrategy: 'OnDelete' }, mode: 'driven' },
  { name: "the seed's tikv-operator", topology: 'tikv-operator', mode: 'driven' },
  { name: 'tidb-operator v1 (RollingUpdate, followed)', topology: 'tidb-operator-v1', mode: 'followed' },
  { name: 'tidb-operator v1 (OnDelete, driven)', topology: 'tidb-operator-v1', sim: { updateStrategy: 'OnDelete' }, mode: 'driven' },
  { name: 'tidb-operator v2 (followed)', topology: 'tidb-operator-v2', mode: 'followed' },
];

describe('services/upgrade against the simulated cluster', function () {
  this.timeout(180_000);

  for (const c of CASES) {
    it(`${c.name}: upgrades 5 stores one at a time, evicting first, nothing left behind`, async () => {
      await withSimSession({ topology: c.topology, stores: 5, ...c.sim }, async (sim, deps) => {
        const before = await deps.session.pd.stores();
        const from = sim.history.entries.length;
        const result = await runUpgrade(deps, upgradeOptions());
        assert.equal(result.mode, c.mode);
        assert.equal(result.verified?.ok, true, result.verified?.mismatches.join('; '));
        assert.equal(result.stores.length, 5);
        assert.ok(result.stores.every((s) => s.outcome === 'done'));
        const after = await deps.session.pd.stores();
        for (const store of after) assert.equal(store.version, '8.5.1', `store ${store.storeId}`);
        assert.deepEqual((await deps.session.pd.evictLeaderState()).storeIds, [], 'no scheduler left');
        const pods = sim.tikvPodNames();
        assert.equal(maxConcurrentUnavailable(storeUnavailability(sim.history.entries.slice(from), { podNames: pods })), 1, 'one store unavailable at a time');
        const lastUpgraded = result.stores.at(-1)?.storeId;
        for (const store of before) {
          gracefulRestartMilestones(sim.history.entries, from, store.storeId, store.address.split('.')[0], {
            evictedBy: c.mode === 'followed' ? 'operator' : 'plugin',
            // tidb-operator v1 ends every eviction of the cluster once its StatefulSet has no pod left on the old
            // revision, which (OnDelete) is the moment the last pod is recreated: before kubectl-tikv would.
            operatorMayEndIt: c.topology === 'tidb-operator-v1' && store.storeId === lastUpgraded,
          });
        }
        assert.equal(sim.history.entries.slice(from).filter((e) => e.type === 'regions-unavailable').length, 0, 'no region lost its leader');
      });
    });
  }

  it('refuses a downgrade before anything changes', async () => {
    await withSimSession({ topology: 'statefulset', stores: 3 }, async (sim, deps) => {
      const from = sim.history.entries.length;
      const error = await rejection(runUpgrade(deps, upgradeOptions({ targetVersion: 'v8.1.0' })));
      assert.equal(error.code, ExitCode.usage);
      assert.match(error.message, /would downgrade store \d+ \(pod basic-tikv-\d\) from 8.5.0/);
      assert.equal(sim.history.entries.slice(from).filter((e) => e.source === 'kube' && /created|updated|deleting|patched/.test(e.type)).length, 0, 'nothing changed');
    });
  });

  it('shows the plan on --dry-run and changes nothing', async () => {
    await withSimSession({ topology: 'tikv-operator', stores: 3 }, async (sim, deps) => {
      const from = sim.history.entries.length;
      const result = await runUpgrade(deps, upgradeOptions({ dryRun: true }));
      assert.equal(result.dryRun, true);
      assert.equal(result.plan.entries.filter((e) => e.action === 'upgrade').length, 3);
      assert.equal(result.gates?.passed, true);
      assert.equal(sim.history.entries.slice(from).filter((e) => e.source === 'kube' && /created|updated|deleting/.test(e.type)).length, 0, 'nothing changed');
    });
  });

  it('warns when TiKV would run ahead of PD', async () => {
    await withSimSession({ topology: 'statefulset', stores: 3, pdVersion: 'v8.5.0' }, async (_sim, deps) => {
      const result = await runUpgrade(deps, upgradeOptions({ dryRun: true }));
      assert.ok(result.warnings.some((w) => /TiKV 8.5.1 would run ahead of PD 8.5.0/.test(w)), result.warnings.join('; '));
    });
  });
});
