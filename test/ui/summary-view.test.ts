import assert from 'node:assert/strict';
import type { StoreResult } from '../../src/services/store-step-runner.ts';
import { colors, stripAnsi } from '../../src/ui/color.ts';
import { renderSummary } from '../../src/ui/summary-view.ts';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);
const plain = { colors: colors(false) };

function result(overrides: Partial<StoreResult> & Pick<StoreResult, 'podName' | 'storeId'>): StoreResult {
  return {
    outcome: 'done',
    reason: `store ${overrides.storeId} restarted`,
    warnings: [],
    actions: [],
    startedAtMs: T0,
    endedAtMs: T0 + 96_000,
    durationsMs: { eviction: 12_000, restart: 64_000, leaderReturn: 20_000, total: 96_000 },
    ...overrides,
  };
}

describe('ui/summary-view', () => {
  it('shows each store with its outcome and durations, and how long the run took', () => {
    const stores = [
      result({ podName: 'basic-tikv-0', storeId: 1 }),
      result({ podName: 'basic-tikv-2', storeId: 3, startedAtMs: T0 + 100_000, endedAtMs: T0 + 183_000, durationsMs: { eviction: 800, restart: 61_000, leaderReturn: 21_200, total: 83_000 } }),
    ];
    assert.equal(
      renderSummary({ stores }, plain),
      [
        'POD            STORE   RESULT      EVICTION   RESTART   LEADERS BACK   TOTAL',
        'basic-tikv-0       1   restarted   12s        1m4s      20s            1m36s',
        'basic-tikv-2       3   restarted   800ms      1m1s      21s            1m23s',
        '',
        '2 of 2 stores restarted in 3m3s.',
        '',
      ].join('\n'),
    );
  });

  it('shows a failed run: the failed store, the ones not done, dashes for what did not happen', () => {
    const stores = [
      result({ podName: 'basic-tikv-0', storeId: 1 }),
      result({
        podName: 'basic-tikv-1',
        storeId: 2,
        outcome: 'failed',
        reason: 'store 2 still holds 12 leader(s) after the eviction timeout',
        startedAtMs: T0 + 100_000,
        endedAtMs: T0 + 702_000,
        durationsMs: { total: 602_000 },
      }),
    ];
    const text = renderSummary({ stores, others: [{ podName: 'basic-tikv-2', storeId: 3, result: 'not started' }], doneWord: 'upgraded' }, plain);
    assert.equal(
      text,
      [
        'POD            STORE   RESULT        EVICTION   RESTART   LEADERS BACK   TOTAL',
        'basic-tikv-0       1   upgraded      12s        1m4s      20s            1m36s',
        'basic-tikv-1       2   failed        -          -         -              10m2s',
        'basic-tikv-2       3   not started',
        '',
        '1 of 3 stores upgraded in 11m42s; 1 failed, 1 not done by this run.',
        '',
      ].join('\n'),
    );
  });

  it('repeats every warning of the run at the end, once each', () => {
    const stores = [
      result({ podName: 'basic-tikv-0', storeId: 1, warnings: ['store 1 was removed from the evict-leader scheduler by someone else; added it again'] }),
      result({ podName: 'basic-tikv-1', storeId: 2, outcome: 'interrupted', durationsMs: { eviction: 3_000, total: 4_000 }, warnings: ['could not record Kubernetes Events on basic-tikv-1 (the step goes on)'] }),
    ];
    const text = renderSummary(
      { stores, warnings: ['took over the Lease of a run that stopped renewing it (alice)', 'could not record Kubernetes Events on basic-tikv-1 (the step goes on)'] },
      plain,
    );
    assert.match(text, /^1 of 2 stores restarted in 1m36s; 1 interrupted\.$/m);
    assert.ok(
      text.endsWith(
        [
          '',
          'Warning: took over the Lease of a run that stopped renewing it (alice)',
          'Warning: could not record Kubernetes Events on basic-tikv-1 (the step goes on)',
          'Warning: store 1 was removed from the evict-leader scheduler by someone else; added it again',
          '',
        ].join('\n'),
      ),
      text,
    );
  });

  it('says when no store was touched', () => {
    assert.equal(renderSummary({ stores: [] }, plain), 'No TiKV stores were touched.\n');
  });

  it('colours outcomes only when asked, without moving the columns', () => {
    const stores = [result({ podName: 'basic-tikv-0', storeId: 1 }), result({ podName: 'basic-tikv-1', storeId: 2, outcome: 'failed', durationsMs: { total: 1_000 } })];
    const colored = renderSummary({ stores }, { colors: colors(true) });
    assert.ok(colored.includes('\u001b[32mrestarted\u001b[39m'));
    assert.ok(colored.includes('\u001b[31mfailed\u001b[39m'));
    assert.equal(stripAnsi(colored), renderSummary({ stores }, plain));
  });
});
