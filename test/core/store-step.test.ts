import assert from 'node:assert/strict';
import { aRecord, aTarget } from './builders.ts';
import { leaderReturnTarget, nextStep, type StoreObservation, type StoreTarget } from '../../src/core/store-step.ts';

const target = (overrides: Parameters<typeof aTarget>[0] = {}) => aTarget({ leaderReturnTimeoutMs: 400_000, ...overrides });
const T0 = 1_800_000_000_000;

const record = aRecord;

function observe(overrides: Partial<StoreObservation> = {}): StoreObservation {
  return {
    nowMs: T0 + 1_000,
    record: record(),
    pod: { uid: 'uid-old', ready: true, terminating: false },
    store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 300, lastHeartbeatMs: 1_700_000_050_000 },
    tikvLeaderCount: 300,
    schedulerHasStore: true,
    ...overrides,
  };
}

const restartedStore = { stateName: 'Up' as const, startTimestampSec: 1_700_000_100, version: '8.5.0', leaderCount: 0, lastHeartbeatMs: 1_700_000_110_000 };
const newPod = { uid: 'uid-new', ready: true, terminating: false };

interface Case {
  name: string;
  target?: Partial<StoreTarget>;
  observation: Partial<StoreObservation>;
  kind: string;
  reason: RegExp;
  extra?: (step: ReturnType<typeof nextStep>) => void;
}

const cases: Case[] = [
  { name: 'records the step before anything else', observation: { record: undefined }, kind: 'begin', reason: /recording the restart of store 2 \(pod basic-tikv-1\)/ },
  { name: 'adds the scheduler once recorded', observation: { schedulerHasStore: false }, kind: 'add-scheduler', reason: /evicting leaders from store 2/ },
  {
    name: 're-adds a scheduler removed behind its back',
    observation: { schedulerHasStore: false, record: record({ schedulerAddedAtMs: T0 + 10 }) },
    kind: 'add-scheduler',
    reason: /removed by someone else/,
  },
  { name: 'waits while leaders remain', observation: {}, kind: 'wait', reason: /store 2 still holds 300 leader\(s\)/, extra: (s) => assert.equal(s.kind === 'wait' && s.for, 'leaders-drained') },
  {
    name: 'does not trust a PD count of 0 while TiKV still has leaders (stale PD leader)',
    observation: { store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 0, lastHeartbeatMs: 1_700_000_050_000 }, tikvLeaderCount: 12 },
    kind: 'wait',
    reason: /0 leader\(s\) per PD, 12 per TiKV/,
  },
  {
    name: 'waits for PD when TiKV already reports 0',
    observation: { store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 3, lastHeartbeatMs: 1_700_000_050_000 }, tikvLeaderCount: 0 },
    kind: 'wait',
    reason: /3 leader\(s\) per PD, 0 per TiKV/,
  },
  {
    name: 'waits when TiKV metrics cannot be read',
    observation: { store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 0, lastHeartbeatMs: 1_700_000_050_000 }, tikvLeaderCount: null },
    kind: 'wait',
    reason: /TiKV \/metrics could not be read/,
  },
  {
    name: 'restarts once PD and TiKV both report 0 leaders',
    observation: { store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 0, lastHeartbeatMs: 1_700_000_050_000 }, tikvLeaderCount: 0 },
    kind: 'trigger',
    reason: /holds no leaders \(0 leader\(s\)\); restarting pod basic-tikv-1/,
  },
  {
    name: 'aborts at the eviction timeout by default, leaving the pod alone',
    observation: { nowMs: T0 + 600_000, store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 7, lastHeartbeatMs: 1_700_000_050_000 }, tikvLeaderCount: 9 },
    kind: 'fail',
    reason: /store 2 still holds 9 leader\(s\) after the eviction timeout .*pod basic-tikv-1 was not restarted/,
    extra: (s) => assert.equal(s.kind === 'fail' && s.podTouched, false),
  },
  {
    name: 'restarts anyway at the eviction timeout with --on-evict-timeout restart, warning',
    target: { onEvictTimeout: 'restart' },
    observation: { nowMs: T0 + 600_000, tikvLeaderCount: 5, store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 5, lastHeartbeatMs: 1_700_000_050_000 } },
    kind: 'trigger',
    reason: /eviction timed out/,
    extra: (s) => assert.match(s.kind === 'trigger' ? s.warning ?? '' : '', /still held 5 leader\(s\)/),
  },
  {
    name: 'fails when the store vanishes from PD during eviction',
    observation: { store: undefined },
    kind: 'fail',
    reason: /store 2 disappeared from PD/,
  },
  {
    name: 'notices a pod restarted by someone else during eviction',
    observation: { pod: newPod },
    kind: 'trigger',
    reason: /already restarting/,
  },
  { name: 'restarts at once without eviction on a single-store cluster', target: { eviction: 'none' }, observation: { schedulerHasStore: false }, kind: 'trigger', reason: /without eviction \(single-store cluster\)/ },
  { name: 'lets the operator evict (tidb-operator v2)', target: { eviction: 'operator' }, observation: { schedulerHasStore: false, record: record({ ownsScheduler: false }) }, kind: 'trigger', reason: /the operator evicts its leaders first/ },
  {
    name: 'triggers again after a kill between recording and triggering, once drained',
    observation: { record: record({ phase: 'restarting' }), store: { ...restartedStore, startTimestampSec: 1_700_000_000 }, tikvLeaderCount: 0 },
    kind: 'trigger',
    reason: /holds no leaders/,
  },
  {
    name: 'evicts again before restarting an untouched pod whose eviction a stopped run ended',
    observation: { record: record({ phase: 'restarting' }), schedulerHasStore: false },
    kind: 'add-scheduler',
    reason: /evicting leaders from store 2/,
  },
  {
    name: 'waits while the old pod terminates',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: { uid: 'uid-old', ready: false, terminating: true } },
    kind: 'wait',
    reason: /pod basic-tikv-1 is terminating/,
  },
  {
    name: 'treats a terminating pod as triggered even without triggeredAtMs (killed right after the delete)',
    observation: { record: record({ phase: 'restarting' }), pod: { uid: 'uid-old', ready: false, terminating: true } },
    kind: 'wait',
    reason: /terminating/,
  },
  {
    name: 'shows the operator eviction while the pod terminates (tidb-operator v2)',
    target: { eviction: 'operator' },
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0, ownsScheduler: false }), pod: { uid: 'uid-old', ready: true, terminating: true }, store: { stateName: 'Up', startTimestampSec: 1_700_000_000, version: '8.5.0', leaderCount: 40, lastHeartbeatMs: 1_700_000_050_000 }, tikvLeaderCount: 38 },
    kind: 'wait',
    reason: /operator evicting store 2: 40 leader\(s\) per PD, 38 per TiKV/,
  },
  {
    name: 'waits while the pod is recreated',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: undefined },
    kind: 'wait',
    reason: /being recreated/,
  },
  {
    name: 'waits for the new pod to be Ready',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: { uid: 'uid-new', ready: false, terminating: false } },
    kind: 'wait',
    reason: /not Ready yet/,
  },
  {
    name: 'fails, naming the pod, when it never becomes Ready',
    observation: { nowMs: T0 + 600_000, record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: { uid: 'uid-new', ready: false, terminating: false } },
    kind: 'fail',
    reason: /pod basic-tikv-1 did not become Ready within the ready timeout/,
    extra: (s) => assert.equal(s.kind === 'fail' && s.podTouched, true),
  },
  {
    name: 'waits for the store to re-register (start time unchanged)',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod },
    kind: 'wait',
    reason: /waiting for store 2 to re-register/,
  },
  {
    name: 'does not take Disconnected as Up after the restart',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: { ...restartedStore, stateName: 'Disconnected' } },
    kind: 'wait',
    reason: /store 2 is Disconnected/,
  },
  {
    name: 'fails when the store never comes back Up',
    observation: { nowMs: T0 + 600_001, record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: { ...restartedStore, stateName: 'Disconnected' } },
    kind: 'fail',
    reason: /store 2 is Disconnected within the ready timeout/,
  },
  {
    name: 'waits for the first heartbeat of the re-registered TiKV before calling it Up',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: { ...restartedStore, lastHeartbeatMs: 1_700_000_050_000 } },
    kind: 'wait',
    reason: /store 2 re-registered, waiting for its first heartbeat/,
  },
  {
    name: 'does not take a heartbeat stamped in the same second as the new start time for the new process',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: { ...restartedStore, lastHeartbeatMs: 1_700_000_100_900 } },
    kind: 'wait',
    reason: /waiting for its first heartbeat/,
  },
  {
    name: 'waits for the target version on upgrade',
    target: { expectedVersion: 'v8.5.1' },
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: restartedStore },
    kind: 'wait',
    reason: /reports version 8.5.0, waiting for v8.5.1/,
  },
  {
    name: 'removes the scheduler once the store is Up with a new start time',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: restartedStore, tikvLeaderCount: 0 },
    kind: 'remove-scheduler',
    reason: /store 2 is Up \(started 1700000100\); ending its eviction/,
  },
  {
    name: 'moves on to leader return once the scheduler is gone',
    observation: { record: record({ phase: 'restarting', triggeredAtMs: T0 }), pod: newPod, store: restartedStore, schedulerHasStore: false },
    kind: 'mark-returning',
    reason: /store 2 is Up on version 8.5.0/,
  },
  {
    name: 'removes a scheduler re-added after it was removed',
    observation: { record: record({ phase: 'returning', phaseSinceMs: T0 }), pod: newPod, store: restartedStore },
    kind: 'remove-scheduler',
    reason: /still in the evict-leader scheduler/,
  },
  {
    name: 'waits for 2/3 of 300 leaders to come back',
    observation: { record: record({ phase: 'returning', phaseSinceMs: T0 }), pod: newPod, store: { ...restartedStore, leaderCount: 150 }, tikvLeaderCount: 180, schedulerHasStore: false },
    kind: 'wait',
    reason: /holds 180 leader\(s\), waiting for 200 \(had 300\)/,
  },
  {
    name: 'finishes when leaders are back',
    observation: { record: record({ phase: 'returning', phaseSinceMs: T0 }), pod: newPod, store: { ...restartedStore, leaderCount: 201 }, tikvLeaderCount: 201, schedulerHasStore: false },
    kind: 'finish',
    reason: /holds 201 leader\(s\) again \(had 300\)/,
  },
  {
    name: 'finishes with a warning when leaders do not come back in time',
    observation: { nowMs: T0 + 400_000, record: record({ phase: 'returning', phaseSinceMs: T0 }), pod: newPod, store: { ...restartedStore, leaderCount: 10 }, tikvLeaderCount: 10, schedulerHasStore: false },
    kind: 'finish',
    reason: /store 2 restarted/,
    extra: (s) => assert.match(s.kind === 'finish' ? s.warning ?? '' : '', /holds 10 of the 200 leader\(s\)/),
  },
  {
    name: 'skips the leader wait with --skip-leader-return',
    target: { skipLeaderReturn: true },
    observation: { record: record({ phase: 'returning', phaseSinceMs: T0 }), pod: newPod, store: restartedStore, schedulerHasStore: false },
    kind: 'finish',
    reason: /--skip-leader-return/,
  },
  {
    name: "never removes the operator's scheduler, waits for the operator to end it",
    target: { eviction: 'operator' },
    observation: { record: record({ phase: 'returning', phaseSinceMs: T0, ownsScheduler: false }), pod: newPod, store: restartedStore },
    kind: 'wait',
    reason: /waiting for the operator to end its eviction of store 2/,
  },
];

describe('core/store-step nextStep', () => {
  for (const c of cases) {
    it(c.name, () => {
      const step = nextStep(target(c.target), observe(c.observation));
      assert.equal(step.kind, c.kind, `reason: ${step.reason}`);
      assert.match(step.reason, c.reason);
      c.extra?.(step);
    });
  }
});

describe('core/store-step leaderReturnTarget', () => {
  const cases: [number, number][] = [[0, 0], [1, 1], [150, 1], [199, 1], [200, 134], [300, 200], [1000, 667]];
  for (const [before, wanted] of cases) {
    it(`expects ${wanted} back of ${before}`, () => assert.equal(leaderReturnTarget(before), wanted));
  }
});
