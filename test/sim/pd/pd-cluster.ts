import type { StoreStateName } from '../../../src/core/model.ts';
import type { History } from '../history.ts';
import type { ContainerStart, ProcessFactory, SimProcess } from '../process.ts';
import type { SimClock } from '../sim-clock.ts';
import { startTikvProcess } from '../tikv/tikv-process.ts';
import { startPdMember } from './pd-member-process.ts';
import { pdVersionProfile, type PdVersionProfile } from './pd-version.ts';
import { PdFaults, type TikvFault } from './pd-faults.ts';
import { PdView } from './pd-view.ts';
import { imageKind } from './sim-image.ts';
import { RegionModel, type SimRegion } from './region-model.ts';
import { SeededRandom } from './seeded-random.ts';
import { DEFAULT_SIM_TIMING, type SimTiming } from './sim-timing.ts';

/**
 * One simulated TiKV cluster's PD side and raft truth: the shared state PD's members replicate among themselves
 * (stores, schedulers, PD's region cache) plus what the TiKVs know (regions and their leaders). PD member and
 * TiKV processes (`processFactory()`) are views onto it; tests and the whole-cluster composition read it and
 * inject faults through it (`faults`, `tikvFault()`, the direct scheduler methods).
 *
 * Modelled at PD's pace and with PD's rules (tikv/pd source, v3.0 … master): store registration and heartbeats,
 * `state_name` from heartbeat age, the evict-leader scheduler (one per store on ≤ 3.x, one with a store map
 * since 4.0, batch since 8.3), balance-leader (transfer out/in, tolerance of 5 leaders each side, interval backoff
 * 50 ms → 5 s), evict-stopping-store (8.5.5+), evict-slow-store, leader-schedule-limit, 60 s operator timeout,
 * PD's prepare gate after a leader change, raft elections 10–20 s after a leader's store stopped (quorum needed),
 * follower → leader proxying, 3 s leader lease, no-leader 503s.
 *
 * Where the simulator deliberately differs from real PD/TiKV, and why:
 * - Placement is instantaneous: a brand-new store receives its share of peers (and its share of leaders) the
 *   moment it registers, missing replicas are made up at once, and `DELETE /store/{id}` moves replicas off at
 *   once. Data movement is not what kubectl-tikv is about; leader movement is modelled at PD's pace.
 * - Regions never split or merge; keys and sizes are synthetic; `/regions/check/empty-region`, `extra-peer`,
 *   `learner-peer` are always empty. Replicas of a Down store are never repaired (no replica checker).
 * - A new store is `Serving` from its first heartbeat (PD waits for its region size to reach a threshold); until
 *   then PD shows it the way real PD does: `Down` with a 1970 `last_heartbeat_ts`.
 * - `start_timestamp` is at least the previous one + 1 s for the same store, so a restart that takes less than
 *   a wall-clock second at a small timeScale is still visible as a restart (a real TiKV restart takes longer).
 * - Durations PD derives from timestamps (`uptime`, `down_seconds`) are wall-clock; thresholds (Disconnected
 *   after 20 s, Down after max-store-down-time, down peers after 10 min) are real-world defaults × timeScale.
 *   Disconnected also needs one heartbeat period + 50 ms of wall time, so event-loop jitter at tiny time scales
 *   never fakes a missed heartbeat.
 * - Leader scheduling runs in simulated rounds of `scheduleIntervalMs` that catch up with the wall clock on each
 *   tick, so its pace does not depend on timeScale; History records an event at the tick that observed it (at
 *   most `tickMinWallMs` late).
 * - Operators are leader transfers only; the evict-leader scheduler picks a random follower that passes PD's
 *   store filters (Up by PD's knowledge, not busy, not paused, not stopping, not slow, peer not pending).
 * - PD's view of a region changes only through region heartbeats (on every leader change, and periodically
 *   every 60 s after a PD leader change that lost the cache); leaderless regions do not heartbeat.
 * - PD's behaviour profile (messages, routes, defaults) follows the `pdVersion` option; a member's image tag
 *   only sets the `binary_version` it reports. `/config/schedule` and `/config/replicate` carry the fields and
 *   defaults of v8.5 with later/earlier fields dropped approximately for other versions.
 * - `/stores` and `/schedulers` come in a seeded random order, as Go map iteration gives them.
 * - HTTP faults are injected at the member that receives the request (before its redirector).
 */
export interface PdClusterOptions {
  clock: SimClock;
  history: History;
  /** PD version to play (`v8.5.0` default; `v3.0.0` … `v8.5.5`, `master`). */
  pdVersion?: string;
  /** `max-replicas` (default 3). */
  maxReplicas?: number;
  /** Peers per store once placement settles (default 60); new stores bring new regions with them. */
  regionsPerStore?: number;
  /** Instead of `regionsPerStore`: a fixed number of regions created at bootstrap and spread as stores join. */
  totalRegions?: number;
  /** `leader-schedule-limit` (default 4). */
  leaderScheduleLimit?: number;
  /** Serve PD and TiKV status ports over HTTPS and require client certificates signed by `ca` (PEM strings). */
  tls?: SimTls;
  /** Seed for every random choice (default 1). */
  seed?: number;
  /** Overrides of the real-world durations (ms) before scaling. */
  timing?: Partial<SimTiming>;
}

export { PdFaults } from './pd-faults.ts';
export type { PdLeaderChangeView, RequestFault, RequestMatch, TikvFault } from './pd-faults.ts';
export { imageKind, imageRepository, imageVersion } from './sim-image.ts';

/** TLS material shared by the simulated PD members and TiKV status servers (PEM). */
export interface SimTls {
  /** CA that signed the server certificate and that client certificates must chain to. */
  ca: string;
  /** Server certificate and key; its SANs should include 127.0.0.1 and ::1 (port-forward) and the service names. */
  cert: string;
  key: string;
  /** Client certificate a PD follower presents when it proxies to the leader (default: `cert`/`key`). */
  clientCert?: string;
  clientKey?: string;
}

/** A store as tests see it: PD's meta, both leader counts and the runtime truth. */
export interface StoreView {
  storeId: number;
  address: string;
  statusAddress: string;
  podName?: string;
  version: string;
  stateName: StoreStateName;
  nodeState: 'Preparing' | 'Serving' | 'Removing' | 'Removed';
  startTimestampSec: number;
  /** Unix ms of the last store heartbeat PD processed (0: never). */
  lastHeartbeatMs: number;
  /** A TiKV process serves this store right now. */
  running: boolean;
  /** The TiKV is shutting down gracefully (reported `is_stopping`). */
  stopping: boolean;
  /** Leaders and peers according to the TiKV (what `/metrics` says). */
  leaderCount: number;
  regionCount: number;
  /** Leaders and peers according to PD's region cache (what `/stores` says). */
  pdLeaderCount: number;
  pdRegionCount: number;
  /** In the evict-leader scheduler. */
  evicting: boolean;
}

/** A PD member as tests see it. */
export interface MemberView {
  name: string;
  memberId: string;
  running: boolean;
  leader: boolean;
  /** Advertised client URL (`http://<pod>.<peer-svc>.<ns>.svc:2379`). */
  clientUrl: string;
  /** Where the member really listens (`http://127.0.0.1:<port>`), while running. */
  loopbackUrl?: string;
}

/** Result of adding a store to the evict-leader scheduler (PD's internal outcome, rendered per version by HTTP). */
export type AddEvictLeaderResult =
  | { ok: true; created: boolean }
  | { ok: false; reason: 'store-not-found' | 'paused' | 'existed' | 'not-bootstrapped'; schedulerExisted: boolean };

/** Result of removing a store from the evict-leader scheduler. */
export type RemoveEvictLeaderResult = 'removed' | 'removed-last' | 'not-in-scheduler' | 'no-scheduler';

/** A scheduler PD runs. */
export interface SchedulerState {
  name: string;
  /** evict-leader: the stores it evicts (legacy per-store schedulers hold one). */
  storeIds?: Set<number>;
  batch?: number;
}

/** @internal PD's record of a store plus its runtime truth. */
export interface StoreRecord {
  readonly storeId: number;
  address: string;
  statusAddress: string;
  peerAddress: string;
  version: string;
  gitHash: string;
  deployPath: string;
  labels: { key: string; value: string }[];
  podName?: string;
  startTimestampSec: number;
  /** Unix ns of the last heartbeat (0n: never). */
  lastHeartbeatNs: bigint;
  metaState: 'Up' | 'Offline' | 'Tombstone';
  /** metapb.NodeState: 0 Preparing, 1 Serving, 2 Removing, 3 Removed. */
  nodeState: 0 | 1 | 2 | 3;
  hasStats: boolean;
  running: boolean;
  stopping: boolean;
  stoppedAtMs: number;
  catchingUpUntilMs: number;
  busy: boolean;
  slow: boolean;
  /** Who paused leader transfer on this store (PD ≤ 8.5 allows one owner at a time). */
  pausedBy: Set<string>;
  capacityBytes: number;
  lastStateName?: StoreStateName;
  truthPeak: number;
  /** Leader count when the latest drain began (eviction added, stopping, stopped). */
  drainStartCount?: number;
  awaitingReturn?: { before: number };
  /** 'store-heartbeat-after-start' was recorded for the current start_timestamp. */
  heartbeatAfterStartSeen?: boolean;
  /** Wall ms of the first heartbeat since the store (re-)registered. */
  firstHeartbeatSinceRegisterMs?: number;
}

/** @internal PD's record of one member. */
export interface MemberRecord {
  readonly name: string;
  readonly memberId: bigint;
  clientUrl: string;
  peerUrl: string;
  binaryVersion: string;
  gitHash: string;
  deployPath: string;
  running: boolean;
  loopback?: { host: string; port: number };
  startedAtMs: number;
  regionsLoadedAtMs: number;
}

interface TransferOperator {
  regionId: number;
  from: number;
  to: number;
  scheduler: string;
  dueWall: number;
  timeoutWall: number;
}

/** Thrown to a TiKV that calls PD while it has no leader (it retries). */
export class PdUnavailableError extends Error {
  constructor() {
    super('PD has no leader');
    this.name = 'PdUnavailableError';
  }
}

const EVICT_LEADER = 'evict-leader-scheduler';
const BALANCE_LEADER = 'balance-leader-scheduler';
const EVICT_SLOW_STORE = 'evict-slow-store-scheduler';
const EVICT_STOPPING_STORE = 'evict-stopping-store-scheduler';
const EVICT_BATCH = 3;
const TOLERANT_LEADERS = 5;
const DEFAULT_CAPACITY_BYTES = 2_000_398_934_016;
const REGION_SIZE_MIB = 96;

/** Every scheduler name PD accepts on `POST /schedulers` without arguments (plus the evict-leader one). */
export const KNOWN_SCHEDULERS: readonly string[] = [
  'balance-leader-scheduler',
  'balance-region-scheduler',
  'balance-hot-region-scheduler',
  'balance-witness-scheduler',
  'transfer-witness-leader-scheduler',
  'label-scheduler',
  'split-bucket-scheduler',
  'evict-slow-store-scheduler',
  'evict-slow-trend-scheduler',
  'evict-stopping-store-scheduler',
  'shuffle-leader-scheduler',
  'shuffle-region-scheduler',
  'random-merge-scheduler',
  EVICT_LEADER,
];

/** The simulated PD cluster and raft truth of one TiKV cluster (see the TSDoc of this module for fidelity notes). */
export class PdCluster {
  readonly clock: SimClock;
  readonly history: History;
  readonly profile: PdVersionProfile;
  readonly timing: Readonly<SimTiming>;
  readonly tls?: SimTls;
  readonly maxReplicas: number;
  readonly leaderScheduleLimit: number;
  readonly clusterId: bigint;
  /** @internal */ readonly regions = new RegionModel();
  /** @internal */ readonly view: PdView;
  /** @internal */ readonly stores = new Map<number, StoreRecord>();
  /** @internal */ readonly members = new Map<string, MemberRecord>();
  /** @internal */ readonly schedulers = new Map<string, SchedulerState>();
  /** @internal */ readonly random: SeededRandom;
  /** Fault knobs (see each field). */
  readonly faults: PdFaults;
  /** Counters of PD's leader scheduling (for pace assertions without timing). */
  readonly stats = { rounds: 0, roundsWithNewTransfers: 0, transfersStarted: 0, transfersFinished: 0, transfersTimedOut: 0, maxInFlight: 0 };
  /** Wall ms when the first store bootstrapped the cluster (0: not bootstrapped). */
  bootstrappedAtMs = 0;
  #leaderName: string | undefined;
  #leaderLeaseTimer?: () => void;
  #electionTimer?: () => void;
  readonly #regionsPerStore: number;
  readonly #totalRegions?: number;
  readonly #ops = new Map<number, TransferOperator>();
  readonly #heartbeatQueue: { regionId: number; dueWall: number }[] = [];
  readonly #electionPending = new Set<number>();
  readonly #tikvFaults = new Map<string, TikvFault>();
  readonly #processes = new Set<SimProcess>();
  readonly #leaderZeroWaiters = new Map<number, Set<() => void>>();
  readonly #timers = new Set<() => void>();
  /** Stores that are stopping or slow: the only ones the evict-stopping/slow-store schedulers look at. */
  readonly #flagged = new Set<number>();
  #nextRoundWall: number;
  #nextBalanceWall = 0;
  #balanceQuiet = false;
  #balanceIntervalMs = 50;
  #refreshCursor: number[] | undefined;
  #refreshIndex = 0;
  #refreshCarry = 0;
  #lastRefreshWall = 0;
  #nextStoreId = 1;
  #nextId = 2;
  #unavailableSince = 0;
  #stopTick: () => void;
  #stopped = false;

  constructor(options: PdClusterOptions) {
    this.clock = options.clock;
    this.history = options.history;
    this.profile = pdVersionProfile(options.pdVersion ?? 'v8.5.0');
    this.timing = { ...DEFAULT_SIM_TIMING, ...options.timing };
    this.tls = options.tls;
    this.maxReplicas = options.maxReplicas ?? 3;
    this.leaderScheduleLimit = options.leaderScheduleLimit ?? 4;
    this.#regionsPerStore = options.regionsPerStore ?? 60;
    this.#totalRegions = options.totalRegions;
    if (this.maxReplicas < 1) throw new Error('maxReplicas must be ≥ 1');
    this.random = new SeededRandom(options.seed ?? 1);
    this.clusterId = this.random.uint63();
    this.view = new PdView(this.regions);
    this.faults = new PdFaults(this);
    this.regions.onLeaderChange((region, from, to) => this.#onTruthLeaderChange(region, from, to));
    this.view.onLeadersZero((storeId) => this.#onPdLeadersZero(storeId));
    this.#nextRoundWall = Date.now();
    const tickRealMs = Math.max(this.timing.tickMinWallMs / this.clock.timeScale, this.timing.scheduleIntervalMs);
    this.#stopTick = this.clock.every(tickRealMs, () => this.#tick());
  }

  // ---------------------------------------------------------------- processes

  /** Starts PD members for PD images and TiKVs for TiKV images; other images are not simulated. */
  processFactory(): ProcessFactory {
    return {
      start: async (container: ContainerStart) => {
        const kind = imageKind(container.image);
        if (kind === 'pd') return this.startPd(container);
        if (kind === 'tikv') return this.startTikv(container);
        return undefined;
      },
    };
  }

  /** Starts a PD member process for a container (tests may call it directly with a minimal container). */
  async startPd(container: Partial<ContainerStart> & { podName: string }): Promise<SimProcess> {
    const process = await startPdMember(this, completeContainer(container, 'pingcap/pd:' + this.profile.version));
    this.#track(process);
    return process;
  }

  /** Starts a TiKV process for a container (tests may call it directly with a minimal container). */
  async startTikv(container: Partial<ContainerStart> & { podName: string }): Promise<SimProcess> {
    const process = await startTikvProcess(this, completeContainer(container, 'pingcap/tikv:v8.5.0'));
    this.#track(process);
    return process;
  }

  /** Fault knobs of the TiKV that will run (or runs) in `podName`. */
  tikvFault(podName: string): TikvFault {
    let fault = this.#tikvFaults.get(podName);
    if (!fault) this.#tikvFaults.set(podName, (fault = {}));
    return fault;
  }

  // ---------------------------------------------------------------- reads for tests

  /** Name of the PD leader, if there is one. */
  leaderName(): string | undefined {
    return this.#leaderName;
  }

  /** Loopback URL of the PD leader (or, with no leader, of any running member), for direct HTTP access. */
  directUrl(): string | undefined {
    const scheme = this.tls ? 'https' : 'http';
    const leader = this.#leaderName ? this.members.get(this.#leaderName) : undefined;
    const member = leader?.running && leader.loopback ? leader : [...this.members.values()].find((m) => m.running && m.loopback);
    return member?.loopback ? `${scheme}://${member.loopback.host}:${member.loopback.port}` : undefined;
  }

  memberViews(): MemberView[] {
    const scheme = this.tls ? 'https' : 'http';
    return [...this.members.values()].map((m) => ({
      name: m.name,
      memberId: m.memberId.toString(),
      running: m.running,
      leader: m.name === this.#leaderName,
      clientUrl: m.clientUrl,
      loopbackUrl: m.running && m.loopback ? `${scheme}://${m.loopback.host}:${m.loopback.port}` : undefined,
    }));
  }

  /** Every store PD knows, Tombstones included, by store id. */
  storeViews(): StoreView[] {
    return [...this.stores.values()].sort((a, b) => a.storeId - b.storeId).map((s) => this.#storeView(s));
  }

  storeView(storeId: number): StoreView | undefined {
    const s = this.stores.get(storeId);
    return s && this.#storeView(s);
  }

  /** The non-Tombstone store registered from an address host starting with `<podName>.`, if any. */
  storeOfPod(podName: string): StoreView | undefined {
    const s = [...this.stores.values()].find((r) => r.metaState !== 'Tombstone' && (r.podName === podName || r.address.startsWith(`${podName}.`)));
    return s && this.#storeView(s);
  }

  /** Scheduler names PD runs now. */
  schedulerNames(): string[] {
    return [...this.schedulers.keys()];
  }

  /** Stores in the evict-leader scheduler(s), whatever the version calls them. */
  evictLeaderStoreIds(): number[] {
    const ids: number[] = [];
    for (const s of this.schedulers.values()) if (s.storeIds) ids.push(...s.storeIds);
    return ids.sort((a, b) => a - b);
  }

  /** Regions without a leader right now (unavailable for reads and writes). */
  unavailableRegionCount(): number {
    return this.regions.leaderlessRegionIds().size;
  }

  /** Leader transfers PD has in flight. */
  inFlightTransfers(): number {
    return this.#ops.size;
  }

  /**
   * Settled: a PD leader, every store Up and running, no region without a leader, no transfer in flight, and
   * balance-leader found nothing to move on its last attempt.
   */
  isSettled(): boolean {
    if (!this.#leaderName || !this.bootstrappedAtMs) return false;
    const live = [...this.stores.values()].filter((s) => s.metaState !== 'Tombstone');
    if (live.length === 0) return false;
    if (live.some((s) => !s.running || this.stateName(s) !== 'Up')) return false;
    if (this.unavailableRegionCount() > 0 || this.#ops.size > 0) return false;
    // balance-leader found nothing to move on its last attempt (PD's per-pair tolerance, not a global spread).
    return this.#balanceQuiet || !this.schedulers.has(BALANCE_LEADER);
  }

  /** Resolves when `isSettled()` (checked every simulated second); rejects on abort. */
  async waitUntilSettled(signal?: AbortSignal): Promise<void> {
    while (!this.isSettled()) await this.clock.sleep(1_000, signal);
  }

  // ---------------------------------------------------------------- direct control (pd-ctl, or "behind our back")

  /** Adds a store to the evict-leader scheduler as PD's handler would. */
  addEvictLeader(storeId: number, by = 'direct', detail: Record<string, unknown> = {}): AddEvictLeaderResult {
    if (!this.bootstrappedAtMs) return { ok: false, reason: 'not-bootstrapped', schedulerExisted: false };
    if (this.profile.legacyEvictLeader) {
      const name = `${EVICT_LEADER}-${storeId}`;
      if (this.schedulers.has(name)) return { ok: false, reason: 'existed', schedulerExisted: true };
      const store = this.stores.get(storeId);
      if (!store) return { ok: false, reason: 'store-not-found', schedulerExisted: false };
      if (store.pausedBy.size > 0) return { ok: false, reason: 'paused', schedulerExisted: false }; // "store N is blocked"
      this.schedulers.set(name, { name, storeIds: new Set([storeId]), batch: 1 });
      store.pausedBy.add(name);
      store.drainStartCount ??= this.regions.leaderCount(storeId);
      this.history.record('pd', 'scheduler-added', { name, storeId, by, ...detail });
      return { ok: true, created: true };
    }
    const existing = this.schedulers.get(EVICT_LEADER);
    const store = this.stores.get(storeId);
    if (existing?.storeIds?.has(storeId)) return { ok: true, created: false };
    if (!store) return { ok: false, reason: 'store-not-found', schedulerExisted: Boolean(existing) };
    if (store.pausedBy.size > 0 && this.profile.pauseLeaderTransferError) {
      return { ok: false, reason: 'paused', schedulerExisted: Boolean(existing) };
    }
    store.pausedBy.add(EVICT_LEADER);
    store.drainStartCount ??= this.regions.leaderCount(storeId);
    if (existing) {
      existing.storeIds!.add(storeId);
    } else {
      this.schedulers.set(EVICT_LEADER, { name: EVICT_LEADER, storeIds: new Set([storeId]), batch: EVICT_BATCH });
    }
    this.history.record('pd', 'scheduler-added', { name: EVICT_LEADER, storeId, by, ...detail });
    return { ok: true, created: !existing };
  }

  /** Removes a store from the evict-leader scheduler (the whole scheduler with its last store). */
  removeEvictLeader(storeId: number, by = 'direct', detail: Record<string, unknown> = {}): RemoveEvictLeaderResult {
    const name = this.profile.legacyEvictLeader ? `${EVICT_LEADER}-${storeId}` : EVICT_LEADER;
    const scheduler = this.schedulers.get(name);
    if (!scheduler?.storeIds) return 'no-scheduler';
    if (!scheduler.storeIds.has(storeId)) return 'not-in-scheduler';
    scheduler.storeIds.delete(storeId);
    this.stores.get(storeId)?.pausedBy.delete(name);
    const last = scheduler.storeIds.size === 0;
    if (last) this.schedulers.delete(name);
    this.history.record('pd', 'scheduler-removed', { name, storeId, by, schedulerRemoved: last, ...detail });
    return last ? 'removed-last' : 'removed';
  }

  /** Adds a scheduler without arguments (balance-leader …); false when it already runs. */
  addScheduler(name: string, by = 'direct', detail: Record<string, unknown> = {}): boolean {
    if (this.schedulers.has(name)) return false;
    this.schedulers.set(name, { name });
    this.history.record('pd', 'scheduler-added', { name, by, ...detail });
    return true;
  }

  /** Removes a whole scheduler by name (`evict-leader-scheduler` with all its stores); false when absent. */
  removeScheduler(name: string, by = 'direct', detail: Record<string, unknown> = {}): boolean {
    const scheduler = this.schedulers.get(name);
    if (!scheduler) return false;
    this.schedulers.delete(name);
    for (const storeId of scheduler.storeIds ?? []) {
      this.stores.get(storeId)?.pausedBy.delete(name);
      this.history.record('pd', 'scheduler-removed', { name, storeId, by, schedulerRemoved: true, ...detail });
    }
    if (!scheduler.storeIds) this.history.record('pd', 'scheduler-removed', { name, by, schedulerRemoved: true, ...detail });
    return true;
  }

  /**
   * Takes a store down (`DELETE /store/{id}`, scale-in): Offline at once, its replicas move to other stores (instantly,
   * like all placement here), and it becomes Tombstone when it holds none. Refused when the other Up stores cannot
   * hold max-replicas copies. Returns an error text or undefined.
   */
  removeStore(storeId: number, by = 'direct'): 'not-found' | 'removed-already' | 'not-enough-stores' | undefined {
    const store = this.stores.get(storeId);
    if (!store) return 'not-found';
    if (store.metaState === 'Tombstone') return 'removed-already';
    const others = [...this.stores.values()].filter((s) => s !== store && s.metaState === 'Up');
    if (store.metaState === 'Up' && others.length < this.maxReplicas) return 'not-enough-stores';
    store.metaState = 'Offline';
    store.nodeState = 2;
    this.history.record('pd', 'store-state', { storeId, from: store.lastStateName ?? null, to: 'Offline', by });
    store.lastStateName = 'Offline';
    for (const regionId of [...this.regions.peerRegionIds(storeId)]) {
      const region = this.regions.region(regionId)!;
      const target = others
        .filter((s) => s.running && !this.regions.hasPeerOn(region, s.storeId))
        .sort((a, b) => this.regions.peerCount(a.storeId) - this.regions.peerCount(b.storeId))[0];
      if (!target) continue;
      this.regions.addPeer(region, { peerId: this.#allocId(), storeId: target.storeId });
      if (region.leaderStoreId === storeId) this.regions.setLeader(region, target.storeId);
      this.regions.removePeer(region, storeId);
      this.#enqueueHeartbeat(regionId, 0);
    }
    if (this.regions.peerCount(storeId) === 0) {
      store.metaState = 'Tombstone';
      store.nodeState = 3;
      this.history.record('pd', 'store-state', { storeId, from: 'Offline', to: 'Tombstone', by });
      store.lastStateName = 'Tombstone';
      for (const sc of this.schedulers.values()) sc.storeIds?.delete(storeId);
    }
    return undefined;
  }

  /** Stops every process started through this cluster and all timers. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopTick();
    this.#leaderLeaseTimer?.();
    this.#electionTimer?.();
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    for (const process of [...this.#processes]) process.kill();
    this.#processes.clear();
    for (const waiters of this.#leaderZeroWaiters.values()) for (const w of waiters) w();
    this.#leaderZeroWaiters.clear();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  // ---------------------------------------------------------------- computed state

  /** PD's `state_name` for a store right now. */
  stateName(store: StoreRecord, now = Date.now()): StoreStateName {
    if (store.metaState === 'Tombstone') return 'Tombstone';
    if (store.metaState === 'Offline') return 'Offline';
    const ageMs = now - Number(store.lastHeartbeatNs / 1_000_000n);
    // Event-loop jitter must never fake a missed heartbeat: at tiny time scales Disconnected also needs one heartbeat
    // period plus 50 ms of wall time.
    const ts = this.clock.timeScale;
    const disconnectedMs = Math.max(ts * this.timing.disconnectedAfterMs, ts * this.timing.storeHeartbeatMs + 50);
    if (ageMs > Math.max(ts * this.timing.maxStoreDownTimeMs, disconnectedMs)) return 'Down';
    if (ageMs > disconnectedMs) return 'Disconnected';
    return 'Up';
  }

  /** Is the cluster bootstrapped (a TiKV registered)? */
  get bootstrapped(): boolean {
    return this.bootstrappedAtMs > 0;
  }

  /** @internal Whether a member is serving as PD leader. */
  isLeader(name: string): boolean {
    return this.#leaderName === name;
  }

  /** @internal The member record of the current leader. */
  leaderMember(): MemberRecord | undefined {
    return this.#leaderName ? this.members.get(this.#leaderName) : undefined;
  }

  // ---------------------------------------------------------------- PD members (called by PD processes)

  /** @internal A PD member process began serving on `loopback`. */
  memberStarted(input: { name: string; clientUrl: string; peerUrl: string; binaryVersion: string; loopback: { host: string; port: number } }): MemberRecord {
    let member = this.members.get(input.name);
    if (!member) {
      member = {
        name: input.name,
        memberId: this.random.uint63(),
        clientUrl: input.clientUrl,
        peerUrl: input.peerUrl,
        binaryVersion: input.binaryVersion,
        gitHash: gitHashFor(input.binaryVersion),
        deployPath: '/',
        running: false,
        startedAtMs: 0,
        regionsLoadedAtMs: 0,
      };
      this.members.set(input.name, member);
    }
    member.clientUrl = input.clientUrl;
    member.peerUrl = input.peerUrl;
    member.binaryVersion = input.binaryVersion;
    member.gitHash = gitHashFor(input.binaryVersion);
    member.loopback = input.loopback;
    member.running = true;
    member.startedAtMs = Date.now();
    member.regionsLoadedAtMs = member.startedAtMs + this.clock.timeScale * this.timing.pdRegionsLoadMs;
    this.#maybeElect();
    return member;
  }

  /** @internal A PD member process stopped. */
  memberStopped(name: string): void {
    const member = this.members.get(name);
    if (!member || !member.running) return;
    member.running = false;
    member.loopback = undefined;
    if (this.#leaderName === name) {
      // Followers keep believing in the dead leader until its lease runs out.
      this.#leaderLeaseTimer?.();
      this.#leaderLeaseTimer = this.clock.after(this.timing.pdLeaderLeaseMs, () => {
        this.#leaderLeaseTimer = undefined;
        if (this.#leaderName === name && !this.members.get(name)?.running) this.#setLeader(undefined);
      });
    } else {
      this.#maybeElect();
    }
  }

  /** @internal Moves PD leadership now (fault and `POST /leader/resign`-like). */
  transferLeader(to?: string): void {
    const candidates = [...this.members.values()].filter((m) => m.running && m.name !== this.#leaderName && (!to || m.name === to));
    const next = to ? candidates[0] : this.random.pick(candidates);
    if (!next) throw new Error(to ? `PD member ${to} is not running` : 'no other running PD member');
    this.#setLeader(next.name);
  }

  #quorum(): boolean {
    const running = [...this.members.values()].filter((m) => m.running).length;
    return running > 0 && running > this.members.size / 2;
  }

  #maybeElect(): void {
    if (this.#stopped || this.#leaderName || this.#electionTimer || this.faults.noPdLeader || !this.#quorum()) return;
    this.#electionTimer = this.clock.after(this.timing.pdElectionMs, () => {
      this.#electionTimer = undefined;
      if (this.#leaderName || this.faults.noPdLeader || !this.#quorum()) return;
      const candidates = [...this.members.values()].filter((m) => m.running);
      const next = this.random.pick(candidates);
      if (next) this.#setLeader(next.name);
    });
  }

  /** @internal */
  setLeaderForFault(name: string | undefined): void {
    this.#electionTimer?.();
    this.#electionTimer = undefined;
    this.#setLeader(name);
    if (!this.#leaderName) this.#maybeElect();
  }

  #setLeader(name: string | undefined): void {
    const previous = this.#leaderName;
    if (previous === name) return;
    this.#leaderName = name;
    this.#leaderLeaseTimer?.();
    this.#leaderLeaseTimer = undefined;
    this.history.record('pd', 'pd-leader', { name: name ?? null, previous: previous ?? null });
    if (!name) {
      this.#maybeElect();
      return;
    }
    const member = this.members.get(name)!;
    member.regionsLoadedAtMs = Date.now() + this.clock.timeScale * this.timing.pdRegionsLoadMs;
    // The new leader's region cache: synced by the region syncer (fresh), empty, or behind (stale).
    const mode = previous || this.bootstrappedAtMs ? this.faults.pdLeaderChangeView : 'fresh';
    if (mode === 'zero') {
      this.view.clear();
      this.#startRefresh();
    } else if (mode === 'stale') {
      this.view.restore(this.faults.staleSnapshot ?? new Map());
      this.#startRefresh();
    } else {
      this.view.syncAll();
    }
  }

  // ---------------------------------------------------------------- stores (called by TiKV processes)

  /**
   * @internal A TiKV registers (PutStore/Bootstrap). Same address as a live store → same store id, new
   * start_timestamp and version; otherwise a new store. Throws PdUnavailableError without a PD leader.
   */
  registerStore(input: {
    address: string;
    statusAddress: string;
    peerAddress?: string;
    version: string;
    gitHash: string;
    deployPath: string;
    labels: Record<string, string>;
    podName?: string;
  }): StoreRecord {
    if (!this.#leaderName) throw new PdUnavailableError();
    const nowSec = Math.floor(Date.now() / 1000);
    let store = [...this.stores.values()].find((s) => s.metaState !== 'Tombstone' && s.address === input.address);
    const isNew = !store;
    if (!store) {
      const storeId = this.#allocStoreId();
      store = {
        storeId,
        address: input.address,
        statusAddress: input.statusAddress,
        peerAddress: input.peerAddress ?? '',
        version: input.version,
        gitHash: input.gitHash,
        deployPath: input.deployPath,
        labels: Object.entries(input.labels).map(([key, value]) => ({ key, value })),
        podName: input.podName,
        startTimestampSec: nowSec,
        lastHeartbeatNs: 0n,
        metaState: 'Up',
        nodeState: 0,
        hasStats: false,
        running: false,
        stopping: false,
        stoppedAtMs: 0,
        catchingUpUntilMs: 0,
        busy: false,
        slow: false,
        pausedBy: new Set(),
        capacityBytes: DEFAULT_CAPACITY_BYTES,
        truthPeak: 0,
      };
      this.stores.set(storeId, store);
    } else {
      // A restart: the data dir survived. PD keeps the old last heartbeat until the first new one arrives.
      store.statusAddress = input.statusAddress;
      store.peerAddress = input.peerAddress ?? store.peerAddress;
      store.version = input.version;
      store.gitHash = input.gitHash;
      store.deployPath = input.deployPath;
      store.podName = input.podName ?? store.podName;
      const merged = new Map(store.labels.map((l) => [l.key, l.value]));
      for (const [k, v] of Object.entries(input.labels)) merged.set(k, v);
      store.labels = [...merged].map(([key, value]) => ({ key, value }));
      store.startTimestampSec = Math.max(nowSec, store.startTimestampSec + 1);
    }
    if (!this.bootstrappedAtMs) this.#bootstrap();
    store.heartbeatAfterStartSeen = false;
    store.firstHeartbeatSinceRegisterMs = undefined;
    this.history.record('pd', 'store-registered', {
      storeId: store.storeId,
      address: store.address,
      startTimestampSec: store.startTimestampSec,
      version: store.version,
      newStore: isNew,
    });
    return store;
  }

  /** @internal The TiKV of a registered store runs raft now (right after registering). */
  storeRunning(storeId: number): void {
    const store = this.stores.get(storeId);
    if (!store) return;
    const wasNew = this.regions.peerCount(storeId) === 0;
    store.running = true;
    store.stopping = false;
    this.flag(store);
    store.stoppedAtMs = 0;
    store.catchingUpUntilMs = wasNew ? 0 : Date.now() + this.clock.timeScale * this.timing.catchUpMs;
    this.history.record('tikv', 'store-running', { storeId, podName: store.podName ?? null });
    if (wasNew) this.#placeNewStore(store);
    // Regions that lost quorum while this store was away may elect again now.
    const retry: number[] = [];
    for (const regionId of this.regions.peerRegionIds(storeId)) {
      if (this.regions.region(regionId)!.leaderStoreId === 0) retry.push(regionId);
    }
    if (retry.length) this.#scheduleElections(retry);
  }

  /** @internal Re-evaluates whether the stopping/slow schedulers must look at this store. */
  flag(store: StoreRecord): void {
    if (store.stopping || store.slow) this.#flagged.add(store.storeId);
    else this.#flagged.delete(store.storeId);
  }

  /** @internal A store heartbeat (every 10 s). Dropped while PD has no leader. */
  storeHeartbeat(storeId: number, stats: { stopping?: boolean } = {}): boolean {
    if (!this.#leaderName) return false;
    const store = this.stores.get(storeId);
    if (!store || store.metaState === 'Tombstone') return false;
    const nowMs = Date.now();
    store.lastHeartbeatNs = BigInt(nowMs) * 1_000_000n + BigInt(this.random.int(0, 999_999));
    store.hasStats = true;
    store.firstHeartbeatSinceRegisterMs ??= nowMs;
    // The first heartbeat stamped after the start second is the earliest PD can show that the new process runs
    // (start_timestamp has one-second resolution); benchmarks measure reaction lag from it. At small time scales
    // it can come several heartbeats after the first one (firstHeartbeatMs), which real 10 s heartbeats never do.
    if (!store.heartbeatAfterStartSeen && nowMs >= (store.startTimestampSec + 1) * 1000) {
      store.heartbeatAfterStartSeen = true;
      this.history.record('pd', 'store-heartbeat-after-start', {
        storeId,
        startTimestampSec: store.startTimestampSec,
        lastHeartbeatMs: nowMs,
        firstHeartbeatMs: store.firstHeartbeatSinceRegisterMs,
      });
    }
    if (stats.stopping && !store.stopping) store.drainStartCount ??= this.regions.leaderCount(storeId);
    store.stopping = Boolean(stats.stopping);
    this.flag(store);
    if (store.nodeState === 0 && store.metaState === 'Up') store.nodeState = 1;
    this.#checkState(store, nowMs);
    return true;
  }

  /** @internal The TiKV process of a store stopped (exit, kill, crash): its leaders are gone until elections. */
  storeStopped(storeId: number, reason: string): void {
    const store = this.stores.get(storeId);
    if (!store || !store.running) return;
    store.running = false;
    store.stopping = false;
    this.flag(store);
    store.stoppedAtMs = Date.now();
    this.history.record('tikv', 'store-stopped', { storeId, podName: store.podName ?? null, reason });
    const led = [...this.regions.leaderRegionIds(storeId)];
    if (led.length) store.drainStartCount ??= led.length;
    for (const regionId of led) this.regions.setLeader(this.regions.region(regionId)!, 0);
    if (led.length > 0) {
      if (!this.#unavailableSince) this.#unavailableSince = Date.now();
      this.history.record('tikv', 'regions-unavailable', { storeId, count: led.length, totalUnavailable: this.unavailableRegionCount() });
      this.#scheduleElections(led);
    }
    // Operators from or to this store can no longer finish; they time out (targets) or are cancelled (sources).
    for (const op of [...this.#ops.values()]) if (op.from === storeId) this.#ops.delete(op.regionId);
    const waiters = this.#leaderZeroWaiters.get(storeId);
    if (waiters) for (const w of waiters) w();
  }

  /** @internal Resolves when the store's truth leader count is 0, or after `timeoutRealMs`. */
  waitLeadersZero(storeId: number, timeoutRealMs: number): Promise<boolean> {
    if (this.regions.leaderCount(storeId) === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let set = this.#leaderZeroWaiters.get(storeId);
      if (!set) this.#leaderZeroWaiters.set(storeId, (set = new Set()));
      const done = (): void => {
        cancel();
        set!.delete(done);
        resolve(this.regions.leaderCount(storeId) === 0);
      };
      const cancel = this.clock.after(timeoutRealMs, done);
      set.add(done);
    });
  }

  // ---------------------------------------------------------------- internals

  #track(process: SimProcess): void {
    this.#processes.add(process);
    process.onExit(() => this.#processes.delete(process));
  }

  #allocStoreId(): number {
    // Real clusters: the bootstrap store is 1 (region 2, peer 3), the next stores 4, 5, 6 …
    const id = this.#nextStoreId;
    this.#nextStoreId = id === 1 ? 4 : id + 1;
    return id;
  }

  #allocId(): number {
    if (this.#nextId < 1000 && this.#nextId > 3) this.#nextId = 1000;
    return this.#nextId++;
  }

  #bootstrap(): void {
    this.bootstrappedAtMs = Date.now();
    for (const name of this.profile.defaultSchedulers) this.schedulers.set(name, { name });
  }

  #storeView(s: StoreRecord): StoreView {
    return {
      storeId: s.storeId,
      address: s.address,
      statusAddress: s.statusAddress,
      podName: s.podName,
      version: s.version,
      stateName: this.stateName(s),
      nodeState: (['Preparing', 'Serving', 'Removing', 'Removed'] as const)[s.nodeState],
      startTimestampSec: s.startTimestampSec,
      lastHeartbeatMs: Number(s.lastHeartbeatNs / 1_000_000n),
      running: s.running,
      stopping: s.stopping,
      leaderCount: this.regions.leaderCount(s.storeId),
      regionCount: this.regions.peerCount(s.storeId),
      pdLeaderCount: this.view.leaderCount(s.storeId),
      pdRegionCount: this.view.regionCount(s.storeId),
      evicting: [...this.schedulers.values()].some((sc) => sc.storeIds?.has(s.storeId)),
    };
  }

  /** Puts a brand-new store into the key space at once: makes up missing replicas, brings new regions, balances. */
  #placeNewStore(store: StoreRecord): void {
    // New replicas only go to stores that run now (a stopped store cannot receive a snapshot).
    const live = [...this.stores.values()].filter((s) => s.metaState === 'Up' && s.running);
    const storeId = store.storeId;
    // 1. Make up replicas of regions that have fewer than max-replicas peers.
    for (const region of this.regions.regions()) {
      if (region.peers.length < this.maxReplicas && !this.regions.hasPeerOn(region, storeId)) {
        this.regions.addPeer(region, { peerId: this.#allocId(), storeId });
        this.#enqueueHeartbeat(region.regionId, 0);
      }
    }
    // 2. New data arrives with the new store (regionsPerStore), or the fixed region set is created at bootstrap.
    const replicas = Math.min(this.maxReplicas, live.length);
    const wanted = this.#totalRegions !== undefined
      ? (this.regions.regionCount === 0 ? this.#totalRegions : 0)
      : Math.max(0, Math.round((this.#regionsPerStore * Math.max(live.length, this.maxReplicas)) / this.maxReplicas) - this.regions.regionCount);
    for (let i = 0; i < wanted; i++) {
      const others = live
        .filter((s) => s.storeId !== storeId)
        .sort((a, b) => this.regions.peerCount(a.storeId) - this.regions.peerCount(b.storeId) || a.storeId - b.storeId)
        .slice(0, replicas - 1);
      const peerStores = [storeId, ...others.map((s) => s.storeId)];
      const leader = peerStores.reduce((best, s) => (this.regions.leaderCount(s) < this.regions.leaderCount(best) ? s : best), peerStores[0]);
      const region = this.regions.createRegion(
        this.#allocId(),
        peerStores.map((s) => ({ peerId: this.#allocId(), storeId: s })),
        leader,
        REGION_SIZE_MIB - this.random.int(0, 40),
        this.random.int(200_000, 900_000),
      );
      this.#enqueueHeartbeat(region.regionId, 0);
    }
    // 3. Move peers from the fullest stores until the new store holds its share (balance-region, instantly).
    const totalPeers = live.reduce((sum, s) => sum + this.regions.peerCount(s.storeId), 0);
    const share = Math.floor(totalPeers / Math.max(1, live.length));
    let guard = totalPeers;
    while (this.regions.peerCount(storeId) < share && guard-- > 0) {
      const source = live
        .filter((s) => s.storeId !== storeId)
        .sort((a, b) => this.regions.peerCount(b.storeId) - this.regions.peerCount(a.storeId))[0];
      if (!source || this.regions.peerCount(source.storeId) <= share) break;
      let moved = false;
      for (const regionId of this.regions.peerRegionIds(source.storeId)) {
        const region = this.regions.region(regionId)!;
        if (this.regions.hasPeerOn(region, storeId)) continue;
        this.regions.addPeer(region, { peerId: this.#allocId(), storeId });
        if (region.leaderStoreId === source.storeId) this.regions.setLeader(region, storeId);
        this.regions.removePeer(region, source.storeId);
        this.#enqueueHeartbeat(regionId, 0);
        moved = true;
        break;
      }
      if (!moved) break;
    }
    // 4. Balance leaders among the stores that can take them (instantly, as part of placement).
    this.#instantLeaderBalance(live, storeId);
  }

  /** Gives the new store its share of leaders, taken from the stores that have the most (O(peers of the store)). */
  #instantLeaderBalance(stores: StoreRecord[], newStoreId: number): void {
    if (stores.length < 2) return;
    const total = stores.reduce((n, s) => n + this.regions.leaderCount(s.storeId), 0);
    const target = Math.floor(total / stores.length);
    const running = new Set(stores.map((s) => s.storeId));
    for (const regionId of [...this.regions.peerRegionIds(newStoreId)]) {
      if (this.regions.leaderCount(newStoreId) >= target) return;
      const region = this.regions.region(regionId)!;
      const from = region.leaderStoreId;
      if (!from || from === newStoreId || !running.has(from)) continue;
      if (this.regions.leaderCount(from) <= target) continue;
      this.regions.setLeader(region, newStoreId);
      this.#enqueueHeartbeat(regionId, 0);
    }
  }

  #scheduleElections(regionIds: number[]): void {
    // Each region times out on its own within [min, max]; group them into a few timers.
    const buckets = new Map<number, number[]>();
    for (const regionId of regionIds) {
      if (this.#electionPending.has(regionId)) continue;
      this.#electionPending.add(regionId);
      const delay = this.random.between(this.timing.electionTimeoutMinMs, this.timing.electionTimeoutMaxMs);
      const bucket = Math.round(delay / 500) * 500;
      let list = buckets.get(bucket);
      if (!list) buckets.set(bucket, (list = []));
      list.push(regionId);
    }
    for (const [delay, ids] of buckets) {
      const cancel = this.clock.after(delay, () => {
        this.#timers.delete(cancel);
        if (!this.#stopped) this.#elect(ids);
      });
      this.#timers.add(cancel);
    }
  }

  #elect(regionIds: number[]): void {
    let elected = 0;
    for (const regionId of regionIds) {
      this.#electionPending.delete(regionId);
      const region = this.regions.region(regionId);
      if (!region || region.leaderStoreId) continue;
      const alive = region.peers.filter((p) => this.stores.get(p.storeId)?.running);
      if (alive.length * 2 <= region.peers.length) continue; // no quorum: waits for a store to come back
      const preferred = alive.filter((p) => !this.stores.get(p.storeId)?.stopping);
      const winner = this.random.pick(preferred.length ? preferred : alive)!;
      this.regions.setLeader(region, winner.storeId);
      elected++;
    }
    if (elected > 0) {
      const total = this.unavailableRegionCount();
      this.history.record('tikv', 'regions-available', {
        count: elected,
        totalUnavailable: total,
        unavailableMs: this.#unavailableSince ? Date.now() - this.#unavailableSince : 0,
      });
      if (total === 0) this.#unavailableSince = 0;
    }
  }

  #enqueueHeartbeat(regionId: number, latencyRealMs = this.timing.regionHeartbeatLatencyMs): void {
    this.#heartbeatQueue.push({ regionId, dueWall: Date.now() + latencyRealMs * this.clock.timeScale });
  }

  #onTruthLeaderChange(region: SimRegion, from: number, to: number): void {
    if (to) {
      this.#enqueueHeartbeat(region.regionId);
      const store = this.stores.get(to);
      if (store) {
        const count = this.regions.leaderCount(to);
        if (count > store.truthPeak) store.truthPeak = count;
        if (store.awaitingReturn && count >= Math.ceil((2 * store.awaitingReturn.before) / 3)) {
          this.history.record('pd', 'leaders-returned', { storeId: to, leaderCount: count, countBeforeZero: store.awaitingReturn.before, rule: '2/3' });
          store.awaitingReturn = undefined;
        }
      }
    }
    if (from && this.regions.leaderCount(from) === 0) {
      const store = this.stores.get(from);
      this.history.record('pd', 'store-leaders-zero', { storeId: from, view: 'truth' });
      if (store) {
        const before = store.drainStartCount ?? store.truthPeak;
        if (before > 0) store.awaitingReturn = { before };
        store.drainStartCount = undefined;
        store.truthPeak = 0;
      }
      const waiters = this.#leaderZeroWaiters.get(from);
      if (waiters) for (const w of [...waiters]) w();
    }
  }

  #onPdLeadersZero(storeId: number): void {
    this.history.record('pd', 'store-leaders-zero', { storeId, view: 'pd' });
  }

  #checkState(store: StoreRecord, now: number): void {
    const state = this.stateName(store, now);
    if (state !== store.lastStateName) {
      // A store that never heartbeated has no meaningful state yet (PD would say Down from 1970); report Up/… once seen.
      if (store.hasStats || store.metaState !== 'Up') {
        this.history.record('pd', 'store-state', { storeId: store.storeId, from: store.lastStateName ?? null, to: state });
        store.lastStateName = state;
      }
    }
  }

  #startRefresh(): void {
    // Periodic region heartbeats arrive in no particular order.
    const ids = [...this.regions.regions()].map((r) => r.regionId);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = this.random.int(0, i);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    this.#refreshCursor = ids;
    this.#refreshIndex = 0;
    this.#refreshCarry = 0;
    this.#lastRefreshWall = Date.now();
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const interval = this.timing.scheduleIntervalMs * this.clock.timeScale;
    // Do not replay more than 10 s of simulated rounds after a stall.
    const maxRounds = Math.ceil(10_000 / this.timing.scheduleIntervalMs);
    if ((now - this.#nextRoundWall) / interval > maxRounds) this.#nextRoundWall = now - maxRounds * interval;
    while (this.#nextRoundWall <= now) {
      this.#round(this.#nextRoundWall);
      this.#nextRoundWall += interval;
    }
    for (const store of this.stores.values()) this.#checkState(store, now);
    this.#refresh(now);
  }

  #prepared(): boolean {
    return !this.#refreshCursor || this.#refreshIndex >= 0.9 * this.#refreshCursor.length;
  }

  #refresh(now: number): void {
    if (!this.#refreshCursor || !this.#leaderName) return;
    const elapsedReal = (now - this.#lastRefreshWall) / this.clock.timeScale;
    this.#lastRefreshWall = now;
    this.#refreshCarry += (this.#refreshCursor.length * elapsedReal) / this.timing.regionHeartbeatMs;
    while (this.#refreshCarry >= 1 && this.#refreshIndex < this.#refreshCursor.length) {
      this.#refreshCarry--;
      const region = this.regions.region(this.#refreshCursor[this.#refreshIndex++]);
      if (region?.leaderStoreId && this.stores.get(region.leaderStoreId)?.running) this.view.heartbeat(region);
    }
    if (this.#refreshIndex >= this.#refreshCursor.length) this.#refreshCursor = undefined;
  }

  #round(t: number): void {
    this.stats.rounds++;
    const startedBefore = this.stats.transfersStarted;
    // Region heartbeats that have arrived.
    if (this.#leaderName) {
      while (this.#heartbeatQueue.length && this.#heartbeatQueue[0].dueWall <= t) {
        const { regionId } = this.#heartbeatQueue.shift()!;
        const region = this.regions.region(regionId);
        if (region?.leaderStoreId) this.view.heartbeat(region);
      }
    }
    // Operators that finish or time out.
    for (const op of [...this.#ops.values()]) {
      if (op.timeoutWall <= t) {
        this.#ops.delete(op.regionId);
        this.stats.transfersTimedOut++;
        continue;
      }
      if (op.dueWall > t) continue;
      const region = this.regions.region(op.regionId);
      if (!region || region.leaderStoreId !== op.from) {
        this.#ops.delete(op.regionId); // stale: the leader moved meanwhile
        continue;
      }
      if (!this.#transferCanComplete(op, region)) continue; // stays until its timeout
      this.#ops.delete(op.regionId);
      this.stats.transfersFinished++;
      this.regions.setLeader(region, op.to);
    }
    // A new leader schedules nothing until it heard from most regions (PD's prepare checker).
    if (!this.#leaderName || !this.bootstrappedAtMs || !this.#prepared()) return;
    this.#scheduleEvictions(t);
    this.#scheduleBalance(t);
    if (this.stats.transfersStarted > startedBefore) this.stats.roundsWithNewTransfers++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.#ops.size);
  }

  #transferCanComplete(op: TransferOperator, region: SimRegion): boolean {
    const target = this.stores.get(op.to);
    if (!target?.running || !this.regions.hasPeerOn(region, op.to)) return false;
    if (!this.stores.get(op.from)?.running) return false;
    if (this.faults.stuckTransfers) return false;
    if (this.faults.leadersNeverDrain.has(op.from)) return false;
    return true;
  }

  /** Stores being drained this round: evict-leader's, a single stopping store, slow stores. */
  #evictionSources(): { storeId: number; scheduler: string; batch: number }[] {
    const sources: { storeId: number; scheduler: string; batch: number }[] = [];
    for (const sc of this.schedulers.values()) {
      if (!sc.storeIds) continue;
      for (const storeId of sc.storeIds) sources.push({ storeId, scheduler: sc.name, batch: sc.batch ?? EVICT_BATCH });
    }
    if (this.#flagged.size === 0) return sources;
    const flagged = [...this.#flagged].map((id) => this.stores.get(id)!).filter(Boolean);
    if (this.profile.evictStoppingStore && this.schedulers.has(EVICT_STOPPING_STORE)) {
      const stopping = flagged.filter((s) => s.stopping && s.metaState !== 'Tombstone' && s.hasStats);
      if (stopping.length === 1) sources.push({ storeId: stopping[0].storeId, scheduler: EVICT_STOPPING_STORE, batch: EVICT_BATCH });
    }
    // evict-slow-store marks the store slow-evicted (its own flag, not PD's pause-leader-transfer) and drains it.
    if (this.schedulers.has(EVICT_SLOW_STORE)) {
      for (const s of flagged) if (s.slow) sources.push({ storeId: s.storeId, scheduler: EVICT_SLOW_STORE, batch: EVICT_BATCH });
    }
    return sources;
  }

  #scheduleEvictions(t: number): void {
    const sources = this.#evictionSources();
    if (sources.length === 0) return;
    const byScheduler = new Map<string, { storeId: number; batch: number }[]>();
    for (const s of sources) {
      let list = byScheduler.get(s.scheduler);
      if (!list) byScheduler.set(s.scheduler, (list = []));
      list.push(s);
    }
    for (const [scheduler, list] of byScheduler) {
      if (this.#ops.size >= this.leaderScheduleLimit) return;
      const batch = list[0].batch;
      for (let i = 0; i < batch; i++) {
        for (const { storeId } of list) this.#evictOnce(storeId, scheduler, t);
      }
    }
  }

  #evictOnce(storeId: number, scheduler: string, t: number): void {
    const candidates = [...this.view.leaderRegionIds(storeId)].filter((id) => !this.#ops.has(id));
    if (candidates.length === 0) return;
    const regionId = this.random.pick(candidates)!;
    const region = this.regions.region(regionId);
    if (!region) return;
    const targets = this.view
      .peersOf(regionId)
      .filter((s) => s !== storeId && this.#leaderTargetEligible(s, t) && !this.#pendingOn(s, t));
    const to = this.random.pick(targets);
    if (to === undefined) return;
    this.#addOp(regionId, storeId, to, scheduler, t);
  }

  #scheduleBalance(t: number): void {
    if (!this.schedulers.has(BALANCE_LEADER)) return;
    if (t < this.#nextBalanceWall) return;
    if (this.#ops.size >= this.leaderScheduleLimit) return;
    const started = this.stats.transfersStarted;
    this.#balanceOnce(t);
    this.#balanceQuiet = this.stats.transfersStarted === started;
    // PD's balance-leader interval: back to the minimum after it scheduled something, else ×1.3 up to 5 s.
    this.#balanceIntervalMs = this.stats.transfersStarted > started
      ? this.timing.scheduleIntervalMs
      : Math.min(5_000, this.#balanceIntervalMs * 1.3);
    this.#nextBalanceWall = t + this.#balanceIntervalMs * this.clock.timeScale;
  }

  #balanceOnce(t: number): void {
    const stores = [...this.stores.values()].filter((s) => this.#balanceEligible(s, t));
    if (stores.length < 2) return;
    const eligible = new Set(stores.map((s) => s.storeId));
    const influence = new Map<number, number>();
    for (const op of this.#ops.values()) {
      influence.set(op.from, (influence.get(op.from) ?? 0) - 1);
      influence.set(op.to, (influence.get(op.to) ?? 0) + 1);
    }
    const score = (id: number): number => this.view.leaderCount(id) + (influence.get(id) ?? 0);
    // PD's shouldBalance for leader counts: source − |its influence| − 5 > target + |its influence| + 5.
    const shouldBalance = (from: number, to: number): boolean =>
      this.view.leaderCount(from) - Math.abs(Math.min(0, influence.get(from) ?? 0)) - TOLERANT_LEADERS >
      this.view.leaderCount(to) + Math.max(0, influence.get(to) ?? 0) + TOLERANT_LEADERS;
    const move = (regionId: number, from: number, to: number): void => {
      this.#addOp(regionId, from, to, BALANCE_LEADER, t);
      influence.set(from, (influence.get(from) ?? 0) - 1);
      influence.set(to, (influence.get(to) ?? 0) + 1);
    };
    const SCAN = 64;
    for (let n = 0; n < this.profile.balanceLeaderBatch; n++) {
      let made = false;
      // transferLeaderOut: from the stores with the most leaders to the best follower of one of their regions.
      const sources = topK(stores, 8, (a, b) => score(b.storeId) - score(a.storeId));
      for (const source of sources) {
        let scanned = 0;
        for (const regionId of this.view.leaderRegionIds(source.storeId)) {
          if (++scanned > SCAN) break;
          if (this.#ops.has(regionId)) continue;
          let best: number | undefined;
          for (const peer of this.view.peersOf(regionId)) {
            if (peer === source.storeId || !eligible.has(peer) || this.#pendingOn(peer, t)) continue;
            if (best === undefined || score(peer) < score(best)) best = peer;
          }
          if (best !== undefined && shouldBalance(source.storeId, best)) {
            move(regionId, source.storeId, best);
            made = true;
            break;
          }
        }
        if (made) break;
      }
      if (!made) {
        // transferLeaderIn: to the stores with the fewest leaders, from the leader of one of their follower regions.
        const targets = topK(stores, 8, (a, b) => score(a.storeId) - score(b.storeId));
        for (const target of targets) {
          if (this.#pendingOn(target.storeId, t)) continue;
          let scanned = 0;
          for (const regionId of this.regions.peerRegionIds(target.storeId)) {
            if (++scanned > SCAN * 4) break;
            if (this.#ops.has(regionId)) continue;
            const from = this.view.leaderOf(regionId);
            if (!from || from === target.storeId || !eligible.has(from)) continue;
            if (!this.view.peersOf(regionId).includes(target.storeId)) continue;
            if (shouldBalance(from, target.storeId)) {
              move(regionId, from, target.storeId);
              made = true;
              break;
            }
          }
          if (made) break;
        }
      }
      if (!made) break;
    }
    this.#checkReturned(stores);
  }

  /** 'leaders-returned' for a store balance-leader will not give more leaders to (PD's tolerance reached). */
  #checkReturned(stores: StoreRecord[]): void {
    if (this.unavailableRegionCount() > 0) return;
    const eligible = new Set(stores.map((s) => s.storeId));
    for (const store of stores) {
      if (!store.awaitingReturn) continue;
      const id = store.storeId;
      const count = this.regions.leaderCount(id);
      if (count === 0 || this.view.leaderCount(id) !== count) continue;
      if ([...this.#ops.values()].some((op) => op.to === id)) continue;
      let more = false;
      for (const regionId of this.regions.peerRegionIds(id)) {
        const from = this.view.leaderOf(regionId);
        if (from && from !== id && eligible.has(from) && this.view.leaderCount(from) - TOLERANT_LEADERS > count + TOLERANT_LEADERS) {
          more = true;
          break;
        }
      }
      if (more) continue;
      this.history.record('pd', 'leaders-returned', { storeId: id, leaderCount: count, countBeforeZero: store.awaitingReturn.before, rule: 'balanced' });
      store.awaitingReturn = undefined;
    }
  }

  #addOp(regionId: number, from: number, to: number, scheduler: string, t: number): void {
    const ts = this.clock.timeScale;
    const duration = this.random.between(this.timing.leaderTransferMinMs, this.timing.leaderTransferMaxMs);
    this.#ops.set(regionId, { regionId, from, to, scheduler, dueWall: t + duration * ts, timeoutWall: t + this.timing.transferTimeoutMs * ts });
    this.stats.transfersStarted++;
  }

  #pendingOn(storeId: number, t: number): boolean {
    return (this.stores.get(storeId)?.catchingUpUntilMs ?? 0) > t;
  }

  /** PD's StoreStateFilter for a leader-transfer target, on PD's knowledge. */
  #leaderTargetEligible(storeId: number, t = Date.now()): boolean {
    const s = this.stores.get(storeId);
    if (!s || s.metaState !== 'Up' || !s.hasStats) return false;
    if (this.stateName(s, t) !== 'Up') return false;
    if (s.busy || s.stopping || s.pausedBy.size > 0 || s.slow) return false;
    return true;
  }

  #balanceEligible(s: StoreRecord, t = Date.now()): boolean {
    return this.#leaderTargetEligible(s.storeId, t);
  }
}

/** The `k` first items by `compare`, without sorting everything (O(n·k)). */
function topK<T>(items: readonly T[], k: number, compare: (a: T, b: T) => number): T[] {
  const out: T[] = [];
  for (const item of items) {
    let i = out.length;
    while (i > 0 && compare(item, out[i - 1]) < 0) i--;
    if (i < k) {
      out.splice(i, 0, item);
      if (out.length > k) out.pop();
    }
  }
  return out;
}

function gitHashFor(version: string): string {
  let h = 0x811c9dc5;
  for (const c of version) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (h.toString(16).padStart(8, '0').repeat(5)).slice(0, 40);
}

function completeContainer(c: Partial<ContainerStart> & { podName: string }, image: string): ContainerStart {
  return {
    namespace: c.namespace ?? 'default',
    podName: c.podName,
    podUid: c.podUid ?? `uid-${c.podName}`,
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
    containerName: c.containerName ?? 'main',
    image: c.image ?? image,
    ports: c.ports ?? [],
    env: c.env ?? {},
    args: c.args ?? [],
    hostname: c.hostname ?? c.podName,
    subdomain: c.subdomain,
  };
}

/** @internal git hash of a version (stable, fake), shared with the TiKV process. */
export const simGitHash = gitHashFor;
