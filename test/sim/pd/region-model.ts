/**
 * The truth of the simulated cluster — what the TiKVs themselves know: regions, their peers (one per store) and
 * their current raft leader. Per-store peer and leader sets are kept as indexes so that every question the
 * schedulers and metrics ask is O(1) or O(regions of one store), never O(all regions).
 */

/** One replica of a region. */
export interface RegionPeer {
  peerId: number;
  storeId: number;
}

/** One region as TiKV knows it. */
export interface SimRegion {
  readonly regionId: number;
  /** Position in the key space (region keys are derived from it). */
  readonly ordinal: number;
  peers: RegionPeer[];
  /** Store of the current raft leader; 0 while the region has no leader (unavailable). */
  leaderStoreId: number;
  confVer: number;
  version: number;
  approximateSizeMiB: number;
  approximateKeys: number;
  /** Wall-clock ms since when the region has had no leader; 0 when it has one. */
  leaderlessSinceMs: number;
}

/** Called after a region's leader changed (`to` 0: the region lost its leader). */
export type LeaderChangeListener = (region: SimRegion, from: number, to: number) => void;

/** Regions, peers and leaders, indexed by store. */
export class RegionModel {
  readonly #regions = new Map<number, SimRegion>();
  readonly #peersByStore = new Map<number, Set<number>>();
  readonly #leadersByStore = new Map<number, Set<number>>();
  readonly #leaderless = new Set<number>();
  readonly #listeners: LeaderChangeListener[] = [];
  #nextOrdinal = 0;

  get regionCount(): number {
    return this.#regions.size;
  }

  /** Every region (iteration order: creation order). */
  regions(): IterableIterator<SimRegion> {
    return this.#regions.values();
  }

  region(regionId: number): SimRegion | undefined {
    return this.#regions.get(regionId);
  }

  onLeaderChange(listener: LeaderChangeListener): void {
    this.#listeners.push(listener);
  }

  /** Region ids with a peer on the store (live view; do not mutate). */
  peerRegionIds(storeId: number): ReadonlySet<number> {
    return this.#peersByStore.get(storeId) ?? new Set();
  }

  /** Region ids led from the store (live view; do not mutate). */
  leaderRegionIds(storeId: number): ReadonlySet<number> {
    return this.#leadersByStore.get(storeId) ?? new Set();
  }

  /** Region ids that currently have no leader (live view). */
  leaderlessRegionIds(): ReadonlySet<number> {
    return this.#leaderless;
  }

  leaderCount(storeId: number): number {
    return this.#leadersByStore.get(storeId)?.size ?? 0;
  }

  peerCount(storeId: number): number {
    return this.#peersByStore.get(storeId)?.size ?? 0;
  }

  /** Store ids that hold at least one peer. */
  storeIds(): number[] {
    return [...this.#peersByStore.keys()];
  }

  /** Creates a region with peers on the given stores and its leader on `leaderStoreId`. */
  createRegion(regionId: number, peers: RegionPeer[], leaderStoreId: number, sizeMiB: number, keys: number): SimRegion {
    if (this.#regions.has(regionId)) throw new Error(`region ${regionId} exists`);
    const region: SimRegion = {
      regionId,
      ordinal: this.#nextOrdinal++,
      peers: [],
      leaderStoreId: 0,
      confVer: 1,
      version: 1,
      approximateSizeMiB: sizeMiB,
      approximateKeys: keys,
      leaderlessSinceMs: 0,
    };
    this.#regions.set(regionId, region);
    for (const peer of peers) this.#attachPeer(region, peer);
    region.confVer = peers.length;
    if (leaderStoreId) this.setLeader(region, leaderStoreId);
    else {
      region.leaderlessSinceMs = Date.now();
      this.#leaderless.add(regionId);
    }
    return region;
  }

  /** Is `storeId` the key-space-last region (its end key is empty)? */
  isLast(region: SimRegion): boolean {
    return region.ordinal === this.#nextOrdinal - 1;
  }

  hasPeerOn(region: SimRegion, storeId: number): boolean {
    return region.peers.some((p) => p.storeId === storeId);
  }

  addPeer(region: SimRegion, peer: RegionPeer): void {
    if (this.hasPeerOn(region, peer.storeId)) throw new Error(`region ${region.regionId} already has a peer on store ${peer.storeId}`);
    this.#attachPeer(region, peer);
    region.confVer++;
  }

  /** Removes the peer on `storeId`; a leader there is moved away first by the caller. */
  removePeer(region: SimRegion, storeId: number): void {
    if (region.leaderStoreId === storeId) throw new Error(`remove the leader of region ${region.regionId} from store ${storeId} first`);
    const before = region.peers.length;
    region.peers = region.peers.filter((p) => p.storeId !== storeId);
    if (region.peers.length === before) return;
    this.#peersByStore.get(storeId)?.delete(region.regionId);
    region.confVer++;
  }

  /** Moves the leader (0: the region has no leader). Leader changes are announced to listeners. */
  setLeader(region: SimRegion, storeId: number): void {
    const from = region.leaderStoreId;
    if (from === storeId) return;
    if (storeId && !this.hasPeerOn(region, storeId)) throw new Error(`region ${region.regionId} has no peer on store ${storeId}`);
    if (from) this.#leadersByStore.get(from)?.delete(region.regionId);
    region.leaderStoreId = storeId;
    if (storeId) {
      let set = this.#leadersByStore.get(storeId);
      if (!set) this.#leadersByStore.set(storeId, (set = new Set()));
      set.add(region.regionId);
      region.leaderlessSinceMs = 0;
      this.#leaderless.delete(region.regionId);
    } else {
      region.leaderlessSinceMs = Date.now();
      this.#leaderless.add(region.regionId);
    }
    for (const listener of this.#listeners) listener(region, from, storeId);
  }

  #attachPeer(region: SimRegion, peer: RegionPeer): void {
    region.peers.push(peer);
    let set = this.#peersByStore.get(peer.storeId);
    if (!set) this.#peersByStore.set(peer.storeId, (set = new Set()));
    set.add(region.regionId);
  }
}

/** The raw key at a key-space position, as PD shows it (`HexRegionKeyStr`: upper-case hex of the encoded key). */
export function regionKeyHex(ordinal: number): string {
  if (ordinal === 0) return '';
  // Table-prefixed keys (`t` + memcomparable table id), padded in 8-byte groups with 0xFF markers like TiDB's.
  const tableId = 100 + ordinal;
  const id = tableId.toString(16).toUpperCase().padStart(14, '0');
  return `7480${id.slice(0, 12)}FF${id.slice(12)}5F720000000000FA`;
}
