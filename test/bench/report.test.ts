import assert from 'node:assert/strict';
import { checkGoals, ratioAtSmallClusterPace, type BenchResults } from '../../bench/report.ts';
import type { UpgradeSummary } from '../../bench/summary.ts';

/** The fields of a run the goals read; the rest does not matter here. */
function run(stores: number, inherentSeconds: number, toolSeconds: number, extra: { pollIntervalRealMs?: number; maxLagMs?: number; peakRssMiB?: number } = {}): UpgradeSummary {
  const lag = { count: 1, median: 400, max: extra.maxLagMs ?? 900 };
  return {
    stores,
    pollIntervalRealMs: extra.pollIntervalRealMs ?? 1000,
    timeScale: 0.02,
    ratioAtTimeScale: 1.2,
    peakRssMiB: extra.peakRssMiB ?? 100,
    projected: { inherentSeconds, toolSeconds, ratio: (inherentSeconds + toolSeconds) / inherentSeconds },
    reactions: { all: { realMs: lag } },
  } as unknown as UpgradeSummary;
}

function results(upgrades: UpgradeSummary[], startup: Record<string, number>): BenchResults {
  return {
    settings: { defaultPollIntervalMs: 1000 },
    upgrades,
    startup: { commands: Object.entries(startup).map(([name, medianMs]) => ({ name, medianMs })) },
  } as unknown as BenchResults;
}

describe('bench: the goals', () => {
  it('holds a large cluster\'s stores to the small cluster\'s pace, never the other way round', () => {
    const small = run(5, 100, 5);
    const large = run(200, 200 * 25, 200);
    assert.equal(ratioAtSmallClusterPace(large, [large, small]), (200 * 20 + 200) / (200 * 20));
    const fasterLarge = run(200, 200 * 15, 200);
    assert.equal(ratioAtSmallClusterPace(fasterLarge, [small, fasterLarge]), fasterLarge.projected.ratio);
  });

  it('meets the upgrade goal only when both the ratio and the ratio at the small cluster\'s pace are within 1.05', () => {
    const goals = checkGoals(results([run(5, 100, 4), run(200, 200 * 25, 220)], {}));
    const upgrade = goals.filter((g) => g.goal.startsWith('upgrade'));
    assert.deepEqual(upgrade.map((g) => g.met), [true, false]);
    assert.match(upgrade[1].measured, /× 1\.044 at real pace, × 1\.055 at the 5-store pace/);
  });

  it('judges reaction by the maximum, start-up against node -e 0, status against kubectl get pods and RSS on the largest run', () => {
    const goals = checkGoals(
      results([run(5, 100, 4, { maxLagMs: 1200 }), run(20, 400, 10, { pollIntervalRealMs: 15_000, maxLagMs: 15_000 }), run(50, 1000, 10, { peakRssMiB: 140 })], {
        'node -e 0': 20,
        'kubectl-tikv --help': 25,
        'kubectl get pods': 50,
        'kubectl tikv status': 120,
      }),
    );
    const verdict = Object.fromEntries(goals.map((g) => [g.goal, g.met]));
    assert.deepEqual(verdict, {
      'reaction ≤ 1 s (5 stores)': false,
      'reaction ≤ 1 s (50 stores)': true,
      'upgrade ≤ 1.05 × inherent (5 stores)': true,
      'upgrade ≤ 1.05 × inherent (50 stores)': true,
      'start-up (--help) ≤ 1.3 × node -e 0': true,
      'status ≤ 2 × kubectl get pods': false,
      'peak RSS ≤ 150 MiB (50-store upgrade)': true,
    });
  });
});
