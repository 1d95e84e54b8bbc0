/** Reads a TiKV's own view of itself from its status port (`/metrics`): PD's leader count lags, this does not. */
export interface TikvMetrics {
  /** `tikv_raftstore_region_count{type="leader"}` of the TiKV in `podName`. */
  leaderCount(podName: string, options?: { signal?: AbortSignal }): Promise<number>;
}
