import type { Store } from '../../src/core/model.ts';
import type {
  EvictLeaderState,
  PdClient,
  PdMember,
  PdMembers,
  PdReplicationConfig,
  PdScheduleConfig,
  RegionCheck,
  RegionCheckKind,
  RegionSummary,
  RemoveEvictLeaderResult,
} from '../../src/pd/pd-client.ts';
import {
  PdConnectionError,
  PdNotBootstrappedError,
  PdStoreNotFoundError,
  PdUnavailableError,
  type PdRequestRef,
} from '../../src/pd/pd-errors.ts';
import { EVICT_LEADER_SCHEDULER, LEGACY_EVICT_LEADER_PREFIX, pdRoutes } from '../../src/pd/pd-routes.ts';

/**
 * An in-memory PdClient for service tests: stores, PD's evict-leader scheduler, leaders that drain from an evicted
 * store and come back after it leaves the scheduler, store restarts, and failure injection. It keeps PD's semantics
 * where services depend on them (the contract suite in test/pd/pd-client.contract.ts runs against it and against the
 * simulator): Tombstones hidden by default, adding is idempotent and does not check that the store is Up, removing
 * an absent store is `absent`, an evicted store receives no leaders (even across a restart), unknown stores and an
 * unbootstrapped or leaderless PD fail with the same typed errors as the real client.
 *
 * Time does not pass by itself: leaders move one round per read of the stores (`stores()`/`store()`), or when a
 * test calls `advance()`. Valid by default: three Up stores with 100 leaders each, one healthy PD leader.
 */

/** A valid Up store; override what a test is about. Pod `basic-tikv-<id-1>` in namespace `ns`, like test/core's builders. */
export function fakeStore(overrides: Partial<Store> & { storeId: number }): Store {
  const pod = `basic-tikv-${overrides.storeId - 1}`;
  return {
    address: `${pod}.basic-tikv-peer.ns.svc:20160`,
    statusAddress: `${pod}.basic-tikv-peer.ns.svc:20180`,
    version: '8.5.0',
    stateName: 'Up',
    nodeState: 'Serving',
    startTimestampSec: 1_732_000_000,
    lastHeartbeatMs: 1_732_000_100_000,
    leaderCount: 100,
    regionCount: 300,
    labels: {},
    ...overrides,
  };
}

/** A PD member named `basic-pd-<index>`. */
export function fakePdMember(index: number, overrides: Partial<PdMember> = {}): PdMember {
  return {
    name: `basic-pd-${index}`,
    memberId: String(1_000_000_000_000_000_000n + BigInt(index)),
    clientUrls: [`http://basic-pd-${index}.basic-pd-peer.ns.svc:2379`],
    peerUrls: [`http://basic-pd-${index}.basic-pd-peer.ns.svc:2380`],
    binaryVersion: 'v8.5.0',
    ...overrides,
  };
}

/** Something that happened inside the fake, in order; share one log with the other fakes to assert sequences. */
export type InMemoryPdEvent =
  | { type: 'evict-leader-added'; storeId: number }
  | { type: 'evict-leader-removed'; storeId: number }
  | { type: 'leaders-zero'; storeId: number }
  | { type: 'store-stopped'; storeId: number }
  | { type: 'store-started'; storeId: number; startTimestampSec: number; version: string };

/** A call to the fake, as `calls` records it. */
export interface InMemoryPdCall {
  method: Exclude<keyof PdClient, 'close'>;
  args: unknown[];
}

/** What an injected fault does to a call: fail with this error, or never answer until the caller aborts. */
export type InMemoryPdFault = Error | 'stall';

export interface InMemoryPdOptions {
  /** Default: stores 1, 2, 3, Up, 100 leaders each. */
  stores?: Store[];
  /** PD's version with its `v`. Before v4.0 the evict-leader scheduler is one per store (`evict-leader-scheduler-<id>`). */
  pdVersion?: string;
  /** Default: three healthy members, `basic-pd-0` the leader. */
  members?: PdMember[];
  /** Name of the leading member; `null`: no PD leader (cluster calls fail with PdUnavailableError). Default: the first member. */
  leaderName?: string | null;
  replication?: Partial<PdReplicationConfig>;
  schedule?: Partial<PdScheduleConfig>;
  /** Leaders that leave an evicted store per round (PD moves at most leader-schedule-limit at a time). Default 40. */
  drainPerRound?: number;
  /** Leaders that come back per round to a store after its eviction ended, until it holds what it had. Default 40. */
  returnPerRound?: number;
  /** Unix ms for heartbeats and start timestamps. Default Date.now. */
  now?: () => number;
  /** Receives every InMemoryPdEvent as it happens. */
  onEvent?: (event: InMemoryPdEvent) => void;
}

const TARGET = 'in-memory PD';

function ref(method: string, path: string): PdRequestRef {
  return { method, path, target: TARGET };
}

function majorMinor(version: string): [number, number, number] {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : [0, 0, 0];
}

function atLeast(version: string, major: number, minor: number, patch = 0): boolean {
  const [a, b, c] = majorMinor(version);
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}

function copyStore(store: Store): Store {
  return { ...store, labels: { ...store.labels } };
}

interface Injection {
  fault: InMemoryPdFault | ((args: unknown[]) => InMemoryPdFault | undefined);
  remaining: number;
}

export class InMemoryPd implements PdClient {
  /** Every call, in order. */
  readonly calls: InMemoryPdCall[] = [];
  readonly pdVersion: string;

  readonly #stores = new Map<number, Store>();
  /** Stores in the evict-leader scheduler, in the order they were added. */
  readonly #evicting = new Set<number>();
  /** Leaders a store held when its eviction began; it gets them back after the eviction ends. */
  readonly #leadersBefore = new Map<number, number>();
  readonly #returning = new Set<number>();
  readonly #neverDrain = new Set<number>();
  readonly #regionChecks = new Map<RegionCheckKind, RegionSummary[]>();
  readonly #injections = new Map<string, Injection[]>();
  #members: PdMember[];
  #leaderName: string | undefined;
  #replication: PdReplicationConfig;
  #schedule: PdScheduleConfig;
  #ready = true;
  #closed = false;
  readonly #drainPerRound: number;
  readonly #returnPerRound: number;
  readonly #now: () => number;
  readonly #onEvent: ((event: InMemoryPdEvent) => void) | undefined;

  constructor(options: InMemoryPdOptions = {}) {
    this.pdVersion = options.pdVersion ?? 'v8.5.0';
    for (const store of options.stores ?? [1, 2, 3].map((storeId) => fakeStore({ storeId }))) this.#stores.set(store.storeId, copyStore(store));
    this.#members = options.members ?? [0, 1, 2].map((index) => fakePdMember(index, { binaryVersion: this.pdVersion }));
    this.#leaderName = options.leaderName === null ? undefined : (options.leaderName ?? this.#members[0]?.name);
    this.#replication = { maxReplicas: 3, locationLabels: [], enablePlacementRules: true, ...options.replication };
    this.#schedule = { leaderScheduleLimit: 4, maxStoreDownTime: '30m0s', ...options.schedule };
    this.#drainPerRound = options.drainPerRound ?? 40;
    this.#returnPerRound = options.returnPerRound ?? 40;
    this.#now = options.now ?? Date.now;
    this.#onEvent = options.onEvent;
  }

  // ---- PdClient ---------------------------------------------------------------------------------------------

  async stores(options: { includeTombstone?: boolean; signal?: AbortSignal } = {}): Promise<Store[]> {
    await this.#enter('stores', [options], options.signal, ref('GET', pdRoutes.stores(options)), { cluster: true });
    this.advance();
    return [...this.#stores.values()]
      .filter((store) => options.includeTombstone || store.stateName !== 'Tombstone')
      .sort((a, b) => a.storeId - b.storeId)
      .map(copyStore);
  }

  async store(storeId: number, options: { signal?: AbortSignal } = {}): Promise<Store> {
    const path = pdRoutes.store(storeId);
    await this.#enter('store', [storeId, options], options.signal, ref('GET', path), { cluster: true });
    this.advance();
    const store = this.#stores.get(storeId);
    if (!store) throw this.#storeNotFound('GET', path, 404, storeId);
    return copyStore(store);
  }

  async schedulers(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    await this.#enter('schedulers', [options], options.signal, ref('GET', pdRoutes.schedulers), { cluster: true });
    return [...this.#defaultSchedulers(), ...this.#evictSchedulerNames()];
  }

  async evictLeaderState(options: { signal?: AbortSignal } = {}): Promise<EvictLeaderState> {
    await this.#enter('evictLeaderState', [options], options.signal, ref('GET', pdRoutes.schedulers), { cluster: true });
    return { storeIds: this.evictingStoreIds(), schedulerNames: this.#evictSchedulerNames().sort() };
  }

  async addEvictLeader(storeId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#enter('addEvictLeader', [storeId, options], options.signal, ref('POST', pdRoutes.schedulers), { cluster: true });
    // PD checks that the store exists, not that it is Up (Disconnected, Down and Offline stores can be added).
    if (!this.#stores.has(storeId)) throw this.#storeNotFound('POST', pdRoutes.schedulers, 500, storeId);
    this.#beginEviction(storeId);
  }

  async removeEvictLeader(storeId: number, options: { signal?: AbortSignal } = {}): Promise<RemoveEvictLeaderResult> {
    await this.#enter('removeEvictLeader', [storeId, options], options.signal, ref('DELETE', pdRoutes.evictLeaderStore(storeId)), { cluster: true });
    return this.#endEviction(storeId) ? 'removed' : 'absent';
  }

  async members(options: { signal?: AbortSignal } = {}): Promise<PdMembers> {
    await this.#enter('members', [options], options.signal, ref('GET', pdRoutes.members), { cluster: false });
    const members = this.#members.map((member) => ({ ...member, clientUrls: [...member.clientUrls], peerUrls: [...member.peerUrls] }));
    const leader = members.find((member) => member.name === this.#leaderName);
    return leader ? { clusterId: '7321654987123456789', members, leader: { ...leader } } : { clusterId: '7321654987123456789', members };
  }

  async health(options: { signal?: AbortSignal } = {}): Promise<PdMember[]> {
    await this.#enter('health', [options], options.signal, ref('GET', pdRoutes.health), { cluster: false });
    return this.#members.map((member) => ({ ...member, clientUrls: [...member.clientUrls], peerUrls: [...member.peerUrls], healthy: member.healthy ?? true }));
  }

  async version(options: { signal?: AbortSignal } = {}): Promise<string> {
    await this.#enter('version', [options], options.signal, ref('GET', pdRoutes.version), { cluster: false });
    return this.pdVersion;
  }

  async replicationConfig(options: { signal?: AbortSignal } = {}): Promise<PdReplicationConfig> {
    await this.#enter('replicationConfig', [options], options.signal, ref('GET', pdRoutes.replicationConfig), { cluster: true });
    return { ...this.#replication, locationLabels: [...this.#replication.locationLabels] };
  }

  async scheduleConfig(options: { signal?: AbortSignal } = {}): Promise<PdScheduleConfig> {
    await this.#enter('scheduleConfig', [options], options.signal, ref('GET', pdRoutes.scheduleConfig), { cluster: true });
    return { ...this.#schedule };
  }

  async regionCheck(kind: RegionCheckKind, options: { signal?: AbortSignal } = {}): Promise<RegionCheck> {
    await this.#enter('regionCheck', [kind, options], options.signal, ref('GET', pdRoutes.regionCheck(kind)), { cluster: true });
    const regions = (this.#regionChecks.get(kind) ?? []).map((region) => ({
      ...region,
      storeIds: [...region.storeIds],
      downPeers: region.downPeers.map((peer) => ({ ...peer })),
      pendingPeerStoreIds: [...region.pendingPeerStoreIds],
    }));
    return { count: regions.length, regions };
  }

  async ready(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    await this.#enter('ready', [options], options.signal, ref('GET', pdRoutes.ready), { cluster: false });
    return this.#ready;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  // ---- reading the state (tests) ------------------------------------------------------------------------------

  /** A store as PD has it now, without counting as a read (leaders do not move). */
  peekStore(storeId: number): Store | undefined {
    const store = this.#stores.get(storeId);
    return store && copyStore(store);
  }

  /** Every store (Tombstones included) as PD has it now, ascending, without counting as a read. */
  peekStores(): Store[] {
    return [...this.#stores.values()].sort((a, b) => a.storeId - b.storeId).map(copyStore);
  }

  /** Store ids in the evict-leader scheduler, ascending. */
  evictingStoreIds(): number[] {
    return [...this.#evicting].sort((a, b) => a - b);
  }

  /** Calls of one method. */
  callsOf(method: InMemoryPdCall['method']): InMemoryPdCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- scripting (tests) --------------------------------------------------------------------------------------

  /** One round of PD's scheduling: evicted stores lose leaders, stores whose eviction ended get them back. */
  advance(): void {
    for (const storeId of this.#evicting) this.#drainRound(storeId);
    for (const storeId of [...this.#returning]) this.#returnRound(storeId);
  }

  /** Adds or replaces a store (a new TiKV registering, a Tombstone left by a replaced pod). */
  putStore(store: Store): void {
    this.#stores.set(store.storeId, copyStore(store));
  }

  /** Changes fields of a store as PD would report them. */
  updateStore(storeId: number, change: Partial<Omit<Store, 'storeId'>>): void {
    const store = this.#requireStore(storeId);
    Object.assign(store, change);
  }

  /** The store's leaders never leave (max-replicas 1, no eligible follower, stuck transfers). */
  neverDrain(storeId: number, never = true): void {
    if (never) this.#neverDrain.add(storeId);
    else this.#neverDrain.delete(storeId);
  }

  /** The TiKV process stops: PD sees it Disconnected, its leaders are re-elected on other stores. */
  stopStore(storeId: number): void {
    const store = this.#requireStore(storeId);
    store.stateName = 'Disconnected';
    delete store.uptime;
    this.#moveLeadersAway(storeId, store.leaderCount);
    this.#emit({ type: 'store-stopped', storeId });
  }

  /**
   * The TiKV process starts again and re-registers: Up, a start timestamp later than the previous one, optionally
   * a new version. It gets no leaders while it is in the evict-leader scheduler.
   */
  startStore(storeId: number, options: { version?: string } = {}): void {
    const store = this.#requireStore(storeId);
    const nowMs = this.#now();
    store.startTimestampSec = Math.max(store.startTimestampSec + 1, Math.floor(nowMs / 1000));
    store.lastHeartbeatMs = nowMs;
    store.stateName = 'Up';
    if (options.version !== undefined) store.version = options.version.replace(/^v/, '');
    delete store.uptime;
    this.#emit({ type: 'store-started', storeId, startTimestampSec: store.startTimestampSec, version: store.version });
  }

  /** stopStore then startStore: what a pod restart looks like from PD. */
  restartStore(storeId: number, options: { version?: string } = {}): void {
    this.stopStore(storeId);
    this.startStore(storeId, options);
  }

  /** Someone else (an operator, a person) adds a store to the evict-leader scheduler. */
  addEvictionBehindOurBack(storeId: number): void {
    this.#requireStore(storeId);
    this.#beginEviction(storeId);
  }

  /** Someone else (tidb-operator v2, a person) removes a store from the evict-leader scheduler. */
  removeEvictionBehindOurBack(storeId: number): void {
    this.#endEviction(storeId);
  }

  /** The PD leader changes or disappears (`null`: no leader; cluster calls then fail with 503). */
  setPdLeader(name: string | null): void {
    this.#leaderName = name ?? undefined;
  }

  setMemberHealth(name: string, healthy: boolean): void {
    const member = this.#members.find((candidate) => candidate.name === name);
    if (!member) throw new Error(`no PD member ${name}`);
    member.healthy = healthy;
  }

  /** What `/regions/check/<kind>` lists from now on. */
  setRegionCheck(kind: RegionCheckKind, regions: RegionSummary[]): void {
    this.#regionChecks.set(kind, regions);
  }

  setReady(ready: boolean): void {
    this.#ready = ready;
  }

  setReplication(change: Partial<PdReplicationConfig>): void {
    this.#replication = { ...this.#replication, ...change };
  }

  /**
   * The next `times` calls of `method` (default 1; Infinity for all) fail with `fault` — an Error (e.g. a
   * PdConnectionError, see `connectionLost`), `'stall'` (no answer until the caller aborts), or a function of the
   * call's arguments returning one or undefined (undefined: that call goes through and is not counted).
   */
  inject(method: InMemoryPdCall['method'], fault: Injection['fault'], times = 1): void {
    const list = this.#injections.get(method) ?? [];
    list.push({ fault, remaining: times });
    this.#injections.set(method, list);
  }

  /** A PdConnectionError as the real client raises when the port-forward drops. */
  static connectionLost(method: string, path: string): PdConnectionError {
    return new PdConnectionError(ref(method, path), new Error('other side closed'));
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  async #enter(method: InMemoryPdCall['method'], args: unknown[], signal: AbortSignal | undefined, request: PdRequestRef, kind: { cluster: boolean }): Promise<void> {
    signal?.throwIfAborted();
    if (this.#closed) throw new Error('in-memory PD client used after close()');
    this.calls.push({ method, args });
    const fault = this.#takeFault(method, args);
    if (fault === 'stall') {
      await new Promise<never>((_resolve, reject) => {
        if (!signal) return; // Never settles: the caller gave no way to stop waiting.
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    } else if (fault !== undefined) {
      throw fault;
    }
    if (kind.cluster && this.#leaderName === undefined) {
      throw new PdUnavailableError(request, { status: 503, pdMessage: '[PD:apiutil:ErrRedirectNoLeader]redirect finds no leader', pdCode: 'PD:apiutil:ErrRedirectNoLeader', body: '' });
    }
    if (kind.cluster && this.#stores.size === 0) {
      const message = 'TiKV cluster not bootstrapped, please start TiKV first';
      throw new PdNotBootstrappedError(request, { status: 500, pdMessage: message, body: `${JSON.stringify(message)}\n` });
    }
  }

  #takeFault(method: string, args: unknown[]): InMemoryPdFault | undefined {
    const list = this.#injections.get(method);
    if (!list) return undefined;
    for (const injection of list) {
      if (injection.remaining <= 0) continue;
      const fault = typeof injection.fault === 'function' ? injection.fault(args) : injection.fault;
      if (fault === undefined) continue;
      injection.remaining--;
      return fault;
    }
    return undefined;
  }

  #storeNotFound(method: string, path: string, status: number, storeId: number): PdStoreNotFoundError {
    const message = `[PD:core:ErrStoreNotFound]store ${storeId} not found`;
    return new PdStoreNotFoundError(ref(method, path), { status, pdMessage: message, pdCode: 'PD:core:ErrStoreNotFound', body: `${JSON.stringify(message)}\n` }, storeId);
  }

  #requireStore(storeId: number): Store {
    const store = this.#stores.get(storeId);
    if (!store) throw new Error(`the in-memory PD has no store ${storeId}`);
    return store;
  }

  #defaultSchedulers(): string[] {
    const names = ['balance-leader-scheduler', 'balance-region-scheduler', 'balance-hot-region-scheduler'];
    if (atLeast(this.pdVersion, 8, 1)) names.push('evict-slow-store-scheduler');
    if (atLeast(this.pdVersion, 8, 5, 5)) names.push('evict-stopping-store-scheduler');
    return names;
  }

  #evictSchedulerNames(): string[] {
    if (this.#evicting.size === 0) return [];
    if (!atLeast(this.pdVersion, 4, 0)) return [...this.#evicting].map((storeId) => `${LEGACY_EVICT_LEADER_PREFIX}${storeId}`);
    return [EVICT_LEADER_SCHEDULER];
  }

  #beginEviction(storeId: number): void {
    if (this.#evicting.has(storeId)) return;
    const store = this.#requireStore(storeId);
    this.#evicting.add(storeId);
    this.#returning.delete(storeId);
    if (!this.#leadersBefore.has(storeId)) this.#leadersBefore.set(storeId, store.leaderCount);
    this.#emit({ type: 'evict-leader-added', storeId });
  }

  #endEviction(storeId: number): boolean {
    if (!this.#evicting.delete(storeId)) return false;
    if (this.#stores.has(storeId)) this.#returning.add(storeId);
    this.#emit({ type: 'evict-leader-removed', storeId });
    return true;
  }

  /** Stores that can take leaders: Up, not evicting. */
  #eligibleFor(excludedStoreId: number): Store[] {
    return [...this.#stores.values()].filter((store) => store.storeId !== excludedStoreId && store.stateName === 'Up' && !this.#evicting.has(store.storeId));
  }

  #drainRound(storeId: number): void {
    const store = this.#stores.get(storeId);
    if (!store || store.leaderCount === 0 || this.#neverDrain.has(storeId)) return;
    // Leaders move only to followers on eligible stores; with max-replicas 1 there are no followers at all.
    if (this.#replication.maxReplicas < 2) return;
    const moved = this.#moveLeadersAway(storeId, Math.min(this.#drainPerRound, store.leaderCount));
    if (moved > 0 && store.leaderCount === 0) this.#emit({ type: 'leaders-zero', storeId });
  }

  /** Moves up to `count` leaders off a store onto eligible stores (fewest leaders first); returns how many moved. */
  #moveLeadersAway(storeId: number, count: number): number {
    const store = this.#requireStore(storeId);
    const receivers = this.#eligibleFor(storeId);
    if (receivers.length === 0 || count <= 0) return 0;
    let moved = 0;
    while (moved < count && store.leaderCount > 0) {
      const receiver = receivers.reduce((least, candidate) => (candidate.leaderCount < least.leaderCount ? candidate : least));
      receiver.leaderCount++;
      store.leaderCount--;
      moved++;
    }
    return moved;
  }

  #returnRound(storeId: number): void {
    const store = this.#stores.get(storeId);
    const wanted = this.#leadersBefore.get(storeId) ?? 0;
    if (!store || store.stateName !== 'Up' || store.leaderCount >= wanted) {
      if (store && store.leaderCount >= wanted) {
        this.#returning.delete(storeId);
        this.#leadersBefore.delete(storeId);
      }
      return;
    }
    const givers = this.#eligibleFor(storeId).filter((candidate) => candidate.leaderCount > 0);
    let budget = Math.min(this.#returnPerRound, wanted - store.leaderCount);
    while (budget > 0 && givers.some((giver) => giver.leaderCount > 0)) {
      const giver = givers.reduce((most, candidate) => (candidate.leaderCount > most.leaderCount ? candidate : most));
      giver.leaderCount--;
      store.leaderCount++;
      budget--;
    }
  }

  #emit(event: InMemoryPdEvent): void {
    this.#onEvent?.(event);
  }
}
