import { goByteSize, goDuration, goJson, goTime, GoUint64, renderJson } from './go-format.ts';
import { KNOWN_SCHEDULERS, type MemberRecord, type PdCluster, type StoreRecord } from './pd-cluster.ts';
import { regionKeyHex, type SimRegion } from './region-model.ts';

/** One HTTP request as PD's router sees it. */
export interface PdHttpRequest {
  method: string;
  /** Path and query, e.g. `/pd/api/v1/stores?state=0`. */
  url: string;
  body: string;
  /** Who sent it (`host:port`; the original client when a follower forwarded it). */
  remote?: string;
}

/** One HTTP answer, byte for byte. */
export interface PdHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const API = '/pd/api/v1';
const EVICT_LEADER = 'evict-leader-scheduler';
const REGION_AVG_MIB = 76;

/** unrolled/render `JSON` with IndentJSON: PD's usual answer. */
export function jsonAnswer(status: number, value: unknown): PdHttpAnswer {
  return { status, headers: { 'Content-Type': JSON_TYPE }, body: renderJson(value) };
}

/** Go's `http.Error` (text/plain, trailing newline), as PD's redirector and ServeMux use it. */
export function textAnswer(status: number, text: string): PdHttpAnswer {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: `${text}\n`,
  };
}

/** Go's `http.NotFound`: `404 page not found`. */
export function goNotFound(): PdHttpAnswer {
  return textAnswer(404, '404 page not found');
}

function ginNotFound(): PdHttpAnswer {
  return { status: 404, headers: { 'Content-Type': 'text/plain' }, body: '404 page not found' };
}

/** A `/pd/api/v2/` path PD does not serve: gin's 404 where the v2 router exists (v6.1+), else Go's. */
export function v2NotFound(cluster: PdCluster): PdHttpAnswer {
  return cluster.profile.apiV2Router ? ginNotFound() : goNotFound();
}

function emptyAnswer(status: number): PdHttpAnswer {
  return { status, headers: {}, body: '' };
}

/** unrolled/render `Data`: raw bytes as application/octet-stream (PD's easyjson region lists). */
function dataAnswer(status: number, body: string): PdHttpAnswer {
  return { status, headers: { 'Content-Type': 'application/octet-stream' }, body };
}

/**
 * Serves a request on the member that handles it (the leader, or a follower allowed to). Routing, status codes,
 * messages and bodies follow the cluster's PD version profile.
 */
export function servePd(cluster: PdCluster, member: MemberRecord, request: PdHttpRequest): PdHttpAnswer {
  const url = new URL(request.url, 'http://pd');
  const path = url.pathname;
  const method = request.method.toUpperCase();
  const p = cluster.profile;

  if (path === '/pd/health' || path === `${API}/health`) return method === 'GET' ? health(cluster) : methodNotAllowed();
  if (path === '/pd/ping' || path === `${API}/ping`) return method === 'GET' ? emptyAnswer(200) : methodNotAllowed();
  if (!path.startsWith(`${API}/`)) return goNotFound();
  const route = path.slice(API.length);
  const segments = route.split('/').filter(Boolean);

  switch (`${method} ${segments[0] ?? ''}`) {
    case 'GET version':
      if (segments.length !== 1) break;
      return jsonAnswer(200, p.legacyEvictLeader ? { version: p.version } : { version: p.version, build_time: '', hash: '', branch: '' });
    case 'GET status':
      if (segments.length !== 1) break;
      return jsonAnswer(200, {
        build_ts: '2026-08-21 07:57:58',
        version: p.version,
        git_hash: member.gitHash,
        start_timestamp: Math.floor(member.startedAtMs / 1000),
      });
    case 'GET members':
      if (segments.length !== 1) break;
      return jsonAnswer(200, membersBody(cluster));
    case 'GET leader': {
      if (segments.length !== 1) break;
      const leader = cluster.leaderMember();
      return jsonAnswer(200, leader ? { name: leader.name, member_id: new GoUint64(leader.memberId), peer_urls: [leader.peerUrl], client_urls: [leader.clientUrl] } : null);
    }
    case 'GET cluster':
      if (segments.length === 1) return jsonAnswer(200, { id: new GoUint64(cluster.clusterId), max_peer_count: cluster.maxReplicas });
      if (segments.length === 2 && segments[1] === 'status') return jsonAnswer(200, clusterStatus(cluster));
      break;
    case 'GET config':
      if (segments.length === 2 && segments[1] === 'replicate') return jsonAnswer(200, replicationConfig(cluster));
      if (segments.length === 2 && segments[1] === 'schedule') return jsonAnswer(200, scheduleConfig(cluster));
      if (segments.length === 1) return jsonAnswer(200, { replication: replicationConfig(cluster), schedule: scheduleConfig(cluster) });
      break;
    case 'GET schedulers':
      if (segments.length !== 1) break;
      if (!cluster.bootstrapped) return jsonAnswer(500, p.notBootstrappedMessage);
      // No simulated scheduler is ever paused or disabled: Go's nil slice renders as null.
      if (!p.legacyEvictLeader && ['paused', 'disabled'].includes(url.searchParams.get('status') ?? '')) return jsonAnswer(200, null);
      return jsonAnswer(200, shuffled(cluster, cluster.schedulerNames()));
    case 'POST schedulers':
      if (segments.length !== 1) break;
      return createScheduler(cluster, request.body, who(request));
    case 'DELETE schedulers':
      if (segments.length !== 2) break;
      return deleteScheduler(cluster, decodeURIComponent(segments[1]), who(request));
    case 'GET scheduler-config':
    case 'POST scheduler-config':
    case 'DELETE scheduler-config':
      if (p.legacyEvictLeader) return goNotFound();
      return schedulerConfig(cluster, method, segments.slice(1), request.body, who(request));
  }

  // Cluster routes: answer "not bootstrapped" before any TiKV registered.
  const clusterRoute = /^(stores|store|regions|region)$/.test(segments[0] ?? '');
  if (clusterRoute && !(segments[0] === 'stores' && segments[1] === 'check' && !p.storesCheck)) {
    if (!cluster.bootstrapped && method === 'GET') return jsonAnswer(500, p.notBootstrappedMessage);
  }
  if (method === 'DELETE' && segments[0] === 'store' && segments.length === 2) {
    if (!cluster.bootstrapped) return jsonAnswer(500, p.notBootstrappedMessage);
    return deleteStore(cluster, segments[1]);
  }
  if (method === 'GET') {
    if (route === '/stores') return stores(cluster, url);
    if (route === '/stores/check' && p.storesCheck) return storesCheck(cluster, url);
    if (segments[0] === 'store' && segments.length === 2) return store(cluster, segments[1]);
    if (segments[0] === 'regions' && segments[1] === 'check' && segments.length === 3) return regionCheck(cluster, segments[2]);
    if (segments[0] === 'regions' && segments[1] === 'store' && segments.length === 3) return storeRegions(cluster, segments[2], url);
    if (route === '/regions/count') return jsonAnswer(200, { count: cluster.regions.regionCount, regions: null });
  }
  return goNotFound();
}

/** `/pd/api/v2/ready`: served by whichever member receives it (never redirected). */
export function serveReady(cluster: PdCluster, member: MemberRecord, url: URL): PdHttpAnswer {
  const p = cluster.profile;
  if (!p.readyV2) return v2NotFound(cluster);
  const loaded = !cluster.faults.regionsNotLoaded && member.regionsLoadedAtMs > 0 && member.regionsLoadedAtMs <= Date.now();
  if (!url.searchParams.has('verbose')) return emptyAnswer(loaded ? 200 : 500);
  // gin's IndentedJSON: four spaces, no trailing newline.
  return {
    status: loaded ? 200 : 500,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: `{\n    "region_loaded": ${loaded}\n}`,
  };
}

function who(request: PdHttpRequest): Record<string, unknown> {
  return request.remote ? { remote: request.remote } : {};
}

function methodNotAllowed(): PdHttpAnswer {
  return { status: 405, headers: {}, body: '' };
}

function shuffled<T>(cluster: PdCluster, items: T[]): T[] {
  // Go map iteration order: PD answers these lists in no particular order.
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = cluster.random.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ------------------------------------------------------------------ members, health, cluster, config

function memberBody(cluster: PdCluster, m: MemberRecord): Record<string, unknown> {
  const legacy = cluster.profile.legacyEvictLeader;
  return {
    name: m.name,
    member_id: new GoUint64(m.memberId),
    peer_urls: [m.peerUrl],
    client_urls: [m.clientUrl],
    deploy_path: legacy ? undefined : m.deployPath,
    binary_version: legacy ? undefined : m.binaryVersion,
    git_hash: legacy ? undefined : m.gitHash,
  };
}

function sortedMembers(cluster: PdCluster): MemberRecord[] {
  return [...cluster.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

function membersBody(cluster: PdCluster): unknown {
  const leader = cluster.leaderMember();
  return {
    header: { cluster_id: new GoUint64(cluster.clusterId) },
    members: sortedMembers(cluster).map((m) => memberBody(cluster, m)),
    leader: leader ? memberBody(cluster, leader) : undefined,
    etcd_leader: leader ? memberBody(cluster, leader) : undefined,
  };
}

function health(cluster: PdCluster): PdHttpAnswer {
  return jsonAnswer(
    200,
    sortedMembers(cluster).map((m) => ({ name: m.name, member_id: new GoUint64(m.memberId), client_urls: [m.clientUrl], health: m.running })),
  );
}

function clusterStatus(cluster: PdCluster): unknown {
  const bootstrapNs = BigInt(cluster.bootstrappedAtMs) * 1_000_000n;
  return {
    raft_bootstrap_time: cluster.bootstrappedAtMs ? goTime(bootstrapNs) : '0001-01-01T00:00:00Z',
    is_initialized: cluster.bootstrappedAtMs > 0 && cluster.regions.regionCount > 1,
    replication_status: cluster.profile.legacyEvictLeader ? undefined : '',
  };
}

function replicationConfig(cluster: PdCluster): unknown {
  const p = cluster.profile;
  const cfg: Record<string, unknown> = {
    'max-replicas': cluster.maxReplicas,
    'location-labels': '',
    'strictly-match-label': 'false',
  };
  if (p.major >= 4) cfg['enable-placement-rules'] = p.major >= 5 ? 'true' : 'false';
  if (p.major >= 6) {
    cfg['enable-placement-rules-cache'] = 'false';
    cfg['isolation-level'] = '';
  }
  return cfg;
}

function scheduleConfig(cluster: PdCluster): unknown {
  const p = cluster.profile;
  const storeLimit: Record<string, unknown> = {};
  for (const id of [...cluster.stores.keys()].map(String).sort()) storeLimit[id] = { 'add-peer': 15, 'remove-peer': 15 };
  const v8 = p.major >= 8;
  const v7 = p.major >= 7;
  const cfg: Record<string, unknown> = {
    'max-snapshot-count': 64,
    'max-pending-peer-count': 64,
    'max-merge-region-size': v8 ? 54 : 20,
    'max-merge-region-keys': v8 ? 540000 : 200000,
    'split-merge-interval': '1h0m0s',
    'switch-witness-interval': v7 ? '1h0m0s' : undefined,
    'enable-one-way-merge': 'false',
    'enable-cross-table-merge': 'true',
    'patrol-region-interval': '10ms',
    'max-store-down-time': goDuration(BigInt(cluster.timing.maxStoreDownTimeMs) * 1_000_000n),
    'max-store-preparing-time': p.major >= 6 ? '48h0m0s' : undefined,
    'leader-schedule-limit': cluster.leaderScheduleLimit,
    'leader-schedule-policy': 'count',
    'region-schedule-limit': 2048,
    'witness-schedule-limit': v7 ? 4 : undefined,
    'replica-schedule-limit': 64,
    'merge-schedule-limit': 8,
    'hot-region-schedule-limit': 4,
    'hot-region-cache-hits-threshold': 3,
    'store-limit': storeLimit,
    'tolerant-size-ratio': 0,
    'low-space-ratio': 0.8,
    'high-space-ratio': 0.7,
    'region-score-formula-version': 'v2',
    'scheduler-max-waiting-operator': 5,
    'enable-remove-down-replica': 'true',
    'enable-replace-offline-replica': 'true',
    'enable-make-up-replica': 'true',
    'enable-remove-extra-replica': 'true',
    'enable-location-replacement': 'true',
    'enable-debug-metrics': 'false',
    'enable-joint-consensus': 'true',
    'enable-tikv-split-region': v7 ? 'true' : undefined,
    'enable-heartbeat-breakdown-metrics': v8 ? 'true' : undefined,
    'enable-heartbeat-concurrent-runner': v8 ? 'true' : undefined,
    'schedulers-v2': p.defaultSchedulers.map((name) => ({
      type: name.replace(/-scheduler$/, '').replace(/^balance-hot-region$/, 'hot-region'),
      args: null,
      disable: false,
      'args-payload': '',
    })),
    'hot-regions-write-interval': '10m0s',
    'hot-regions-reserved-days': 7,
    'max-movable-hot-peer-size': p.major >= 6 ? 512 : undefined,
    'enable-diagnostic': p.major >= 6 ? 'true' : undefined,
    'enable-witness': v7 ? 'false' : undefined,
    'slow-store-evicting-affected-store-ratio-threshold': p.major >= 6 ? 0.3 : undefined,
    'store-limit-version': v7 ? 'v1' : undefined,
    'patrol-region-worker-count': v8 && (p.minor >= 2 || p.isMaster) ? 1 : undefined,
  };
  return cfg;
}

// ------------------------------------------------------------------ stores

function storeInfo(cluster: PdCluster, s: StoreRecord, now: number): unknown {
  const p = cluster.profile;
  const stateName = cluster.stateName(s, now);
  const meta: Record<string, unknown> = {
    id: s.storeId,
    address: s.address || undefined,
    state: s.metaState === 'Offline' ? 1 : s.metaState === 'Tombstone' ? 2 : undefined,
    labels: s.labels.length ? s.labels.map((l) => ({ key: l.key, value: l.value })) : undefined,
    version: s.version || undefined,
    peer_address: s.peerAddress || undefined,
    status_address: s.statusAddress || undefined,
    git_hash: s.gitHash || undefined,
    start_timestamp: s.startTimestampSec || undefined,
    deploy_path: s.deployPath || undefined,
    last_heartbeat: s.lastHeartbeatNs ? new GoUint64(s.lastHeartbeatNs) : undefined,
    node_state: p.nodeState && s.nodeState ? s.nodeState : undefined,
    state_name: stateName,
  };
  const leaderCount = cluster.view.leaderCount(s.storeId);
  const regionCount = cluster.view.regionCount(s.storeId);
  const used = regionCount * REGION_AVG_MIB * 1024 * 1024 * 1.05;
  const capacity = s.capacityBytes;
  const available = Math.max(0, capacity - used - capacity * 0.08);
  const leaderSize = leaderCount * REGION_AVG_MIB;
  const regionSize = regionCount * REGION_AVG_MIB;
  const pending = s.running && s.catchingUpUntilMs > now ? regionCount : 0;
  const hb = s.lastHeartbeatNs;
  const startNs = BigInt(s.startTimestampSec) * 1_000_000_000n;
  const uptimeNs = hb - startNs;
  const times = {
    start_ts: s.hasStats ? goTime(startNs) : undefined,
    // A store that never heartbeated still has a last-heartbeat time: the Unix epoch (time.Unix(0, 0) is not zero).
    last_heartbeat_ts: goTime(hb),
    uptime: uptimeNs > 0n ? goDuration(uptimeNs) : undefined,
  };
  const omit0 = (n: number): number | undefined => (n ? n : undefined);
  const slowScore = s.hasStats ? 1 : 0;
  const slowTrend = s.hasStats ? { cause_value: 250000, cause_rate: 0, result_value: 0, result_rate: 0 } : undefined;
  let status: Record<string, unknown>;
  switch (p.storeStatusLayout) {
    case 'v3':
      status = {
        capacity: capacity ? goByteSize(capacity) : undefined,
        available: available ? goByteSize(available) : undefined,
        leader_count: omit0(leaderCount),
        leader_weight: 1,
        leader_score: omit0(leaderCount),
        leader_size: omit0(leaderSize),
        region_count: omit0(regionCount),
        region_weight: 1,
        region_score: omit0(regionSize),
        region_size: omit0(regionSize),
        is_busy: s.busy || undefined,
        ...times,
      };
      break;
    case 'v5':
    case 'v6':
      status = {
        capacity: goByteSize(capacity),
        available: goByteSize(available),
        used_size: goByteSize(used),
        leader_count: leaderCount,
        leader_weight: 1,
        leader_score: leaderCount,
        leader_size: leaderSize,
        region_count: regionCount,
        region_weight: 1,
        region_score: regionSize,
        region_size: regionSize,
        witness_count: p.storeStatusLayout === 'v6' ? 0 : undefined,
        slow_score: p.storeStatusLayout === 'v6' ? slowScore : undefined,
        is_busy: s.busy || undefined,
        ...times,
      };
      break;
    default: {
      const v83 = p.storeStatusLayout !== 'v7';
      status = {
        capacity: goByteSize(capacity),
        available: goByteSize(available),
        used_size: goByteSize(used),
        leader_count: leaderCount,
        leader_weight: 1,
        leader_score: leaderCount,
        leader_size: leaderSize,
        region_count: regionCount,
        region_weight: 1,
        region_score: regionSize,
        region_size: regionSize,
        pending_peer_count: v83 ? omit0(pending) : undefined,
        slow_score: omit0(slowScore),
        slow_trend: slowTrend,
        is_busy: s.busy || undefined,
        ...times,
      };
      if (p.storeStatusLayout === 'master') {
        status.pause_leader_transfer_in = s.pausedBy.size > 0 || undefined;
        status.pause_leader_transfer_out = undefined;
      }
    }
  }
  return { store: meta, status };
}

function stores(cluster: PdCluster, url: URL): PdHttpAnswer {
  const states = url.searchParams.getAll('state');
  let accept: string[];
  if (states.length) {
    accept = [];
    for (const raw of states) {
      if (!/^[+-]?\d+$/.test(raw)) return jsonAnswer(500, `strconv.Atoi: parsing ${goJson(raw)}: invalid syntax`);
      const n = Number(raw);
      if (n === 0) accept.push('Up');
      else if (n === 1) accept.push('Offline');
      else if (n === 2) accept.push('Tombstone');
      else return jsonAnswer(500, `unknown StoreState: ${n}`);
    }
  } else {
    accept = ['Up', 'Offline'];
  }
  const now = Date.now();
  const list = shuffled(cluster, [...cluster.stores.values()]).filter((s) => accept.includes(s.metaState));
  return jsonAnswer(200, { count: list.length, stores: list.map((s) => storeInfo(cluster, s, now)) });
}

function storesCheck(cluster: PdCluster, url: URL): PdHttpAnswer {
  const known = ['down', 'disconnected', 'up', 'offline', 'tombstone'];
  const wanted: string[] = [];
  for (const raw of url.searchParams.getAll('state')) {
    const lower = raw.toLowerCase();
    if (lower !== '' && !known.includes(lower)) return jsonAnswer(400, `unknown StoreState: ${raw}`);
    if (lower !== '') wanted.push(lower);
  }
  const now = Date.now();
  const list = shuffled(cluster, [...cluster.stores.values()]).filter(
    (s) => wanted.length === 0 || wanted.includes(cluster.stateName(s, now).toLowerCase()),
  );
  return jsonAnswer(200, { count: list.length, stores: list.map((s) => storeInfo(cluster, s, now)) });
}

function store(cluster: PdCluster, rawId: string): PdHttpAnswer {
  if (!/^\d+$/.test(rawId)) {
    return jsonAnswer(400, { code: 'input', msg: `strconv.ParseUint: parsing ${goJson(rawId)}: invalid syntax`, data: { Func: 'ParseUint', Num: rawId, Err: {} } });
  }
  const id = Number(rawId);
  const s = cluster.stores.get(id);
  if (!s) {
    const { status, message } = cluster.profile.getStoreNotFound(id);
    return jsonAnswer(status, message);
  }
  return jsonAnswer(200, storeInfo(cluster, s, Date.now()));
}

function deleteStore(cluster: PdCluster, rawId: string): PdHttpAnswer {
  if (!/^\d+$/.test(rawId)) return jsonAnswer(400, `strconv.ParseUint: parsing ${goJson(rawId)}: invalid syntax`);
  const id = Number(rawId);
  const error = cluster.removeStore(id, 'http');
  if (error === 'not-found') return jsonAnswer(404, cluster.profile.storeNotFound(id));
  if (error === 'removed-already') return jsonAnswer(410, `[PD:core:ErrStoreRemoved]store ${id} has been removed`);
  if (error === 'not-enough-stores') {
    const remaining = [...cluster.stores.values()].filter((s) => s.storeId !== id && s.metaState === 'Up').length;
    return jsonAnswer(400, `[PD:core:ErrStoresNotEnough]can not remove store ${id} since the number of up stores would be ${remaining} while need ${cluster.maxReplicas}`);
  }
  return jsonAnswer(200, 'The store is set as Offline.');
}

// ------------------------------------------------------------------ schedulers

function createScheduler(cluster: PdCluster, body: string, detail: Record<string, unknown>): PdHttpAnswer {
  const p = cluster.profile;
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch (e) {
    return jsonAnswer(400, body.trim() === '' ? 'EOF' : `invalid character in JSON: ${(e as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return jsonAnswer(400, 'json: cannot unmarshal into Go value of type map[string]interface {}');
  }
  const fields = input as Record<string, unknown>;
  const name = fields.name;
  if (typeof name !== 'string') return jsonAnswer(400, 'missing scheduler name');
  if (!KNOWN_SCHEDULERS.includes(name) && name !== 'grant-leader-scheduler') return jsonAnswer(400, 'unknown scheduler');
  if (!cluster.bootstrapped) return jsonAnswer(500, p.notBootstrappedMessage);
  if (name === EVICT_LEADER) {
    if (!('store_id' in fields)) return jsonAnswer(400, 'missing store id');
    if (typeof fields.store_id !== 'number') return jsonAnswer(400, p.isMaster ? 'please input a right store id' : 'missing store id');
    return addEvictLeader(cluster, Math.trunc(fields.store_id), detail);
  }
  if (name === 'grant-leader-scheduler') return jsonAnswer(400, 'grant-leader-scheduler is not simulated');
  if (!cluster.addScheduler(name, 'http', detail)) {
    const message = p.major >= 4 ? '[PD:scheduler:ErrSchedulerExisted]scheduler existed' : 'scheduler existed';
    return jsonAnswer(p.isMaster ? 400 : 500, message);
  }
  return jsonAnswer(200, p.legacyEvictLeader ? null : 'The scheduler is created.');
}

function addEvictLeader(cluster: PdCluster, storeId: number, detail: Record<string, unknown>): PdHttpAnswer {
  const p = cluster.profile;
  const result = cluster.addEvictLeader(storeId, 'http', detail);
  if (p.legacyEvictLeader) {
    if (result.ok) return jsonAnswer(200, null);
    if (result.reason === 'existed') return jsonAnswer(500, 'scheduler existed');
    if (result.reason === 'paused') return jsonAnswer(500, `store ${storeId} is blocked`);
    return jsonAnswer(500, p.storeNotFound(storeId));
  }
  const created = 'The scheduler is created.';
  if (result.ok) {
    return jsonAnswer(200, !result.created && p.appliedMessage ? 'The scheduler has been applied to the store.' : created);
  }
  const message =
    result.reason === 'paused'
      ? `[PD:core:ErrPauseLeaderTransfer]store ${storeId} is paused for leader transfer`
      : result.reason === 'not-bootstrapped'
        ? p.notBootstrappedMessage
        : p.storeNotFound(storeId);
  // With the scheduler already there, PD forwards to the scheduler's own config handler and wraps that handler's
  // whole JSON answer (quotes and newline included) as the error text.
  const text = result.schedulerExisted ? renderJson(message) : message;
  const status = result.schedulerExisted ? 500 : p.addSchedulerErrorStatus;
  const answer = jsonAnswer(status, text);
  // v6/v7 forgot to return after writing the error: "The scheduler is created." follows in the same body.
  if (p.doubleBodyOnAddError) answer.body += renderJson(created);
  return answer;
}

function deleteScheduler(cluster: PdCluster, name: string, detail: Record<string, unknown>): PdHttpAnswer {
  const p = cluster.profile;
  if (p.legacyEvictLeader) {
    const legacy = /^evict-leader-scheduler-(\d+)$/.exec(name);
    if (!cluster.bootstrapped) return jsonAnswer(500, p.notBootstrappedMessage);
    const removed = legacy ? cluster.removeEvictLeader(Number(legacy[1]), 'http', detail) : cluster.removeScheduler(name, 'http', detail) ? 'removed' : 'no-scheduler';
    if (removed === 'removed' || removed === 'removed-last') return jsonAnswer(200, null);
    return jsonAnswer(500, 'scheduler not found');
  }
  if (name.startsWith(EVICT_LEADER) && name !== EVICT_LEADER) {
    // PD forwards to /scheduler-config/evict-leader-scheduler/delete/<last dash-separated part>.
    const idText = name.split('-').pop()!;
    let status: number;
    if (!cluster.bootstrapped) status = 406;
    else if (!/^\d+$/.test(idText)) status = cluster.schedulers.has(EVICT_LEADER) ? 400 : 404;
    else {
      const result = cluster.removeEvictLeader(Number(idText), 'http', detail);
      status = result === 'removed' || result === 'removed-last' ? 200 : 404;
    }
    if (p.removeNotFound === 'v5') {
      if (status === 200) return jsonAnswer(200, 'The scheduler is removed.');
      return jsonAnswer(404, '[PD:scheduler:ErrSchedulerNotFound]scheduler not found');
    }
    return jsonAnswer(status, null);
  }
  if (!cluster.bootstrapped) return jsonAnswer(500, p.notBootstrappedMessage);
  if (!cluster.removeScheduler(name, 'http', detail)) return jsonAnswer(404, '[PD:scheduler:ErrSchedulerNotFound]scheduler not found');
  return jsonAnswer(200, 'The scheduler is removed.');
}

function evictLeaderConfig(cluster: PdCluster): unknown {
  const scheduler = cluster.schedulers.get(EVICT_LEADER);
  const ranges: Record<string, unknown> = {};
  // encoding/json sorts map keys by their string form ("10" < "4").
  for (const id of [...(scheduler?.storeIds ?? [])].map(String).sort()) ranges[id] = [{ 'start-key': '', 'end-key': '' }];
  return { 'store-id-ranges': ranges, batch: cluster.profile.evictLeaderBatch ? (scheduler?.batch ?? 3) : undefined };
}

function schedulerConfig(cluster: PdCluster, method: string, segments: string[], body: string, detail: Record<string, unknown>): PdHttpAnswer {
  const p = cluster.profile;
  if (!cluster.bootstrapped) return jsonAnswer(406, p.notBootstrappedMessage);
  const [name, action, arg] = segments;
  if (!name || !cluster.schedulers.has(name) || name !== EVICT_LEADER) {
    // Only evict-leader's config handler is simulated; any other name behaves as "no such scheduler".
    return goNotFound();
  }
  if (method === 'GET' && action === 'list' && segments.length === 2) return jsonAnswer(200, evictLeaderConfig(cluster));
  if (method === 'DELETE' && action === 'delete' && segments.length === 3) {
    if (!/^\d+$/.test(arg)) return jsonAnswer(400, `strconv.ParseUint: parsing ${goJson(arg)}: invalid syntax`);
    const result = cluster.removeEvictLeader(Number(arg), 'http', detail);
    if (result === 'removed') return jsonAnswer(200, null);
    if (result === 'removed-last') return jsonAnswer(200, 'The last store has been deleted');
    return jsonAnswer(404, '[PD:scheduler:ErrScheduleConfigNotExist]the config does not exist');
  }
  if (method === 'POST' && action === 'config' && segments.length === 2) {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return jsonAnswer(400, 'EOF');
    }
    if (typeof input.store_id === 'number') {
      const result = cluster.addEvictLeader(Math.trunc(input.store_id), 'http', detail);
      if (!result.ok) {
        const message = result.reason === 'paused'
          ? `[PD:core:ErrPauseLeaderTransfer]store ${input.store_id} is paused for leader transfer`
          : p.storeNotFound(Math.trunc(input.store_id));
        return jsonAnswer(500, message);
      }
    }
    if (typeof input.batch === 'number' && p.evictLeaderBatch) {
      if (input.batch < 1 || input.batch > 10) return jsonAnswer(400, 'batch is invalid, it should be in [1, 10]');
      cluster.schedulers.get(EVICT_LEADER)!.batch = Math.trunc(input.batch);
    }
    return jsonAnswer(200, p.appliedMessage ? 'The scheduler has been applied to the store.' : null);
  }
  return goNotFound();
}

// ------------------------------------------------------------------ regions

interface RegionRender {
  region: SimRegion;
  peers: number[];
  leader: number;
  down: { storeId: number; downSeconds: number }[];
  pending: number[];
}

function peerIdOf(region: SimRegion, storeId: number): number {
  return region.peers.find((p) => p.storeId === storeId)?.peerId ?? 0;
}

function compactPeer(region: SimRegion, storeId: number): string {
  if (!storeId) return '{"role_name":""}';
  return `{"role_name":"Voter","id":${peerIdOf(region, storeId)},"store_id":${storeId}}`;
}

function compactRegion(cluster: PdCluster, r: RegionRender): string {
  const region = r.region;
  const parts = [
    `"id":${region.regionId}`,
    `"start_key":${goJson(regionKeyHex(region.ordinal))}`,
    `"end_key":${goJson(cluster.regions.isLast(region) ? '' : regionKeyHex(region.ordinal + 1))}`,
    `"epoch":{"conf_ver":${region.confVer},"version":${region.version}}`,
  ];
  if (r.peers.length) parts.push(`"peers":[${r.peers.map((s) => compactPeer(region, s)).join(',')}]`);
  parts.push(`"leader":${compactPeer(region, r.leader)}`);
  if (r.down.length) {
    parts.push(`"down_peers":[${r.down.map((d) => `{"peer":${compactPeer(region, d.storeId)},"down_seconds":${d.downSeconds}}`).join(',')}]`);
  }
  if (r.pending.length) parts.push(`"pending_peers":[${r.pending.map((s) => compactPeer(region, s)).join(',')}]`);
  const size = region.approximateSizeMiB;
  parts.push(
    '"cpu_usage":0',
    `"written_bytes":${size * 1024}`,
    `"read_bytes":${size * 2048}`,
    `"written_keys":${Math.floor(region.approximateKeys / 1000)}`,
    `"read_keys":${Math.floor(region.approximateKeys / 500)}`,
    `"approximate_size":${size}`,
    `"approximate_keys":${region.approximateKeys}`,
    `"approximate_kv_size":${Math.floor(size * 0.9)}`,
  );
  return `{${parts.join(',')}}`;
}

function indentedRegion(cluster: PdCluster, r: RegionRender): unknown {
  const region = r.region;
  const peer = (storeId: number): unknown =>
    storeId ? { id: peerIdOf(region, storeId), store_id: storeId, role_name: 'Voter' } : { role_name: '' };
  const size = region.approximateSizeMiB;
  return {
    id: region.regionId,
    start_key: regionKeyHex(region.ordinal),
    end_key: cluster.regions.isLast(region) ? '' : regionKeyHex(region.ordinal + 1),
    epoch: { conf_ver: region.confVer, version: region.version },
    peers: r.peers.length ? r.peers.map(peer) : undefined,
    leader: peer(r.leader),
    down_peers: r.down.length ? r.down.map((d) => ({ down_seconds: d.downSeconds || undefined, peer: peer(d.storeId) })) : undefined,
    pending_peers: r.pending.length ? r.pending.map(peer) : undefined,
    cpu_usage: cluster.profile.major >= 6 ? 0 : undefined,
    written_bytes: size * 1024,
    read_bytes: size * 2048,
    written_keys: Math.floor(region.approximateKeys / 1000),
    read_keys: Math.floor(region.approximateKeys / 500),
    approximate_size: size,
    approximate_keys: region.approximateKeys,
  };
}

function regionsAnswer(cluster: PdCluster, list: RegionRender[]): PdHttpAnswer {
  if (cluster.profile.compactRegions) {
    return dataAnswer(200, `{"count":${list.length},"regions":[${list.map((r) => compactRegion(cluster, r)).join(',')}]}`);
  }
  return jsonAnswer(200, { count: list.length, regions: list.map((r) => indentedRegion(cluster, r)) });
}

function renderOf(cluster: PdCluster, region: SimRegion, now: number): RegionRender {
  const peers = cluster.view.knows(region.regionId) ? [...cluster.view.peersOf(region.regionId)] : region.peers.map((p) => p.storeId);
  const down: RegionRender['down'] = [];
  const pending: number[] = [];
  const downAfter = cluster.clock.timeScale * cluster.timing.maxPeerDownMs;
  for (const storeId of peers) {
    const s = cluster.stores.get(storeId);
    if (!s) continue;
    if (!s.running && s.stoppedAtMs && now - s.stoppedAtMs > downAfter) {
      down.push({ storeId, downSeconds: Math.floor((now - s.stoppedAtMs) / 1000) });
    } else if (s.running && s.catchingUpUntilMs > now) {
      pending.push(storeId);
    }
  }
  return { region, peers, leader: cluster.view.leaderOf(region.regionId) || region.leaderStoreId, down, pending };
}

function regionCheck(cluster: PdCluster, kind: string): PdHttpAnswer {
  const now = Date.now();
  const list: RegionRender[] = [];
  const consider = (region: SimRegion): void => {
    const r = renderOf(cluster, region, now);
    const matches =
      (kind === 'miss-peer' && r.peers.length < cluster.maxReplicas) ||
      (kind === 'down-peer' && r.down.length > 0) ||
      (kind === 'pending-peer' && r.pending.length > 0) ||
      (kind === 'offline-peer' && r.peers.some((s) => cluster.stores.get(s)?.metaState === 'Offline'));
    if (matches) list.push(r);
  };
  switch (kind) {
    case 'miss-peer':
      for (const region of cluster.regions.regions()) consider(region);
      break;
    case 'down-peer':
    case 'pending-peer':
    case 'offline-peer': {
      // Only regions with a peer on an affected store can match: look at those stores' regions only.
      const seen = new Set<number>();
      for (const s of cluster.stores.values()) {
        const affected =
          (kind === 'down-peer' && !s.running && s.stoppedAtMs > 0) ||
          (kind === 'pending-peer' && s.running && s.catchingUpUntilMs > now) ||
          (kind === 'offline-peer' && s.metaState === 'Offline');
        if (!affected) continue;
        for (const regionId of cluster.regions.peerRegionIds(s.storeId)) {
          if (seen.has(regionId)) continue;
          seen.add(regionId);
          consider(cluster.regions.region(regionId)!);
        }
      }
      break;
    }
    case 'extra-peer':
    case 'learner-peer':
    case 'empty-region':
    case 'oversized-region':
    case 'undersized-region':
      break;
    default:
      return goNotFound();
  }
  list.sort((a, b) => a.region.regionId - b.region.regionId);
  return regionsAnswer(cluster, list);
}

function storeRegions(cluster: PdCluster, rawId: string, url: URL): PdHttpAnswer {
  if (!/^\d+$/.test(rawId)) return jsonAnswer(400, `strconv.Atoi: parsing ${goJson(rawId)}: invalid syntax`);
  const storeId = Number(rawId);
  const type = url.searchParams.get('type') || 'all';
  if (!['all', 'leader', 'follower', 'learner'].includes(type)) return jsonAnswer(400, `unknown region type: ${type}`);
  const now = Date.now();
  const ids =
    type === 'leader'
      ? [...cluster.view.leaderRegionIds(storeId)]
      : type === 'learner'
        ? []
        : [...cluster.regions.peerRegionIds(storeId)].filter((id) => type === 'all' || cluster.view.leaderOf(id) !== storeId);
  ids.sort((a, b) => a - b);
  return regionsAnswer(cluster, ids.map((id) => renderOf(cluster, cluster.regions.region(id)!, now)));
}
