import assert from 'node:assert/strict';
import { evaluateGates, firstFailure, type GateInput, type GateName } from '../../src/core/gates.ts';
import { aStore } from './builders.ts';

function healthy(overrides: Partial<GateInput> = {}): GateInput {
  return {
    targetStoreId: 1,
    targetPodName: 'basic-tikv-0',
    targetPodReady: true,
    pdMembers: [{ name: 'basic-pd-0', healthy: true }],
    pdLeaderName: 'basic-pd-0',
    stores: [1, 2, 3].map((storeId) => aStore({ storeId })),
    downPeerRegionCount: 0,
    missPeerRegionCount: 0,
    maxReplicas: 3,
    evictions: [],
    force: false,
    ...overrides,
  };
}

describe('core/gates', () => {
  it('passes a healthy three-store cluster', () => {
    const report = evaluateGates(healthy());
    assert.equal(report.passed, true);
    assert.deepEqual(report.warnings, []);
    assert.equal(report.skipEviction, false);
  });

  const failures: { name: string; input: Partial<GateInput>; gate: GateName; reason: RegExp }[] = [
    { name: 'PD without a leader', input: { pdLeaderName: undefined }, gate: 'pd-healthy', reason: /PD has no leader/ },
    { name: 'an unhealthy PD member', input: { pdMembers: [{ name: 'basic-pd-0', healthy: true }, { name: 'basic-pd-1', healthy: false }] }, gate: 'pd-healthy', reason: /PD member basic-pd-1 is unhealthy/ },
    { name: 'another store Disconnected', input: { stores: [aStore({ storeId: 1 }), aStore({ storeId: 2, stateName: 'Disconnected' }), aStore({ storeId: 3 })] }, gate: 'other-stores-up', reason: /store 2 \(Disconnected\) is not Up/ },
    { name: 'down-peer regions', input: { downPeerRegionCount: 4 }, gate: 'region-health', reason: /4 region\(s\) with down peers/ },
    { name: 'miss-peer regions', input: { missPeerRegionCount: 2 }, gate: 'region-health', reason: /2 with missing peers/ },
    { name: 'max-replicas 1', input: { maxReplicas: 1 }, gate: 'max-replicas', reason: /max-replicas is 1/ },
    { name: "an operator's eviction", input: { evictions: [{ storeId: 2, owner: 'operator', schedulerName: 'evict-leader-scheduler' }] }, gate: 'no-foreign-eviction', reason: /store 2 \(operator\)/ },
    { name: 'our eviction of another store', input: { evictions: [{ storeId: 3, owner: 'kubectl-tikv', schedulerName: 'evict-leader-scheduler' }] }, gate: 'no-foreign-eviction', reason: /store 3 \(kubectl-tikv\)/ },
    { name: 'tidb-operator mid-upgrade', input: { operatorPhase: 'Upgrade' }, gate: 'operator-idle', reason: /TiKV phase Upgrade/ },
    { name: 'the pod not Ready', input: { targetPodReady: false }, gate: 'pod-ready', reason: /pod basic-tikv-0 is not Ready/ },
    { name: 'a pod PD does not know', input: { targetStoreId: undefined }, gate: 'store-known', reason: /PD has no store for pod basic-tikv-0/ },
  ];
  for (const { name, input, gate, reason } of failures) {
    it(`stops on ${name}, saying why and what to do`, () => {
      const report = evaluateGates(healthy(input));
      assert.equal(report.passed, false);
      const failure = firstFailure(report);
      assert.equal(failure?.gate, gate);
      assert.match(failure!.reason, reason);
      assert.ok(failure!.suggestion && failure!.suggestion.length > 10);
    });
  }

  it('accepts our own eviction of the target store (a resumed step)', () => {
    const report = evaluateGates(healthy({ evictions: [{ storeId: 1, owner: 'kubectl-tikv', schedulerName: 'evict-leader-scheduler' }] }));
    assert.equal(report.passed, true);
  });

  it('lets --force through failed gates, loudly', () => {
    const report = evaluateGates(healthy({ force: true, maxReplicas: 1, downPeerRegionCount: 1 }));
    assert.equal(report.passed, true);
    assert.equal(report.warnings.length, 2);
    assert.match(report.warnings[0], /--force: ignoring failed gate region-health/);
  });

  it('does not let --force act on a pod without a store', () => {
    assert.equal(evaluateGates(healthy({ force: true, targetStoreId: undefined })).passed, false);
  });

  it('skips eviction on a single-store cluster with a warning instead of failing max-replicas', () => {
    const report = evaluateGates(healthy({ stores: [aStore({ storeId: 1 })], maxReplicas: 1 }));
    assert.equal(report.passed, true);
    assert.equal(report.skipEviction, true);
    assert.match(report.warnings[0], /single-store cluster/);
  });
});
