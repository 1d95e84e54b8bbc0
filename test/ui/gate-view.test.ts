import assert from 'node:assert/strict';
import { evaluateGates, type GateInput } from '../../src/core/gates.ts';
import type { Store } from '../../src/core/model.ts';
import { colors, stripAnsi } from '../../src/ui/color.ts';
import { renderGateReport } from '../../src/ui/gate-view.ts';

function store(storeId: number, stateName: Store['stateName'] = 'Up'): Store {
  return { storeId, address: `basic-tikv-${storeId - 1}:20160`, statusAddress: '', version: '8.5.0', stateName, startTimestampSec: 1, lastHeartbeatMs: 0, leaderCount: 10, regionCount: 30, labels: {} };
}

function input(overrides: Partial<GateInput> = {}): GateInput {
  return {
    targetStoreId: 2,
    targetPodName: 'basic-tikv-1',
    targetPodReady: true,
    pdMembers: [{ name: 'basic-pd-0', healthy: true }],
    pdLeaderName: 'basic-pd-0',
    stores: [store(1), store(2), store(3)],
    downPeerRegionCount: 0,
    missPeerRegionCount: 0,
    maxReplicas: 3,
    evictions: [],
    force: false,
    ...overrides,
  };
}

const plain = { colors: colors(false), subject: 'basic-tikv-1 (store 2)' };

describe('ui/gate-view', () => {
  it('lists every gate with a tick and its reason when all pass', () => {
    assert.equal(
      renderGateReport(evaluateGates(input()), plain),
      [
        'Health checks for basic-tikv-1 (store 2): all passed',
        '  ✓  store known         pod basic-tikv-1 is store 2',
        '  ✓  PD healthy          PD healthy, leader basic-pd-0',
        '  ✓  other stores Up     all 2 other stores Up',
        '  ✓  regions healthy     no down-peer or miss-peer regions',
        '  ✓  max-replicas        max-replicas 3',
        '  ✓  no other eviction   no other leader eviction in progress',
        '  ✓  pod Ready           pod basic-tikv-1 is Ready',
        '',
      ].join('\n'),
    );
  });

  it('marks failed gates with a cross, the reason and what to do', () => {
    const text = renderGateReport(evaluateGates(input({ stores: [store(1), store(2), store(3, 'Down')], downPeerRegionCount: 3 })), plain);
    const lines = text.split('\n');
    assert.equal(lines[0], 'Health checks for basic-tikv-1 (store 2): 2 failed');
    assert.equal(lines[3], '  ✗  other stores Up     store 3 (Down) is not Up');
    assert.equal(lines[4], '                         Restart one store at a time: wait until every other store is Up, or fix the one that is not.');
    assert.equal(lines[5], '  ✗  regions healthy     3 region(s) with down peers and 0 with missing peers');
    assert.equal(lines[6], "                         Wait until PD has repaired them ('kubectl tikv status' shows region health).");
    assert.doesNotMatch(text, /--force/);
  });

  it('shows gates that --force overrode loudly, without repeating them as warnings', () => {
    const report = evaluateGates(input({ downPeerRegionCount: 1, force: true }));
    assert.equal(report.passed, true);
    const colored = renderGateReport(report, { ...plain, colors: colors(true) });
    const text = stripAnsi(colored);
    assert.match(text, /^Health checks for basic-tikv-1 \(store 2\): 1 failed, overridden by --force$/m);
    assert.match(text, /^ {2}✗ {2}regions healthy {5}1 region\(s\) with down peers and 0 with missing peers \(ignored: --force\)$/m);
    assert.doesNotMatch(text, /Warning: --force: ignoring failed gate/);
    assert.ok(colored.includes('\u001b[1m\u001b[31m1 failed, overridden by --force\u001b[39m\u001b[22m'), 'the override is bold red');
  });

  it("adds the report's other warnings and the operator gate when the topology has one", () => {
    const single = evaluateGates(input({ stores: [store(2)], operatorPhase: 'Upgrade' }));
    const text = renderGateReport(single, plain);
    assert.match(text, /^ {2}✗ {2}operator idle {7}tidb-operator reports TiKV phase Upgrade$/m);
    assert.match(text, /^Warning: single-store cluster: store 2's leaders have nowhere to go, so it restarts without eviction and the cluster is briefly unavailable$/m);
  });
});
