import assert from 'node:assert/strict';
import type { Member } from '../../src/core/model.ts';
import { planRestart, planUpgrade, type UpgradePlanInput } from '../../src/core/plan.ts';
import { aPod, aStore } from './builders.ts';

function member(ordinal: number, leaders: number, version = '8.5.0', image = `pingcap/tikv:v${version}`): Member {
  const podName = `basic-tikv-${ordinal}`;
  return { podName, pod: aPod({ name: podName, image }), store: aStore({ storeId: ordinal + 1, leaderCount: leaders, version }) };
}

function input(overrides: Partial<UpgradePlanInput> = {}): UpgradePlanInput {
  return {
    members: [member(0, 30), member(1, 10), member(2, 20)],
    targetVersion: 'v8.5.1',
    pdVersion: 'v8.5.1',
    order: 'leaders',
    forcedReverseOrdinal: false,
    allowDowngrade: false,
    ...overrides,
  };
}

describe('core/plan', () => {
  it('upgrades fewest leaders first by default and says so', () => {
    const plan = planUpgrade(input());
    assert.deepEqual(plan.entries.map((e) => [e.podName, e.from, e.to, e.action]), [
      ['basic-tikv-1', '8.5.0', '8.5.1', 'upgrade'],
      ['basic-tikv-2', '8.5.0', '8.5.1', 'upgrade'],
      ['basic-tikv-0', '8.5.0', '8.5.1', 'upgrade'],
    ]);
    assert.match(plan.orderRule, /fewest leaders first/);
    assert.deepEqual(plan.refusals, []);
    assert.deepEqual(plan.warnings, []);
  });

  it('follows the StatefulSet partition when it dictates the order', () => {
    const plan = planUpgrade(input({ forcedReverseOrdinal: true, members: [member(0, 1), member(10, 2), member(2, 3)] }));
    assert.deepEqual(plan.entries.map((e) => e.podName), ['basic-tikv-10', 'basic-tikv-2', 'basic-tikv-0']);
    assert.match(plan.orderRule, /highest ordinal first/);
  });

  it('orders by ordinal when asked', () => {
    const plan = planUpgrade(input({ order: 'ordinal' }));
    assert.deepEqual(plan.entries.map((e) => e.podName), ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
  });

  it('skips stores already on the target version', () => {
    const plan = planUpgrade(input({ members: [member(0, 30, '8.5.1'), member(1, 10)] }));
    assert.deepEqual(plan.entries.map((e) => [e.podName, e.action, e.note]), [
      ['basic-tikv-1', 'upgrade', undefined],
      ['basic-tikv-0', 'skip', 'already on the target version'],
    ]);
  });

  it('does not skip a store whose pod still runs the old image', () => {
    const plan = planUpgrade(input({ members: [member(0, 30, '8.5.1', 'pingcap/tikv:v8.5.0')] }));
    assert.equal(plan.entries[0].action, 'upgrade');
    assert.match(plan.warnings[0], /pod basic-tikv-0 runs image pingcap\/tikv:v8.5.0 but its store reports version 8.5.1/);
  });

  it('refuses a version that does not parse', () => {
    const plan = planUpgrade(input({ targetVersion: 'v8.5' }));
    assert.match(plan.refusals[0].reason, /"v8.5" is not a version/);
    assert.match(plan.refusals[0].suggestion, /v8.5.1/);
  });

  it('refuses a downgrade unless allowed', () => {
    const refused = planUpgrade(input({ targetVersion: 'v8.1.0', pdVersion: 'v8.5.0' }));
    assert.equal(refused.refusals.length, 3);
    assert.match(refused.refusals[0].reason, /would downgrade store \d+ \(pod basic-tikv-\d\) from 8.5.0/);
    assert.match(refused.refusals[0].suggestion, /--allow-downgrade/);
    const allowed = planUpgrade(input({ targetVersion: 'v8.1.0', pdVersion: 'v8.5.0', allowDowngrade: true }));
    assert.deepEqual(allowed.refusals, []);
    assert.ok(allowed.warnings.some((w) => /--allow-downgrade/.test(w)));
  });

  it('warns when TiKV would run ahead of PD', () => {
    const plan = planUpgrade(input({ targetVersion: 'v8.5.2', pdVersion: 'v8.5.1' }));
    assert.match(plan.warnings[0], /TiKV 8.5.2 would run ahead of PD 8.5.1/);
  });

  it('plans a rolling restart in the same orders', () => {
    const plan = planRestart([member(0, 30), member(1, 10)], 'leaders', false);
    assert.deepEqual(plan.entries.map((e) => [e.podName, e.action, e.leaders]), [['basic-tikv-1', 'restart', 10], ['basic-tikv-0', 'restart', 30]]);
  });
});
