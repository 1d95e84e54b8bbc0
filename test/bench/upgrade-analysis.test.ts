import assert from 'node:assert/strict';
import { analyseUpgrade, routePattern } from '../../bench/upgrade-analysis.ts';
import { realLagMs, spread, summarizeUpgrade } from '../../bench/summary.ts';
import type { HistoryEntry } from '../sim/history.ts';

/** A History written by hand: one store's step with known times, in the order the simulator records them. */
class Script {
  readonly entries: HistoryEntry[] = [];
  at(at: number, source: string, type: string, data: Record<string, unknown> = {}): this {
    this.entries.push({ at, source, type, data });
    return this;
  }
  /** A poll of the tool: its PD store read (and the schedulers read right after). */
  poll(at: number, storeId: number): this {
    return this.at(at, 'pd', 'pd-request', { method: 'GET', path: `/pd/api/v1/store/${storeId}`, redirectedFrom: null }).at(at, 'pd', 'pd-request', {
      method: 'GET',
      path: '/pd/api/v1/schedulers',
      redirectedFrom: null,
    });
  }
  leaderChange(at: number, from: number, to: number, fromCount: number | null, toCount: number | null): this {
    return this.at(at, 'bench', 'leader-change', { regionId: at, from, to, fromCount, toCount });
  }
  kube(at: number, verb: string, resource: string, user = 'admin'): this {
    return this.at(at, 'kube', 'kube-request', { verb, resource, user });
  }
}

/**
 * Store 1 (pod basic-tikv-1, 3 leaders before): eviction added at 1000, PD's view reaches 0 at 1040 and the truth at
 * 1030; the tool polls at 1050 and triggers (partition patch, generation 2 → 3) at 1056. The pod is Ready at 1500,
 * the first heartbeat after registering comes at 1450 but the first one in a later second than the start at 2010;
 * the tool polls at 2020 and removes the scheduler at 2025. A leader comes back at 2100; the tool polls at 2110 and
 * evicts store 2 at 2190. Store 2 goes the same way ten seconds later and the CLI exits at 13_300.
 */
function twoStoreUpgrade(): Script {
  const s = new Script();
  s.at(0, 'kube', 'object-created', { kind: 'StatefulSet', namespace: 'tidb', name: 'basic-tikv', generation: 1 });
  s.at(900, 'kube', 'object-updated', { kind: 'StatefulSet', namespace: 'tidb', name: 'basic-tikv', generation: 2 }); // image change, partition held
  const step = (base: number, storeId: number, pod: string, generation: number) => {
    s.kube(base - 10, 'patch', 'statefulsets'); // the step record
    s.at(base, 'pd', 'scheduler-added', { name: 'evict-leader-scheduler', storeId, by: 'http' });
    s.poll(base + 5, storeId);
    s.leaderChange(base + 10, storeId, 9, 2, 20).leaderChange(base + 20, storeId, 9, 1, 21).leaderChange(base + 30, storeId, 9, 0, 22);
    s.at(base + 30, 'pd', 'store-leaders-zero', { storeId, view: 'truth' });
    s.poll(base + 35, storeId);
    s.at(base + 40, 'pd', 'store-leaders-zero', { storeId, view: 'pd' });
    s.poll(base + 50, storeId);
    s.kube(base + 52, 'patch', 'statefulsets'); // record: restarting (no generation bump)
    s.at(base + 52, 'kube', 'object-updated', { kind: 'StatefulSet', namespace: 'tidb', name: 'basic-tikv', generation });
    s.at(base + 56, 'kube', 'object-updated', { kind: 'StatefulSet', namespace: 'tidb', name: 'basic-tikv', generation: generation + 1 }); // partition
    s.at(base + 60, 'tikv', 'store-stopped', { storeId, podName: pod });
    s.at(base + 300, 'pd', 'store-state', { storeId, from: 'Up', to: 'Disconnected' });
    s.at(base + 400, 'pd', 'store-registered', { storeId, startTimestampSec: 1 });
    s.poll(base + 420, storeId).at(base + 421, 'tikv', 'tikv-request', { method: 'GET', path: '/metrics' });
    s.at(base + 450, 'pd', 'store-state', { storeId, from: 'Disconnected', to: 'Up' });
    s.at(base + 500, 'kubelet', 'pod-ready', { pod });
    s.at(base + 1010, 'pd', 'store-heartbeat-after-start', { storeId, firstHeartbeatMs: base + 450 });
    s.poll(base + 1020, storeId);
    s.at(base + 1025, 'pd', 'scheduler-removed', { storeId, by: 'http' });
    s.leaderChange(base + 1100, 9, storeId, 21, 1);
    s.poll(base + 1110, storeId);
    s.kube(base + 1150, 'list', 'pods');
  };
  step(1000, 1, 'basic-tikv-1', 2);
  step(11_000, 2, 'basic-tikv-0', 3);
  return s;
}

describe('bench: reading an upgrade out of the History', () => {
  const analysis = () =>
    analyseUpgrade({ entries: twoStoreUpgrade().entries, cliStartAt: 500, cliEndAt: 13_300, leaderCountsAtStart: { 1: 3, 2: 3, 9: 19 }, kubeUser: 'admin', pollIntervalWallMs: 20 });

  it('times each condition from the simulator and each action from the tool, per store in the order taken', () => {
    const a = analysis();
    assert.deepEqual(a.stores.map((s) => [s.storeId, s.podName, s.leadersBefore, s.leaderTarget]), [[1, 'basic-tikv-1', 3, 1], [2, 'basic-tikv-0', 3, 1]]);
    const first = a.stores[0];
    assert.equal(first.evictionAddedAt, 1000);
    assert.equal(first.leadersDrainedAt, 1040, 'drained once both PD and the TiKV say 0');
    assert.equal(first.triggeredAt, 1056, 'the partition patch (generation bump), not the record write before it');
    assert.equal(first.storeUpAt, 2010, 'Up only with a heartbeat from a later second than the start');
    assert.equal(first.storeUpUnroundedAt, 1500, 'without the start-second rounding: pod Ready, store back Up');
    assert.equal(first.schedulerRemovedAt, 2025);
    assert.equal(first.leadersBackAt, 2100);
    assert.equal(first.nextActionAt, 11_000);
    assert.equal(a.stores[1].nextActionAt, 13_300, 'the last store ends with the CLI');
  });

  it('splits every reaction lag into the wait for the next poll and the processing after it', () => {
    const a = analysis();
    const lags = a.reactions.filter((r) => r.storeId === 1).map((r) => [r.condition, r.lagMs, r.waitMs, r.latenessMs, r.processingMs]);
    assert.deepEqual(lags, [
      // The poll at 1050 was due at 1035 + 20: on time.
      ['leaders-drained', 16, 10, 0, 6],
      // The poll at 2020 was due at 1420 + 20, before the condition: all 10 ms of waiting were the poll being late.
      ['store-up', 15, 10, 10, 5],
      // No poll between 2020 and 2110 though one was due at 2040: late again.
      ['leaders-back', 8900, 10, 10, 8890],
    ]);
    assert.equal(a.reactions.length, 5, 'the last store has no next store to react with');
  });

  it('counts inherent time as the simulator-driven phases and the start-second rounding apart', () => {
    const a = analysis();
    // Per store: eviction 40, restart 2010 - 1056 = 954, leader return 75.
    assert.equal(a.inherentMs, 2 * (40 + 954 + 75));
    assert.equal(a.startSecondRoundingMs, 2 * 510);
    assert.equal(a.startOverheadMs, 500);
    assert.equal(a.finishOverheadMs, 13_300 - 12_100);
  });

  it('counts the tool\'s requests while it waits, per poll, and between stores apart', () => {
    const a = analysis();
    // Inside the phases of one store: the polls at +5, +35 (draining) and +420 with a TiKV read (restarting); the
    // others fall between a condition and the action, outside every phase.
    assert.equal(a.waiting.polls, 6);
    assert.equal(a.waiting.requests.pd, 12);
    assert.equal(a.waiting.requests.tikv, 2);
    assert.equal(a.waiting.requests.byRoute['pd GET /pd/api/v1/store/{id}'], 6);
    assert.equal(a.betweenStores.transitions, 1);
    assert.deepEqual(a.betweenStores.requests.byRoute, { 'pd GET /pd/api/v1/store/{id}': 1, 'pd GET /pd/api/v1/schedulers': 1, 'kube list pods': 1, 'kube patch statefulsets': 1 });
  });

  it('ignores Kubernetes requests of other users', () => {
    const s = twoStoreUpgrade().kube(1100, 'list', 'pods', 'someone-else');
    const a = analyseUpgrade({ entries: s.entries.sort((x, y) => x.at - y.at), cliStartAt: 500, cliEndAt: 13_300, leaderCountsAtStart: { 1: 3, 2: 3 }, kubeUser: 'admin', pollIntervalWallMs: 20 });
    assert.equal(a.waiting.requests.kube, 0);
  });

  it('refuses a History in which a store never came back', () => {
    const entries = twoStoreUpgrade().entries.filter((e) => !(e.type === 'pod-ready' && e.data.pod === 'basic-tikv-0'));
    assert.throws(() => analyseUpgrade({ entries, cliStartAt: 500, cliEndAt: 13_300, leaderCountsAtStart: { 1: 3, 2: 3 }, kubeUser: 'admin', pollIntervalWallMs: 20 }), /pod basic-tikv-0 never became Ready/);
  });

  it('waits for the leader count the tool itself waits for (2/3 of it from 200 leaders on)', () => {
    const s = new Script();
    s.at(0, 'kube', 'object-created', { kind: 'StatefulSet', namespace: 'tidb', name: 'basic-tikv', generation: 1 });
    s.at(1000, 'pd', 'scheduler-added', { name: 'evict-leader-scheduler', storeId: 1, by: 'http' });
    s.leaderChange(1010, 1, 2, 0, 300);
    s.at(1010, 'pd', 'store-leaders-zero', { storeId: 1, view: 'truth' }).at(1011, 'pd', 'store-leaders-zero', { storeId: 1, view: 'pd' });
    s.at(1020, 'kube', 'object-updated', { kind: 'StatefulSet', namespace: 'tidb', name: 'basic-tikv', generation: 2 });
    s.at(1030, 'tikv', 'store-stopped', { storeId: 1, podName: 'basic-tikv-0' });
    s.at(1100, 'pd', 'store-registered', { storeId: 1 }).at(1200, 'kubelet', 'pod-ready', { pod: 'basic-tikv-0' });
    s.at(1300, 'pd', 'store-heartbeat-after-start', { storeId: 1, firstHeartbeatMs: 1300 });
    s.at(1310, 'pd', 'scheduler-removed', { storeId: 1, by: 'http' });
    s.leaderChange(1400, 2, 1, 299, 1).leaderChange(1500, 2, 1, 201, 199).leaderChange(1600, 2, 1, 200, 200);
    const a = analyseUpgrade({ entries: s.entries, cliStartAt: 900, cliEndAt: 1700, leaderCountsAtStart: { 1: 300, 2: 0 }, kubeUser: 'admin', pollIntervalWallMs: 20 });
    assert.equal(a.stores[0].leaderTarget, 200);
    assert.equal(a.stores[0].leadersBackAt, 1600);
  });

  it('counts a leader return the tool gave up on as the tool\'s time, with no reaction', () => {
    // Store 1's leader comes back only after the tool evicted store 2 (its leader-return timeout ran out).
    const entries = twoStoreUpgrade().entries.map((e) => (e.type === 'leader-change' && e.at === 2100 ? { ...e, at: 11_500 } : e)).sort((x, y) => x.at - y.at);
    const a = analyseUpgrade({ entries, cliStartAt: 500, cliEndAt: 13_300, leaderCountsAtStart: { 1: 3, 2: 3 }, kubeUser: 'admin', pollIntervalWallMs: 20 });
    assert.deepEqual(a.leadersNotBack, [1]);
    assert.equal(a.stores[0].leadersBackAt, undefined);
    assert.deepEqual(a.reactions.map((r) => `${r.storeId} ${r.condition}`), ['1 leaders-drained', '1 store-up', '2 leaders-drained', '2 store-up']);
    assert.equal(a.inherentMs, 40 + 954 + (40 + 954 + 75));
    assert.equal(a.betweenStores.transitions, 0);
  });

  it('names routes without their ids', () => {
    assert.equal(routePattern('/pd/api/v1/store/17?x=1'), '/pd/api/v1/store/{id}');
    assert.equal(routePattern('/pd/api/v1/schedulers/evict-leader-scheduler-4'), '/pd/api/v1/schedulers/evict-leader-scheduler-{id}');
    assert.equal(routePattern('/pd/api/v1/schedulers'), '/pd/api/v1/schedulers');
  });
});

describe('bench: projecting to real pace', () => {
  it('divides the wait for an on-time poll by the time scale and keeps lateness and processing as measured', () => {
    assert.equal(realLagMs({ storeId: 1, condition: 'store-up', conditionAt: 0, actionAt: 15, lagMs: 15, waitMs: 10, latenessMs: 0, processingMs: 5 }, 0.02), 505);
    assert.equal(realLagMs({ storeId: 1, condition: 'store-up', conditionAt: 0, actionAt: 15, lagMs: 15, waitMs: 10, latenessMs: 4, processingMs: 5 }, 0.02), 309);
  });

  it('projects the upgrade without the start-second rounding in its inherent time', () => {
    const a = analyseUpgrade({ entries: twoStoreUpgrade().entries, cliStartAt: 500, cliEndAt: 13_300, leaderCountsAtStart: { 1: 3, 2: 3 }, kubeUser: 'admin', pollIntervalWallMs: 20 });
    const s = summarizeUpgrade('kubectl-tikv', { command: 'upgrade', stores: 2, targetVersion: 'v8.1.1', pollIntervalRealMs: 1000, timeScale: 0.02, wallMs: 12_800, cpuMs: 1, peakRssKiB: 2048, rssSamples: 1, analysis: a });
    assert.equal(s.projected.inherentSeconds, ((2138 - 1020) / 0.02) / 1000);
    const waits = a.reactions.reduce((sum, r) => sum + r.waitMs - r.latenessMs, 0);
    assert.equal(s.projected.toolSeconds, (waits / 0.02 + (12_800 - 2138 - waits)) / 1000);
    const parts = s.projected.toolBreakdownSeconds;
    assert.ok(Math.abs(parts.pollWaits + parts.latePolls + parts.processing + parts.startUp + parts.finish + parts.other - s.projected.toolSeconds) < 1e-9, 'the parts add up');
    assert.ok(Math.abs(parts.other) < 1e-9, 'every wall ms of the tool is a lag, its start-up or its finish');
    assert.equal(s.peakRssMiB, 2);
    assert.equal(s.reactions['leaders-back'].wallMs.count, 1);
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    assert.deepEqual(spread([4, 1, 3, 2]), { count: 4, median: 2.5, max: 4 });
    assert.deepEqual(spread([]), { count: 0, median: undefined, max: undefined });
  });
});
