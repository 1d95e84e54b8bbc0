/**
 * Every PD HTTP path and scheduler name kubectl-tikv knows (pd-api.md), in one place, so that a PD version
 * difference is fixed once. Paths are absolute; ids are integers and are checked before they reach a URL.
 */

/** Prefix of PD's v1 API. */
export const PD_API_V1 = '/pd/api/v1';

/** Name of the evict-leader scheduler since PD v4.0: one scheduler holding a map of stores. */
export const EVICT_LEADER_SCHEDULER = 'evict-leader-scheduler';

/** Prefix of PD ≤ v3.0's one-scheduler-per-store name, `evict-leader-scheduler-<storeId>`. */
export const LEGACY_EVICT_LEADER_PREFIX = `${EVICT_LEADER_SCHEDULER}-`;

/**
 * PD's own schedulers. kubectl-tikv never removes these, whatever they are called in a given version
 * (`evict-slow-store-scheduler` is a default since v8.1, `evict-stopping-store-scheduler` since v8.5.5).
 */
export const PD_OWN_SCHEDULERS: readonly string[] = [
  'balance-leader-scheduler',
  'balance-region-scheduler',
  'balance-hot-region-scheduler',
  'balance-witness-scheduler',
  'evict-slow-store-scheduler',
  'evict-slow-trend-scheduler',
  'evict-stopping-store-scheduler',
  'transfer-witness-leader-scheduler',
  'label-scheduler',
  'split-bucket-scheduler',
  'hot-region-scheduler',
];

const LEGACY_EVICT_LEADER_NAME = /^evict-leader-scheduler-(\d+)$/;

/** True for the names PD gives an evict-leader scheduler, current (`evict-leader-scheduler`) or legacy (`…-<id>`). */
export function isEvictLeaderSchedulerName(name: string): boolean {
  return name === EVICT_LEADER_SCHEDULER || LEGACY_EVICT_LEADER_NAME.test(name);
}

/** The store id of a legacy per-store scheduler name (`evict-leader-scheduler-4` → 4); undefined for any other name. */
export function legacyEvictLeaderStoreId(name: string): number | undefined {
  const match = LEGACY_EVICT_LEADER_NAME.exec(name);
  if (!match) return undefined;
  const storeId = Number(match[1]);
  return Number.isSafeInteger(storeId) ? storeId : undefined;
}

/** True for a scheduler that belongs to PD and must never be removed by kubectl-tikv. */
export function isPdOwnScheduler(name: string): boolean {
  return PD_OWN_SCHEDULERS.includes(name);
}

/** PD's numeric store states for the `state` query of `/stores` (metapb.StoreState). */
export const STORE_STATE_QUERY = { up: 0, offline: 1, tombstone: 2 } as const;

/** The `/regions/check/<kind>` kinds PD serves. */
export const REGION_CHECK_KINDS = [
  'miss-peer',
  'pending-peer',
  'down-peer',
  'offline-peer',
  'extra-peer',
  'learner-peer',
  'empty-region',
] as const;

/** A store id as it goes into a path or a body; throws RangeError for anything but a non-negative safe integer. */
export function checkStoreId(storeId: number): number {
  if (!Number.isSafeInteger(storeId) || storeId < 0) throw new RangeError(`store id must be a non-negative integer, got ${storeId}`);
  return storeId;
}

function id(value: number): string {
  return String(checkStoreId(value));
}

/** Every PD route kubectl-tikv calls. */
export const pdRoutes = {
  /** GET: stores; PD hides Tombstone unless `state` lists it. */
  stores(options: { includeTombstone?: boolean } = {}): string {
    if (!options.includeTombstone) return `${PD_API_V1}/stores`;
    const { up, offline, tombstone } = STORE_STATE_QUERY;
    return `${PD_API_V1}/stores?state=${up}&state=${offline}&state=${tombstone}`;
  },
  /** GET: stores by computed state name (PD v7.5+; 404 on older PD). */
  storesCheck(state: 'up' | 'offline' | 'tombstone' | 'disconnected' | 'down'): string {
    return `${PD_API_V1}/stores/check?state=${state}`;
  },
  /** GET: one store, Tombstone included. */
  store(storeId: number): string {
    return `${PD_API_V1}/store/${id(storeId)}`;
  },
  /** GET: scheduler names; POST: add a scheduler. */
  schedulers: `${PD_API_V1}/schedulers`,
  /** DELETE: one store out of the evict-leader scheduler (both PD naming schemes answer this path). */
  evictLeaderStore(storeId: number): string {
    return `${PD_API_V1}/schedulers/${LEGACY_EVICT_LEADER_PREFIX}${id(storeId)}`;
  },
  /** GET: the evict-leader scheduler's store map (PD v4.0+); Go's text 404 when the scheduler does not exist. */
  evictLeaderConfigList: `${PD_API_V1}/scheduler-config/${EVICT_LEADER_SCHEDULER}/list`,
  health: `${PD_API_V1}/health`,
  ping: `${PD_API_V1}/ping`,
  members: `${PD_API_V1}/members`,
  leader: `${PD_API_V1}/leader`,
  version: `${PD_API_V1}/version`,
  clusterStatus: `${PD_API_V1}/cluster/status`,
  replicationConfig: `${PD_API_V1}/config/replicate`,
  scheduleConfig: `${PD_API_V1}/config/schedule`,
  regionCheck(kind: (typeof REGION_CHECK_KINDS)[number]): string {
    if (!REGION_CHECK_KINDS.includes(kind)) throw new RangeError(`unknown region check kind ${JSON.stringify(kind)}`);
    return `${PD_API_V1}/regions/check/${kind}`;
  },
  /** GET: regions whose leader is on the store. */
  storeLeaderRegions(storeId: number): string {
    return `${PD_API_V1}/regions/store/${id(storeId)}?type=leader`;
  },
  /** GET: PD v8.5.2+ readiness (regions loaded); 404 on older PD. Not under the v1 prefix. */
  ready: '/pd/api/v2/ready',
} as const;
