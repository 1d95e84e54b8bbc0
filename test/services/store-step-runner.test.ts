import assert from 'node:assert/strict';
import { aTarget } from '../core/builders.ts';
import { ExitCode } from '../../src/errors.ts';
import type { StoreAction } from '../../src/services/progress.ts';
import { runStoreStep, StoreStepError, type StepRunnerDeps, type StepRunSettings } from '../../src/services/store-step-runner.ts';
import { FakeWorld } from './fake-world.ts';

const target = aTarget;

function settings(signal = new AbortController().signal): StepRunSettings {
  return { runId: 'run-1', command: 'restart', holder: 'tester@host (pid 1)', pollIntervalMs: 1_000, cleanupTimeoutMs: 5_000, signal };
}

function actions(world: FakeWorld): StoreAction[] {
  return world.progressEvents.flatMap((e) => (e.type === 'action' ? [e.action] : []));
}

async function expectStepError(promise: Promise<unknown>): Promise<StoreStepError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StoreStepError, `expected a StoreStepError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the step to fail');
}

/** Deps whose every call hangs once `frozen` is set: what the cluster sees of a process killed with -9. */
function freezable(deps: StepRunnerDeps): { deps: StepRunnerDeps; freeze: () => void } {
  let frozen = false;
  const never = () => new Promise<never>(() => {});
  const wrap = <T extends object>(object: T): T =>
    new Proxy(object, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (frozen ? never() : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  return {
    deps: { ...deps, pd: wrap(deps.pd), tikv: wrap(deps.tikv), pods: wrap(deps.pods), records: wrap(deps.records), restart: wrap(deps.restart), clock: wrap(deps.clock) },
    freeze: () => {
      frozen = true;
    },
  };
}

describe('services/store-step-runner', () => {
  it('restarts a store in the contract order and leaves nothing behind', async () => {
    const world = new FakeWorld({ leaders: 300 });
    const result = await runStoreStep(world.deps(), target(), world.member('basic-tikv-1'), settings());
    assert.equal(result.outcome, 'done');
    assert.deepEqual(actions(world), [
      'record-written',
      'scheduler-added',
      'leaders-drained',
      'restart-triggered',
      'pod-replaced',
      'pod-ready',
      'store-up',
      'scheduler-removed',
      'leaders-returned',
      'record-cleared',
    ]);
    assert.deepEqual(world.pd.evictingStoreIds(), []);
    assert.equal(world.records.size, 0);
    assert.ok(world.pd.peekStore(2)!.leaderCount >= 200, 'leaders came back to 2/3');
    assert.ok(result.durationsMs.eviction! > 0 && result.durationsMs.restart! > 0);
    assert.deepEqual(world.events.map((e) => e.event.reason), ['EvictLeaderBegin', 'RestartTriggered', 'EvictLeaderEnd', 'RestartDone']);
    // The pod was deleted only after PD said 0 leaders.
    const zero = world.log.findIndex((e) => e.what === 'pd:leaders-zero:2');
    const deleted = world.log.findIndex((e) => e.what === 'pod-deleted:basic-tikv-1');
    assert.ok(zero >= 0 && zero < deleted);
  });

  it('does not restart while PD says 0 but the TiKV still holds leaders (stale PD count)', async () => {
    const world = new FakeWorld();
    world.pd.neverDrain(2);
    world.pd.updateStore(2, { leaderCount: 0 });
    world.tikv.set('basic-tikv-1', 25);
    const error = await expectStepError(runStoreStep(world.deps(), target({ evictTimeoutMs: 30_000 }), world.member('basic-tikv-1'), settings()));
    assert.match(error.message, /store 2 still holds 25 leader\(s\) after the eviction timeout \(0 leader\(s\) per PD, 25 per TiKV\)/);
    assert.ok(!world.log.some((e) => e.what.startsWith('pod-deleted')));
  });

  it('aborts at the eviction timeout: scheduler removed, pod untouched, exit 1', async () => {
    const world = new FakeWorld();
    world.pd.neverDrain(2);
    const uid = world.pods.get('basic-tikv-1')!.uid;
    const error = await expectStepError(runStoreStep(world.deps(), target({ evictTimeoutMs: 20_000 }), world.member('basic-tikv-1'), settings()));
    assert.equal(error.code, ExitCode.failed);
    assert.match(error.message, /after the eviction timeout .* pod basic-tikv-1 was not restarted; the evict-leader scheduler of store 2 was removed/);
    assert.match(error.suggestions[0], /--evict-timeout/);
    assert.equal(world.pods.get('basic-tikv-1')!.uid, uid);
    assert.deepEqual(world.pd.evictingStoreIds(), []);
    assert.equal(world.records.size, 0);
    assert.equal(error.result.outcome, 'failed');
  });

  it('restarts anyway at the eviction timeout with --on-evict-timeout restart, and warns', async () => {
    const world = new FakeWorld();
    world.pd.neverDrain(2);
    const result = await runStoreStep(world.deps(), target({ evictTimeoutMs: 20_000, onEvictTimeout: 'restart', skipLeaderReturn: true }), world.member('basic-tikv-1'), settings());
    assert.equal(result.outcome, 'done');
    assert.ok(result.warnings.some((w) => /still held 100 leader\(s\) when pod basic-tikv-1 was restarted/.test(w)));
    assert.deepEqual(world.pd.evictingStoreIds(), []);
  });

  it('removes the scheduler when the new pod never becomes Ready', async () => {
    const world = new FakeWorld();
    world.neverReady.add('basic-tikv-1');
    const error = await expectStepError(runStoreStep(world.deps(), target({ readyTimeoutMs: 60_000 }), world.member('basic-tikv-1'), settings()));
    assert.match(error.message, /pod basic-tikv-1 did not become Ready within the ready timeout; the evict-leader scheduler of store 2 was removed; the step record stays so that the next run finishes this store/);
    assert.deepEqual(world.pd.evictingStoreIds(), []);
    assert.equal(world.records.get('2')?.phase, 'restarting', 'the record tells the next run the pod is mid-restart');
  });

  it('removes the scheduler when the store never comes back Up', async () => {
    const world = new FakeWorld();
    world.neverUp.add(2);
    const error = await expectStepError(runStoreStep(world.deps(), target({ readyTimeoutMs: 60_000 }), world.member('basic-tikv-1'), settings()));
    assert.match(error.message, /store 2 has not re-registered with PD \(same start time\) within the ready timeout/);
    assert.deepEqual(world.pd.evictingStoreIds(), []);
  });

  it('re-adds a scheduler removed behind its back and says so', async () => {
    const world = new FakeWorld({ leaders: 400 });
    const deps = world.deps();
    let removed = false;
    const progress = deps.progress;
    deps.progress = {
      emit: (event) => {
        progress.emit(event);
        if (!removed && event.type === 'action' && event.action === 'scheduler-added') {
          removed = true;
          world.pd.removeEvictionBehindOurBack(2);
        }
      },
    };
    const result = await runStoreStep(deps, target(), world.member('basic-tikv-1'), settings());
    assert.equal(result.outcome, 'done');
    assert.ok(result.warnings.some((w) => /removed from the evict-leader scheduler by someone else; added it again/.test(w)));
    assert.equal(actions(world).filter((a) => a === 'scheduler-added').length, 2);
    assert.deepEqual(world.pd.evictingStoreIds(), []);
  });

  it('does not delete a pod someone else restarted during eviction, and warns', async () => {
    const world = new FakeWorld({ leaders: 400 });
    const deps = world.deps();
    let restarted = false;
    const progress = deps.progress;
    deps.progress = {
      emit: (event) => {
        progress.emit(event);
        if (!restarted && event.type === 'action' && event.action === 'scheduler-added') {
          restarted = true;
          world.restartPod('basic-tikv-1', world.pods.get('basic-tikv-1')!.uid);
        }
      },
    };
    const result = await runStoreStep(deps, target(), world.member('basic-tikv-1'), settings());
    assert.equal(result.outcome, 'done');
    assert.equal(world.log.filter((e) => e.what === 'pod-deleted:basic-tikv-1').length, 1);
    assert.ok(!actions(world).includes('restart-triggered'));
    assert.ok(result.warnings.some((w) => /restarted before its leaders were evicted \(not by kubectl-tikv\)/.test(w)));
    assert.deepEqual(world.pd.evictingStoreIds(), []);
  });

  it('restarts without eviction on a single-store cluster', async () => {
    const world = new FakeWorld({ stores: 1 });
    const result = await runStoreStep(world.deps(), target({ podName: 'basic-tikv-0', storeId: 1, eviction: 'none' }), world.member('basic-tikv-0'), settings());
    assert.equal(result.outcome, 'done');
    assert.ok(!actions(world).includes('scheduler-added'));
    assert.equal(world.pd.callsOf('addEvictLeader').length, 0);
  });

  const interruptPoints: StoreAction[] = ['record-written', 'scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-replaced', 'pod-ready', 'store-up', 'scheduler-removed'];
  for (const point of interruptPoints) {
    it(`on Ctrl+C after ${point}: cleans up, exits 130 and names what happened`, async () => {
      const world = new FakeWorld({ leaders: 300 });
      const deps = world.deps();
      const controller = new AbortController();
      const progress = deps.progress;
      deps.progress = {
        emit: (event) => {
          progress.emit(event);
          if (event.type === 'action' && event.action === point) controller.abort(new Error('SIGINT'));
        },
      };
      const error = await expectStepError(runStoreStep(deps, target(), world.member('basic-tikv-1'), settings(controller.signal)));
      assert.equal(error.code, ExitCode.interrupted);
      assert.match(error.message, /^interrupted while restarting store 2 \(pod basic-tikv-1, (already|not) restarted\)/);
      assert.deepEqual(world.pd.evictingStoreIds(), [], 'no scheduler left');
      const touched = interruptPoints.indexOf(point) >= interruptPoints.indexOf('restart-triggered');
      if (!touched) {
        assert.equal(world.records.size, 0, 'an untouched store keeps no record');
        assert.equal(world.log.filter((e) => e.what === 'pod-deleted:basic-tikv-1').length, 0, 'the pod was not restarted');
      } else {
        assert.ok(world.records.has('2'), 'a touched store keeps its record for the next run');
        world.progressEvents.length = 0;
        const again = await runStoreStep(world.deps(), target(), world.member('basic-tikv-1'), { ...settings(), runId: 'run-2' });
        assert.equal(again.outcome, 'done');
        assert.equal(world.records.size, 0);
        assert.deepEqual(world.pd.evictingStoreIds(), []);
        assert.equal(world.log.filter((e) => e.what === 'pod-deleted:basic-tikv-1').length, 1, 'restarted exactly once');
      }
      assert.equal(error.result.outcome, 'interrupted');
    });
  }

  const killPoints: StoreAction[] = ['record-written', 'scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-replaced', 'pod-ready', 'store-up', 'scheduler-removed'];
  for (const point of killPoints) {
    it(`after kill -9 following ${point}, a second run finishes the step without restarting twice`, async () => {
      const world = new FakeWorld({ leaders: 300 });
      const { deps, freeze } = freezable(world.deps());
      const progress = deps.progress;
      let killed = false;
      deps.progress = {
        emit: (event) => {
          progress.emit(event);
          if (event.type === 'action' && event.action === point) {
            killed = true;
            freeze();
          }
        },
      };
      void runStoreStep(deps, target(), world.member('basic-tikv-1'), settings()).catch(() => {});
      for (let i = 0; i < 200 && !killed; i++) await new Promise((r) => setImmediate(r));
      assert.ok(killed, `the first run reached ${point}`);
      await new Promise((r) => setImmediate(r));
      world.progressEvents.length = 0;
      const result = await runStoreStep(world.deps(), target(), world.member('basic-tikv-1'), { ...settings(), runId: 'run-2' });
      assert.equal(result.outcome, 'done');
      assert.deepEqual(world.pd.evictingStoreIds(), []);
      assert.equal(world.records.size, 0);
      assert.equal(world.log.filter((e) => e.what === 'pod-deleted:basic-tikv-1').length, 1, 'the pod was restarted exactly once');
      assert.ok(world.progressEvents.some((e) => e.type === 'info' && /resuming a step left in phase/.test(e.message)) || point === 'record-cleared');
    });
  }

  it('lets the operator evict and never adds a scheduler (tidb-operator v2)', async () => {
    const world = new FakeWorld();
    const deps = world.deps();
    const restart = deps.restart;
    deps.restart = {
      describe: restart.describe,
      // The operator evicts on termination, then the pod goes.
      trigger: async (member, uid, signal) => {
        world.pd.addEvictionBehindOurBack(2);
        for (let i = 0; i < 5; i++) world.pd.advance();
        await restart.trigger(member, uid, signal);
        world.clock.schedule(30_000, () => world.pd.removeEvictionBehindOurBack(2));
      },
    };
    const result = await runStoreStep(deps, target({ eviction: 'operator' }), world.member('basic-tikv-1'), settings());
    assert.equal(result.outcome, 'done');
    assert.equal(world.pd.callsOf('addEvictLeader').length, 0);
    assert.equal(world.pd.callsOf('removeEvictLeader').length, 0);
    assert.deepEqual(world.pd.evictingStoreIds(), []);
  });
});
