import type { Store, TikvPod } from '../../src/core/model.ts';

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
