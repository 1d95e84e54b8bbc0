import assert from 'node:assert/strict';
import { aTarget } from '../core/builders.ts';
import type { StepRecord } from '../../src/core/step-record.ts';
import { nextStep, type StoreObservation } from '../../src/core/store-step.ts';
import { leaderCounts } from '../../src/ui/leader-counts.ts';

const target = aTarget;
const NOW = 1_800_000_000_000;
/** PD's view of a store that is Up and heartbeating (spread, so fields the observation gains later need no change here). */
const UP_STORE = { stateName: 'Up' as const, startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 0, lastHeartbeatMs: NOW };

function record(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    runId: 'run-1',
    command: 'restart',
    storeId: 2,
    podName: 'basic-tikv-1',
    podUid: 'uid-1',
    startTimestampSec: 1_700_000_000,
    leadersBefore: 300,
    phase: 'evicting',
    phaseSinceMs: NOW - 1_000,
    ownsScheduler: true,
    schedulerAddedAtMs: NOW - 1_000,
    ...overrides,
  };
}

function observation(pdLeaders: number, tikv: number | null | undefined, overrides: Partial<StoreObservation> = {}): StoreObservation {
  return {
    nowMs: NOW,
    record: record(),
    pod: { uid: 'uid-1', ready: true, terminating: false },
    store: { ...UP_STORE, leaderCount: pdLeaders },
    tikvLeaderCount: tikv,
    schedulerHasStore: true,
    ...overrides,
  };
}

// The reasons come from the real step machine, so a change of its wording shows up here.
describe('ui/leader-counts', () => {
  const draining: [string, number, number | null | undefined, number][] = [
    ['PD and TiKV agree', 37, 37, 37],
    ['PD reports more than TiKV', 40, 35, 40],
    ['TiKV reports more than PD', 10, 30, 30],
    ['TiKV was not read', 37, undefined, 37],
    ['TiKV /metrics could not be read', 37, null, 37],
  ];
  for (const [name, pd, tikv, expected] of draining) {
    it(`reads the larger count of a leader drain when ${name}`, () => {
      const step = nextStep(target(), observation(pd, tikv));
      assert.equal(step.kind, 'wait');
      assert.deepEqual(leaderCounts(step), { current: expected, target: 0 });
    });
  }

  it('reads the count of a drain the operator does', () => {
    const step = nextStep(
      target({ eviction: 'operator' }),
      observation(30, 28, { record: record({ phase: 'restarting', ownsScheduler: false, triggeredAtMs: NOW - 500, phaseSinceMs: NOW - 500 }) }),
    );
    assert.equal(step.kind === 'wait' && step.for, 'leaders-drained');
    assert.deepEqual(leaderCounts(step), { current: 30, target: 0 });
  });

  it('reads the count and the target of leaders coming back', () => {
    const step = nextStep(target(), observation(80, 80, { record: record({ phase: 'returning', phaseSinceMs: NOW - 1_000 }), schedulerHasStore: false }));
    assert.equal(step.kind === 'wait' && step.for, 'leaders-returned');
    assert.deepEqual(leaderCounts(step), { current: 80, target: 200 });
  });

  it('has no counts for other steps', () => {
    assert.equal(leaderCounts({ kind: 'wait', for: 'pod-ready', reason: 'pod basic-tikv-1 is not Ready yet', deadlineMs: NOW }), undefined);
    assert.equal(leaderCounts({ kind: 'trigger', reason: 'store 2 holds no leaders (0 leader(s)); restarting pod basic-tikv-1' }), undefined);
    assert.equal(leaderCounts({ kind: 'wait', for: 'leaders-drained', reason: 'something else entirely', deadlineMs: NOW }), undefined);
  });
});
