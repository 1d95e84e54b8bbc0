import type { Store, TikvPod } from '../../src/core/model.ts';
import type { StepRecord } from '../../src/core/step-record.ts';
import type { StoreTarget } from '../../src/core/store-step.ts';

/** A valid, Up store with leaders; override what a test is about. */
export function aStore(overrides: Partial<Store> & { storeId: number }): Store {
  const pod = `basic-tikv-${overrides.storeId - 1}`;
  return {
    address: `${pod}.basic-tikv-peer.ns.svc:20160`,
    statusAddress: `${pod}.basic-tikv-peer.ns.svc:20180`,
    version: '8.5.0',
    stateName: 'Up',
    startTimestampSec: 1_732_000_000,
    lastHeartbeatMs: 1_732_000_100_000,
    leaderCount: 100,
    regionCount: 300,
    labels: {},
    ...overrides,
  };
}

/** A valid, Ready TiKV pod; override what a test is about. */
export function aPod(overrides: Partial<TikvPod> & { name: string }): TikvPod {
  return {
    namespace: 'ns',
    uid: `uid-${overrides.name}`,
    phase: 'Running',
    ready: true,
    terminating: false,
    createdAtMs: 1_732_000_000_000,
    image: 'pingcap/tikv:v8.5.0',
    restarts: 0,
    labels: {},
    annotations: {},
    ...overrides,
  };
}

/** A valid step target: store 2 on pod basic-tikv-1, evicted by a scheduler, real-world default bounds. */
export function aTarget(overrides: Partial<StoreTarget> = {}): StoreTarget {
  return {
    podName: 'basic-tikv-1',
    storeId: 2,
    eviction: 'scheduler',
    evictTimeoutMs: 600_000,
    onEvictTimeout: 'abort',
    readyTimeoutMs: 600_000,
    leaderReturnTimeoutMs: 300_000,
    skipLeaderReturn: false,
    ...overrides,
  };
}

/** A valid step record of store 2 in phase evicting, written at `phaseSinceMs`. */
export function aRecord(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    runId: 'run-1',
    command: 'restart',
    storeId: 2,
    podName: 'basic-tikv-1',
    podUid: 'uid-old',
    startTimestampSec: 1_700_000_000,
    leadersBefore: 300,
    phase: 'evicting',
    phaseSinceMs: 1_800_000_000_000,
    ownsScheduler: true,
    ...overrides,
  };
}
