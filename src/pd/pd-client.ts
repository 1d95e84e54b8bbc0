import type { Store } from '../core/model.ts';

/** One PD member as `/members` and `/health` describe it. */
export interface PdMember {
  name: string;
  memberId: string;
  clientUrls: string[];
  peerUrls: string[];
  /** `binary_version`, e.g. `v8.5.0`; empty when PD omits it. */
  binaryVersion: string;
  /** From `/health`; undefined when only `/members` was read. */
  healthy?: boolean;
}

/** `/members`: every member, the PD leader (absent while there is none) and the cluster id. */
export interface PdMembers {
  clusterId: string;
  members: PdMember[];
  leader?: PdMember;
}

/** `/config/replicate`, booleans parsed (PD sends them as strings). */
export interface PdReplicationConfig {
  maxReplicas: number;
  locationLabels: string[];
  enablePlacementRules: boolean;
}

/** `/config/schedule`, the fields kubectl-tikv reads. */
export interface PdScheduleConfig {
  leaderScheduleLimit: number;
  /** Go duration string, e.g. `30m0s`. */
  maxStoreDownTime: string;
}

/** The `/regions/check/<kind>` kinds kubectl-tikv reads. */
export type RegionCheckKind = 'miss-peer' | 'pending-peer' | 'down-peer' | 'offline-peer' | 'extra-peer' | 'learner-peer' | 'empty-region';

/** A region from `/regions/check/*`, reduced to what the health gate and `status` show. */
export interface RegionSummary {
  regionId: number;
  /** Store ids holding a peer. */
  storeIds: number[];
  leaderStoreId?: number;
  /** Store ids of down peers with how long they have been down. */
  downPeers: { storeId: number; downSeconds: number }[];
  pendingPeerStoreIds: number[];
}

/** Result of `/regions/check/<kind>`. */
export interface RegionCheck {
  count: number;
  regions: RegionSummary[];
}

/** Stores currently in PD's evict-leader scheduler(s), whatever the PD version names them. */
export interface EvictLeaderState {
  storeIds: number[];
  /** Scheduler names in `/schedulers` that evict leaders (`evict-leader-scheduler`, legacy `evict-leader-scheduler-<id>`). */
  schedulerNames: string[];
}

/** What removing a store from the evict-leader scheduler found. */
export type RemoveEvictLeaderResult = 'removed' | 'absent';

/**
 * PD's HTTP API as kubectl-tikv uses it (pd-api.md). Every PD version difference is absorbed by the
 * implementation; callers see one shape. Calls reject with a PdError naming method, path, status and PD's message.
 */
export interface PdClient {
  /** Stores; Tombstone stores only when asked (PD hides them by default). */
  stores(options?: { includeTombstone?: boolean; signal?: AbortSignal }): Promise<Store[]>;
  /** One store, Tombstone included; rejects with PdStoreNotFoundError when PD does not know it. */
  store(storeId: number, options?: { signal?: AbortSignal }): Promise<Store>;
  /** Scheduler names from `/schedulers` (unordered as PD gives them). */
  schedulers(options?: { signal?: AbortSignal }): Promise<string[]>;
  /** Which stores are being evicted, from `/schedulers` plus the evict-leader scheduler's config list. */
  evictLeaderState(options?: { signal?: AbortSignal }): Promise<EvictLeaderState>;
  /** Adds a store to the evict-leader scheduler (idempotent). */
  addEvictLeader(storeId: number, options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes a store from the evict-leader scheduler; `absent` when it was not there (PD's 404). */
  removeEvictLeader(storeId: number, options?: { signal?: AbortSignal }): Promise<RemoveEvictLeaderResult>;
  /** `/members`. */
  members(options?: { signal?: AbortSignal }): Promise<PdMembers>;
  /** `/health`: every member with `healthy` set. */
  health(options?: { signal?: AbortSignal }): Promise<PdMember[]>;
  /** PD's version with its leading `v`, e.g. `v8.5.0`. */
  version(options?: { signal?: AbortSignal }): Promise<string>;
  replicationConfig(options?: { signal?: AbortSignal }): Promise<PdReplicationConfig>;
  scheduleConfig(options?: { signal?: AbortSignal }): Promise<PdScheduleConfig>;
  regionCheck(kind: RegionCheckKind, options?: { signal?: AbortSignal }): Promise<RegionCheck>;
  /** `/pd/api/v2/ready`; true on older PD that does not have it (404). */
  ready(options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Releases connections. */
  close(): Promise<void>;
}
