import assert from 'node:assert/strict';
import type { Member, Store } from '../../src/core/model.ts';
import { planRestart, planUpgrade, type Plan } from '../../src/core/plan.ts';
import { colors, stripAnsi } from '../../src/ui/color.ts';
import { renderPlan } from '../../src/ui/plan-view.ts';

const plain = { colors: colors(false) };

function member(podName: string, storeId: number, leaders: number, version: string): Member {
  const store: Store = {
    storeId,
    address: `${podName}.basic-tikv-peer.tidb.svc:20160`,
    statusAddress: `${podName}.basic-tikv-peer.tidb.svc:20180`,
    version,
    stateName: 'Up',
    startTimestampSec: 1_700_000_000,
    lastHeartbeatMs: 0,
    leaderCount: leaders,
    regionCount: leaders * 3,
    labels: {},
  };
  return { podName, store };
}

describe('ui/plan-view', () => {
  it('shows an upgrade plan in its order with versions, leaders, skips, the order rule and warnings', () => {
    const plan = planUpgrade({
      members: [member('basic-tikv-0', 1, 300, '8.5.0'), member('basic-tikv-1', 4, 120, '8.5.1'), member('basic-tikv-2', 5, 90, '8.5.0')],
      targetVersion: 'v8.5.1',
      pdVersion: '8.5.0',
      order: 'leaders',
      forcedReverseOrdinal: false,
      allowDowngrade: false,
    });
    assert.equal(
      renderPlan(plan, plain),
      [
        '#   POD            STORE   VERSION           LEADERS   ACTION    NOTE',
        '1   basic-tikv-2       5   v8.5.0 → v8.5.1        90   upgrade',
        '-   basic-tikv-1       4   v8.5.1                120   skip      already on the target version',
        '2   basic-tikv-0       1   v8.5.0 → v8.5.1       300   upgrade',
        '',
        'Order: fewest leaders first (fewest leader moves while the cluster is mixed).',
        'Warning: TiKV 8.5.1 would run ahead of PD 8.5.0: upgrade PD first (TiUP and tidb-operator upgrade PD before TiKV)',
        '',
      ].join('\n'),
    );
  });

  it('shows a restart plan with one version per store and no order line for a single store', () => {
    const plan = planRestart([member('basic-tikv-1', 2, 312, '8.5.0')], 'leaders', false);
    assert.equal(renderPlan(plan, plain), ['#   POD            STORE   VERSION   LEADERS   ACTION', '1   basic-tikv-1       2   v8.5.0        312   restart', ''].join('\n'));
  });

  it('shows what refuses a plan and what to do about it', () => {
    const plan = planUpgrade({
      members: [member('basic-tikv-0', 1, 10, '8.5.1')],
      targetVersion: 'v8.5.0',
      order: 'ordinal',
      forcedReverseOrdinal: false,
      allowDowngrade: false,
    });
    const text = renderPlan(plan, plain);
    assert.match(text, /^Refused: upgrading to 8\.5\.0 would downgrade store 1 \(pod basic-tikv-0\) from 8\.5\.1$/m);
    assert.match(text, /^ {2}Check the version; TiKV downgrades are not supported in general\. Pass --allow-downgrade if you are sure\.$/m);
  });

  it('says when there is nothing in the plan or nothing to do', () => {
    const empty: Plan = { entries: [], orderRule: '', warnings: [], refusals: [] };
    assert.equal(renderPlan(empty, plain), 'No TiKV stores in the plan.\n');
    const allSkipped: Plan = {
      entries: [{ podName: 'basic-tikv-0', storeId: 1, from: '8.5.1', to: '8.5.1', leaders: 3, action: 'skip', note: 'already on the target version' }],
      orderRule: 'by pod ordinal',
      warnings: [],
      refusals: [],
    };
    assert.match(renderPlan(allSkipped, plain), /\nNothing to do: every store is skipped\.\n$/);
  });

  it('marks an unknown store and version with a question mark', () => {
    const plan: Plan = { entries: [{ podName: 'basic-tikv-3', leaders: 0, action: 'restart', to: 'v8.5.0' }], orderRule: '', warnings: [], refusals: [] };
    assert.match(renderPlan(plan, plain), /^1 {3}basic-tikv-3 {7}\? {3}\? → v8\.5\.0 {9}0 {3}restart$/m);
  });

  it('colours only through the colours it is given, keeping the columns aligned', () => {
    const plan = planUpgrade({
      members: [member('basic-tikv-0', 1, 300, '8.5.0'), member('basic-tikv-1', 4, 120, '8.5.1')],
      targetVersion: 'v8.5.1',
      pdVersion: '8.5.0',
      order: 'leaders',
      forcedReverseOrdinal: false,
      allowDowngrade: false,
    });
    const colored = renderPlan(plan, { colors: colors(true) });
    assert.ok(colored.includes('\u001b[33mWarning:\u001b[39m'), 'yellow warning');
    assert.ok(colored.includes('\u001b[1mupgrade\u001b[22m'), 'bold action');
    assert.equal(stripAnsi(colored), renderPlan(plan, plain));
  });
});
