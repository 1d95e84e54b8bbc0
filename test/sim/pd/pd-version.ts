/**
 * What differs between the PD versions the simulator can play (pd-api.md, checked against tikv/pd's source at
 * the tags v3.0.0, v5.0.0, v6.5.0, v7.5.0, v8.1.0, v8.3.0, v8.5.0, v8.5.2, v8.5.5 and master of 2026-08).
 * Versions in between take the behaviour of the nearest checked release below them.
 */
export interface PdVersionProfile {
  /** What `/version` and `binary_version` report, with the leading `v` (`v8.5.0`; master reports `v9.0.0-alpha`). */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly isMaster: boolean;
  /** PD ≤ 3.x: one scheduler per store, named `evict-leader-scheduler-<id>`; POST answers `null`, a second add 500s. */
  readonly legacyEvictLeader: boolean;
  /** Schedulers PD creates on bootstrap, by name. */
  readonly defaultSchedulers: readonly string[];
  /** v8.0+: adding a store to an existing evict-leader scheduler answers "The scheduler has been applied to the store." */
  readonly appliedMessage: boolean;
  /** v6.x/v7.x: a failed evict-leader add writes its error and then also "The scheduler is created." (500). */
  readonly doubleBodyOnAddError: boolean;
  /** Status of a failed first add (AddScheduler error): 400 on master, 500 before. */
  readonly addSchedulerErrorStatus: number;
  /** Body of a successful `DELETE /schedulers/evict-leader-scheduler-<id>`: `null` (v3, v6+) or the v5 message. */
  readonly removeSuccessBody: 'null' | 'removed-message';
  /** Answer when that store is not in the scheduler: v3 500 "scheduler not found", v5 404 coded message, v6+ 404 `null`. */
  readonly removeNotFound: 'v3' | 'v5' | 'null';
  /** ≤ v8.5: adding a store whose leader transfer another scheduler paused answers 500 ErrPauseLeaderTransfer. */
  readonly pauseLeaderTransferError: boolean;
  /** `/stores/check` exists (v7.5+). */
  readonly storesCheck: boolean;
  /** `node_state` in StoreInfo (v6.1+). */
  readonly nodeState: boolean;
  /** The evict-leader scheduler config carries `batch` (v8.3+). */
  readonly evictLeaderBatch: boolean;
  /** `/pd/api/v2/ready` exists (v8.5.2+, master). */
  readonly readyV2: boolean;
  /** `/pd/api/v2/` has a router at all (v6.1+): a missing v2 route answers gin's 404 instead of Go's mux 404. */
  readonly apiV2Router: boolean;
  /** v8.3+: a follower waits up to 3 s for a leader, then answers 503 "[PD:apiutil:ErrRedirectNoLeader]…"; before: "no leader" at once. */
  readonly waitForLeader: boolean;
  /** v7.5+: `/regions/check/*` and `/regions/store/{id}` are compact easyjson with `application/octet-stream`. */
  readonly compactRegions: boolean;
  /** StoreStatus JSON layout family. */
  readonly storeStatusLayout: 'v3' | 'v5' | 'v6' | 'v7' | 'v8.3' | 'v8.5.5' | 'master';
  /** `evict-stopping-store-scheduler` drains a TiKV that reports `is_stopping` (v8.5.5+, master). */
  readonly evictStoppingStore: boolean;
  /** balance-leader operators per round (v6+: 4; before: 1). */
  readonly balanceLeaderBatch: number;
  /** The not-bootstrapped error text (coded since v4). */
  readonly notBootstrappedMessage: string;
  /** "store N not found" as schedulers report it (coded since v4). */
  storeNotFound(storeId: number): string;
  /** `GET /store/{id}` for an unknown store: v3 500 plain, v4–v6 404 plain, v7+ 404 coded. */
  getStoreNotFound(storeId: number): { status: number; message: string };
}

function parse(version: string): { major: number; minor: number; patch: number; isMaster: boolean } {
  const v = version.trim().replace(/^v/i, '');
  if (v === 'master' || v === 'nightly' || v === 'latest') return { major: 9, minor: 0, patch: 0, isMaster: true };
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) throw new Error(`unknown PD version "${version}": use vX.Y.Z or master`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), isMaster: false };
}

function atLeast(p: { major: number; minor: number; patch: number; isMaster: boolean }, major: number, minor: number, patch = 0): boolean {
  if (p.isMaster) return true;
  if (p.major !== major) return p.major > major;
  if (p.minor !== minor) return p.minor > minor;
  return p.patch >= patch;
}

/** The behaviour profile for a PD version string (`v8.5.0`, `8.5.5`, `v3.0.0`, `master`). */
export function pdVersionProfile(pdVersion: string): PdVersionProfile {
  const p = parse(pdVersion);
  const version = p.isMaster ? 'v9.0.0-alpha' : `v${p.major}.${p.minor}.${p.patch}`;
  const coded = atLeast(p, 4, 0);
  let defaultSchedulers: string[];
  if (!atLeast(p, 6, 0)) {
    defaultSchedulers = ['balance-region-scheduler', 'balance-leader-scheduler', 'balance-hot-region-scheduler', 'label-scheduler'];
  } else if (!atLeast(p, 7, 0)) {
    defaultSchedulers = ['balance-region-scheduler', 'balance-leader-scheduler', 'balance-hot-region-scheduler', 'split-bucket-scheduler'];
  } else if (!atLeast(p, 8, 0)) {
    defaultSchedulers = [
      'balance-region-scheduler',
      'balance-leader-scheduler',
      'balance-witness-scheduler',
      'balance-hot-region-scheduler',
      'transfer-witness-leader-scheduler',
    ];
  } else {
    defaultSchedulers = ['balance-region-scheduler', 'balance-leader-scheduler', 'balance-hot-region-scheduler'];
    if (atLeast(p, 8, 1)) defaultSchedulers.push('evict-slow-store-scheduler');
    if (atLeast(p, 8, 5, 5)) defaultSchedulers.push('evict-stopping-store-scheduler');
  }
  let storeStatusLayout: PdVersionProfile['storeStatusLayout'];
  if (p.isMaster) storeStatusLayout = 'master';
  else if (atLeast(p, 8, 5, 5)) storeStatusLayout = 'v8.5.5';
  else if (atLeast(p, 8, 3)) storeStatusLayout = 'v8.3';
  else if (atLeast(p, 7, 0)) storeStatusLayout = 'v7';
  else if (atLeast(p, 6, 0)) storeStatusLayout = 'v6';
  else if (atLeast(p, 4, 0)) storeStatusLayout = 'v5';
  else storeStatusLayout = 'v3';
  return {
    version,
    ...p,
    legacyEvictLeader: !atLeast(p, 4, 0),
    defaultSchedulers,
    appliedMessage: atLeast(p, 8, 0),
    doubleBodyOnAddError: atLeast(p, 6, 0) && !atLeast(p, 8, 0),
    addSchedulerErrorStatus: p.isMaster ? 400 : 500,
    removeSuccessBody: atLeast(p, 4, 0) && !atLeast(p, 6, 0) ? 'removed-message' : 'null',
    removeNotFound: !atLeast(p, 4, 0) ? 'v3' : !atLeast(p, 6, 0) ? 'v5' : 'null',
    pauseLeaderTransferError: atLeast(p, 4, 0) && !p.isMaster,
    storesCheck: atLeast(p, 7, 5),
    nodeState: atLeast(p, 6, 1),
    evictLeaderBatch: atLeast(p, 8, 3),
    readyV2: atLeast(p, 8, 5, 2),
    apiV2Router: atLeast(p, 6, 1),
    waitForLeader: atLeast(p, 8, 3),
    compactRegions: atLeast(p, 7, 5),
    storeStatusLayout,
    evictStoppingStore: atLeast(p, 8, 5, 5),
    balanceLeaderBatch: atLeast(p, 6, 0) ? 4 : 1,
    notBootstrappedMessage: coded
      ? '[PD:cluster:ErrNotBootstrapped]TiKV cluster not bootstrapped, please start TiKV first'
      : 'TiKV cluster not bootstrapped, please start TiKV first',
    storeNotFound: (storeId) => (coded ? `[PD:core:ErrStoreNotFound]store ${storeId} not found` : `store ${storeId} not found`),
    getStoreNotFound: (storeId) => ({
      status: coded ? 404 : 500,
      message: atLeast(p, 7, 0) ? `[PD:core:ErrStoreNotFound]store ${storeId} not found` : `store ${storeId} not found`,
    }),
  };
}

/** Compares two dotted versions (`8.5.5` ≥ `8.5.0`); a leading `v` and pre-release suffixes are ignored. */
export function versionAtLeast(version: string, major: number, minor: number, patch = 0): boolean {
  return atLeast(parse(version), major, minor, patch);
}
