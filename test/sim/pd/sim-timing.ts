/**
 * Real-world durations of the simulated PD and TiKV, in milliseconds. Every one is scaled by the cluster's
 * `SimClock.timeScale` before it becomes a wall-clock delay. Defaults are the real defaults where PD/TiKV have
 * one (heartbeat 10 s, Disconnected after 20 s, max-store-down-time 30 m, election timeout 10–20 s, leader
 * transfer timeout 60 s, graceful-shutdown-timeout 20 s, max-peer-down-duration 10 m) and measured-order
 * guesses where they do not (boot, transfer duration).
 */
export interface SimTiming {
  /** TiKV store heartbeat period; the first one comes this long after registering. */
  storeHeartbeatMs: number;
  /** A store whose last heartbeat is older than this is `Disconnected` (PD's storeDisconnectDuration). */
  disconnectedAfterMs: number;
  /** `max-store-down-time`: older than this is `Down`. */
  maxStoreDownTimeMs: number;
  /** Raft election timeout range: a region whose leader's store stopped elects a new leader after this. */
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  /** How often PD's schedulers run (evict-leader, balance-leader, evict-stopping-store). */
  scheduleIntervalMs: number;
  /** How long one leader transfer takes from operator creation to the region heartbeat that finishes it. */
  leaderTransferMinMs: number;
  leaderTransferMaxMs: number;
  /** An unfinished leader-transfer operator is dropped after this (PD's leader operator timeout). */
  transferTimeoutMs: number;
  /** Latency of a region heartbeat after a leader change (truth → PD's view). */
  regionHeartbeatLatencyMs: number;
  /** Periodic region heartbeat (what refreshes a stale PD view). */
  regionHeartbeatMs: number;
  /** PD leader lease: followers notice a dead leader after this. */
  pdLeaderLeaseMs: number;
  /** Campaign time once there is no leader and a quorum of members runs. */
  pdElectionMs: number;
  /** PD process start until it serves HTTP. */
  pdStartMs: number;
  /** PD leader start until its regions are loaded (`/pd/api/v2/ready` 200). */
  pdRegionsLoadMs: number;
  /** TiKV process start until it registers with PD (opening RocksDB, raft engine …). */
  tikvBootMs: number;
  /** Retry period of a TiKV registration or heartbeat while PD has no leader. */
  tikvPdRetryMs: number;
  /** A TiKV without graceful leader eviction exits this long after SIGTERM. */
  tikvShutdownMs: number;
  /** `server.graceful-shutdown-timeout` of TiKV ≥ 8.5.5. */
  gracefulShutdownTimeoutMs: number;
  /** After a TiKV restart its peers are pending (catching up the raft log) for this long. */
  catchUpMs: number;
  /** `max-peer-down-duration`: peers of a stopped store show as down peers after this. */
  maxPeerDownMs: number;
  /** Floor of the wall-clock tick (the scheduler loop catches up in simulated time within a tick). */
  tickMinWallMs: number;
}

/** The defaults listed on each field. */
export const DEFAULT_SIM_TIMING: Readonly<SimTiming> = {
  storeHeartbeatMs: 10_000,
  disconnectedAfterMs: 20_000,
  maxStoreDownTimeMs: 30 * 60_000,
  electionTimeoutMinMs: 10_000,
  electionTimeoutMaxMs: 20_000,
  scheduleIntervalMs: 50,
  leaderTransferMinMs: 20,
  leaderTransferMaxMs: 80,
  transferTimeoutMs: 60_000,
  regionHeartbeatLatencyMs: 10,
  regionHeartbeatMs: 60_000,
  pdLeaderLeaseMs: 3_000,
  pdElectionMs: 1_000,
  pdStartMs: 1_500,
  pdRegionsLoadMs: 1_000,
  tikvBootMs: 3_000,
  tikvPdRetryMs: 1_000,
  tikvShutdownMs: 500,
  gracefulShutdownTimeoutMs: 20_000,
  catchUpMs: 2_000,
  maxPeerDownMs: 10 * 60_000,
  tickMinWallMs: 2,
};
