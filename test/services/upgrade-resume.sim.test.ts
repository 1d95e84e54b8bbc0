import assert from 'node:assert/strict';
import { ExitCode, UserError } from '../../src/errors.ts';
import type { ProgressEvent, StoreAction } from '../../src/services/progress.ts';
import { RollingRunError, type RollingDeps } from '../../src/services/rolling-run.ts';
import { runUpgrade, type UpgradeResult } from '../../src/services/upgrade.ts';
import type { SimCluster } from '../sim/cluster.ts';
import { testDeps, upgradeOptions, withSimSession, type SimSession } from './sim-fixtures.ts';

/** Deps with a short Lease (2 s, renewed every 300 ms) so takeover tests need not wait 30 s. */
function deps(session: SimSession, overrides: Partial<RollingDeps> = {}): RollingDeps {
  return testDeps(session, { holder: 'run-a (pid 1)', leaseTiming: { durationSec: 2, renewEveryMs: 300 }, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<RollingRunError<UpgradeResult>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RollingRunError, String(error));
    return error as RollingRunError<UpgradeResult>;
  }
  assert.fail('expected the upgrade to stop');
}

function deletionsOf(sim: SimCluster, from: number, podName: string): number {
  return sim.history.entries.slice(from).filter((e) => e.type === 'pod-deleting' && e.data.name === podName).length;
}

describe('services/upgrade interrupted, resumed, concurrent', function () {
  this.timeout(120_000);

  const interruptAt: StoreAction[] = ['scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-ready', 'store-up'];
  for (const point of interruptAt) {
    it(`interrupted at ${point} of the second store: cleans up, exits 130; the same command resumes and finishes`, async () => {
      await withSimSession({ topology: 'statefulset' }, async (sim, _deps, session) => {
        const from = sim.history.entries.length;
        const controller = new AbortController();
        let stores = 0;
        const progress = {
          emit: (event: ProgressEvent) => {
            if (event.type === 'store-start') stores++;
            if (stores === 2 && event.type === 'action' && event.action === point) controller.abort(new Error('SIGINT'));
          },
        };
        const error = await failure(runUpgrade(deps(session, { progress, signal: controller.signal }), upgradeOptions()));
        assert.equal(error.code, ExitCode.interrupted, error.message);
        assert.deepEqual((await session.pd.evictLeaderState()).storeIds, [], 'no scheduler left after the interrupt');

        const infos: string[] = [];
        const resumed = await runUpgrade(deps(session, { holder: 'run-b (pid 2)', progress: { emit: (e) => (e.type === 'info' ? infos.push(e.message) : undefined) } }), upgradeOptions());
        assert.equal(resumed.resumed, true);
        assert.ok(infos.some((m) => /resuming the upgrade to 8.5.1/.test(m)), infos.join('; '));
        assert.equal(resumed.verified?.ok, true, resumed.verified?.mismatches.join('; '));
        for (const podName of sim.tikvPodNames()) assert.equal(deletionsOf(sim, from, podName), 1, `${podName} replaced exactly once`);
        assert.deepEqual((await session.pd.evictLeaderState()).storeIds, []);
      });
    });
  }

  it('refuses a second run while the first holds the Lease, naming the holder; takes a stale Lease over', async () => {
    await withSimSession({ topology: 'statefulset' }, async (sim, _deps, session) => {
      const controller = new AbortController();
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const first = runUpgrade(deps(session, { signal: controller.signal, progress: { emit: (e) => e.type === 'action' && e.action === 'scheduler-added' && started() } }), upgradeOptions()).catch((e: unknown) => e);
      await running;
      const refused = await runUpgrade(deps(session, { holder: 'run-b (pid 2)' }), upgradeOptions()).then(() => undefined, (e: unknown) => e);
      assert.ok(refused instanceof UserError, String(refused));
      assert.match((refused as UserError).message, /another kubectl-tikv run is working on cluster basic-tikv: run-a \(pid 1\) \(upgrade --version 8.5.1\)/);
      controller.abort(new Error('SIGINT'));
      await first;

      // A run killed outright leaves a Lease nobody renews: the next run takes it over once it expired.
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
      const name = 'kubectl-tikv-basic-tikv';
      const old = new Date(Date.now() - 60_000).toISOString().replace('Z', '000Z');
      const existing = sim.store.get(lease, sim.namespace, name);
      if (existing) sim.store.remove(lease, sim.namespace, name);
      sim.store.create({ ...lease, metadata: { name, namespace: sim.namespace }, spec: { holderIdentity: 'killed (pid 9)', leaseDurationSeconds: 2, acquireTime: old, renewTime: old } });
      const warnings: string[] = [];
      const result = await runUpgrade(deps(session, { holder: 'run-c (pid 3)', progress: { emit: (e) => (e.type === 'warning' ? warnings.push(e.message) : undefined) } }), upgradeOptions());
      assert.equal(result.verified?.ok, true);
      assert.ok(warnings.some((w) => /took over the Lease of a run that stopped renewing it \(killed \(pid 9\)\)/.test(w)), warnings.join('; '));
    });
  });

  it('stops when a store never comes back Up: scheduler removed, says how to resume', async () => {
    await withSimSession({ topology: 'statefulset' }, async (sim, _deps, session) => {
      const victim = sim.tikvPodNames()[2];
      sim.faults.tikv(victim).neverHeartbeat = true;
      const error = await failure(runUpgrade(deps(session), upgradeOptions({ readyTimeoutMs: 3_000, order: 'reverse-ordinal' })));
      assert.equal(error.code, ExitCode.failed);
      assert.match(error.message, /store \d+ (is Disconnected|re-registered but has not sent a heartbeat) within the ready timeout; the evict-leader scheduler of store \d+ was removed/);
      assert.ok(error.suggestions.some((s) => /Run the same 'kubectl tikv upgrade' command again/.test(s)), error.suggestions.join(' | '));
      assert.deepEqual((await session.pd.evictLeaderState()).storeIds, []);
      assert.equal(error.result.stores.at(-1)?.outcome, 'failed');
    });
  });

  it('warns about a pod on an unexpected image in the plan', async () => {
    await withSimSession({ topology: 'statefulset' }, async (sim, _deps, session) => {
      const pod = sim.tikvPodNames()[0];
      sim.store.mutate({ apiVersion: 'v1', kind: 'Pod' }, sim.namespace, pod, (p: { spec?: { containers?: { name: string; image?: string }[] } } & import('../../src/kube/kube.ts').KubeObject) => {
        for (const c of p.spec?.containers ?? []) if (c.name === 'tikv') c.image = 'example.com/tikv:v8.4.0';
      });
      const result = await runUpgrade(deps(session), upgradeOptions({ dryRun: true }));
      assert.ok(result.warnings.some((w) => new RegExp(`pod ${pod} runs image example.com/tikv:v8.4.0 but its store reports version 8.5.0`).test(w)), result.warnings.join('; '));
    });
  });
});
