import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.ts';
import { systemClock } from '../../src/services/clock.ts';
import type { EvictOptions } from '../../src/services/evict-options.ts';
import type { RestartOptions } from '../../src/services/restart-options.ts';
import type { RollingDeps } from '../../src/services/rolling-run.ts';
import type { StepOptions } from '../../src/services/step-options.ts';
import type { UpgradeOptions } from '../../src/services/upgrade-options.ts';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../sim/cluster.ts';
import { openSimSession } from './sim-session.ts';

/** Step bounds for service tests against the simulator (time scale 0.02): generous timeouts, a 50 ms poll. */
export function stepOptions(overrides: Partial<StepOptions> = {}): StepOptions {
  return {
    yes: true,
    evictTimeoutMs: 60_000,
    onEvictTimeout: 'abort',
    readyTimeoutMs: 60_000,
    leaderReturnTimeoutMs: 20_000,
    skipLeaderReturn: false,
    force: false,
    pollIntervalMs: 50,
    ...overrides,
  };
}

export function restartOptions(overrides: Partial<RestartOptions> = {}): RestartOptions {
  return { ...stepOptions(), podNames: [], all: false, interactive: false, ...overrides };
}

export function upgradeOptions(overrides: Partial<UpgradeOptions> = {}): UpgradeOptions {
  return { ...stepOptions(), targetVersion: 'v8.5.1', dryRun: false, interactive: false, order: 'leaders', allowDowngrade: false, ...overrides };
}

export function evictOptions(overrides: Partial<EvictOptions> = {}): EvictOptions {
  return { ...stepOptions({ evictTimeoutMs: 30_000, leaderReturnTimeoutMs: 10_000 }), end: false, list: false, wait: true, ...overrides };
}

/** A connection to the simulated cluster and the services' deps on it. */
export type SimSession = Awaited<ReturnType<typeof openSimSession>>;

/**
 * Runs `body` against a fresh simulated cluster (3 stores of TiKV v8.5.0, PD v8.5.1, time scale 0.02, 30 regions
 * per store unless overridden) through a connection made as the CLI makes it; stops everything afterwards.
 */
export async function withSimSession(
  simOptions: Partial<SimClusterOptions> & Pick<SimClusterOptions, 'topology'>,
  body: (sim: SimCluster, deps: RollingDeps, session: SimSession) => Promise<void>,
): Promise<void> {
  const sim = await startSimCluster({ stores: 3, timeScale: 0.02, regionsPerStore: 30, tikvVersion: 'v8.5.0', pdVersion: 'v8.5.1', ...simOptions });
  try {
    const session = await openSimSession(sim);
    try {
      await body(sim, testDeps(session), session);
    } finally {
      await session.dispose();
    }
  } finally {
    await sim.stop();
  }
}

/** RollingDeps on a session with the real clock and no output; override what a test is about. */
export function testDeps(session: SimSession, overrides: Partial<RollingDeps> = {}): RollingDeps {
  return { session, clock: systemClock, progress: { emit: () => {} }, signal: new AbortController().signal, holder: 'test (pid 1)', ...overrides };
}

/** The UserError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function rejection(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    return error;
  }
  assert.fail('expected a UserError');
}
