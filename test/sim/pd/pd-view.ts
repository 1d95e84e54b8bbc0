import type { RegionModel, SimRegion } from './region-model.ts';

/** What PD believes about one region: the peers and leader of the last heartbeat it processed. */
interface KnownRegion {
  storeIds: number[];
  leaderStoreId: number;
}

/** A copy of PD's region cache, for the "new PD leader loads stale regions" fault. */
export type PdViewSnapshot = ReadonlyMap<number, Readonly<KnownRegion>>;

/**
 * PD's region cache: built only from region heartbeats, so it lags the truth. Leader and region counts per
 * store are maintained incrementally (O(peers) per heartbeat) and `onLeadersZero` fires the moment PD's count
 * for a store drops to 0.
 */
export class PdView {
  readonly #known = new Map<number, KnownRegion>();
  readonly #leaderRegions = new Map<number, Set<number>>();
  readonly #regionCounts = new Map<number, number>();
  readonly #truth: RegionModel;
  #onLeadersZero: (storeId: number) => void = () => {};

  constructor(truth: RegionModel) {
    this.#truth = truth;
  }

  onLeadersZero(listener: (storeId: number) => void): void {
    this.#onLeadersZero = listener;
  }

  leaderCount(storeId: number): number {
    return this.#leaderRegions.get(storeId)?.size ?? 0;
  }

  regionCount(storeId: number): number {
    return this.#regionCounts.get(storeId) ?? 0;
  }

  /** Region ids PD believes are led from the store (live view). */
  leaderRegionIds(storeId: number): ReadonlySet<number> {
    return this.#leaderRegions.get(storeId) ?? new Set();
  }

  /** PD's leader of a region (0: unknown). */
  leaderOf(regionId: number): number {
    return this.#known.get(regionId)?.leaderStoreId ?? 0;
  }

  /** PD's peers of a region (empty: PD has not heard of it). */
  peersOf(regionId: number): readonly number[] {
    return this.#known.get(regionId)?.storeIds ?? [];
  }

  knows(regionId: number): boolean {
    return this.#known.has(regionId);
  }

  get knownRegionCount(): number {
    return this.#known.size;
  }

  /** Applies a region heartbeat carrying the region's current truth (peers and leader). */
  heartbeat(region: SimRegion): void {
    if (!region.leaderStoreId) return; // only a leader sends region heartbeats
    this.#set(region.regionId, { storeIds: region.peers.map((p) => p.storeId), leaderStoreId: region.leaderStoreId });
  }

  /** Forgets everything (a new PD leader that has not loaded any region yet). */
  clear(): void {
    for (const regionId of [...this.#known.keys()]) this.#set(regionId, undefined);
  }

  snapshot(): PdViewSnapshot {
    const copy = new Map<number, KnownRegion>();
    for (const [id, r] of this.#known) copy.set(id, { storeIds: [...r.storeIds], leaderStoreId: r.leaderStoreId });
    return copy;
  }

  /** Replaces the cache with an earlier snapshot (a new PD leader whose region storage is behind). */
  restore(snapshot: PdViewSnapshot): void {
    this.clear();
    for (const [id, r] of snapshot) this.#set(id, { storeIds: [...r.storeIds], leaderStoreId: r.leaderStoreId });
  }

  /** Makes the cache equal to the truth (a new leader whose region syncer was up to date). */
  syncAll(): void {
    for (const region of this.#truth.regions()) {
      if (region.leaderStoreId) this.heartbeat(region);
    }
  }

  #set(regionId: number, next: KnownRegion | undefined): void {
    const prev = this.#known.get(regionId);
    if (prev) {
      for (const s of prev.storeIds) this.#regionCounts.set(s, (this.#regionCounts.get(s) ?? 1) - 1);
      if (prev.leaderStoreId) {
        const set = this.#leaderRegions.get(prev.leaderStoreId);
        set?.delete(regionId);
      }
    }
    if (next) {
      this.#known.set(regionId, next);
      for (const s of next.storeIds) this.#regionCounts.set(s, (this.#regionCounts.get(s) ?? 0) + 1);
      let set = this.#leaderRegions.get(next.leaderStoreId);
      if (!set) this.#leaderRegions.set(next.leaderStoreId, (set = new Set()));
      set.add(regionId);
    } else {
      this.#known.delete(regionId);
    }
    if (prev?.leaderStoreId && prev.leaderStoreId !== next?.leaderStoreId && this.leaderCount(prev.leaderStoreId) === 0) {
      this.#onLeadersZero(prev.leaderStoreId);
    }
  }
}
