import type { Store, StoreNodeState, StoreStateName } from '../core/model.ts';
import {
  PdShapeError,
  asArrayOrEmpty,
  asObject,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  requiredInteger,
  type JsonObject,
} from './pd-fields.ts';

/**
 * PD's StoreInfo (`{store, status}`) → `Store`, across PD versions: zero enums omitted (`state`, `node_state`),
 * `start_timestamp` in seconds, `last_heartbeat` in nanoseconds beyond 2^53 (a bigint from parsePdJson), optional
 * status fields, `uptime` missing right after a restart, and older PD without `status_address` or `node_state`.
 */

const STATE_NAMES: readonly StoreStateName[] = ['Up', 'Disconnected', 'Down', 'Offline', 'Tombstone'];
/** metapb.StoreState: Up 0 (omitted), Offline 1, Tombstone 2. */
const STATE_BY_NUMBER: Record<number, StoreStateName> = { 0: 'Up', 1: 'Offline', 2: 'Tombstone' };
/** metapb.NodeState (PD v6.1+): Preparing 0 (omitted), Serving 1, Removing 2, Removed 3. */
const NODE_STATE_BY_NUMBER: Record<number, StoreNodeState> = { 0: 'Preparing', 1: 'Serving', 2: 'Removing', 3: 'Removed' };

const NS_PER_MS = 1_000_000n;

export interface ParseStoreOptions {
  /**
   * Whether this PD reports `node_state` (v6.1+). Known from the rest of a `/stores` answer when any store carries
   * it; then a store without it is Preparing (the omitted zero). Unknown: inferred from the store's TiKV version
   * (PD is upgraded before TiKV, so a TiKV ≥ 6.1 implies PD ≥ 6.1).
   */
  nodeStateReported?: boolean;
  /** Where the StoreInfo sits in the answer, for error messages. */
  where?: string;
}

/** One StoreInfo → Store. Throws PdShapeError when a field has the wrong type or `state_name` is not PD's. */
export function parseStoreInfo(value: unknown, options: ParseStoreOptions = {}): Store {
  const where = options.where ?? 'StoreInfo';
  const info = asObject(value, where);
  const meta = asObject(info.store, `${where}.store`);
  const status = info.status === undefined || info.status === null ? {} : asObject(info.status, `${where}.status`);
  const metaWhere = `${where}.store`;
  const statusWhere = `${where}.status`;

  const version = stripV(optionalString(meta, 'version', metaWhere) ?? '');
  const store: Store = {
    storeId: requiredInteger(meta, 'id', metaWhere),
    address: optionalString(meta, 'address', metaWhere) ?? '',
    statusAddress: optionalString(meta, 'status_address', metaWhere) ?? '',
    version,
    stateName: readStateName(meta, metaWhere),
    startTimestampSec: readStartTimestampSec(meta, status, where),
    lastHeartbeatMs: readLastHeartbeatMs(meta, status, where),
    leaderCount: optionalInteger(status, 'leader_count', statusWhere) ?? 0,
    regionCount: optionalInteger(status, 'region_count', statusWhere) ?? 0,
    labels: readLabels(meta, metaWhere),
  };
  const nodeState = readNodeState(meta, metaWhere, options.nodeStateReported ?? versionAtLeast(version, 6, 1));
  if (nodeState !== undefined) store.nodeState = nodeState;

  const capacity = optionalString(status, 'capacity', statusWhere);
  if (capacity !== undefined) store.capacity = capacity;
  const available = optionalString(status, 'available', statusWhere);
  if (available !== undefined) store.available = available;
  const usedSize = optionalString(status, 'used_size', statusWhere);
  if (usedSize !== undefined) store.usedSize = usedSize;
  const uptime = optionalString(status, 'uptime', statusWhere);
  if (uptime !== undefined) store.uptime = uptime;
  const slowScore = optionalNumber(status, 'slow_score', statusWhere);
  if (slowScore !== undefined) store.slowScore = slowScore;
  const isBusy = optionalBoolean(status, 'is_busy', statusWhere);
  if (isBusy !== undefined) store.isBusy = isBusy;
  const pendingPeerCount = optionalInteger(status, 'pending_peer_count', statusWhere);
  if (pendingPeerCount !== undefined) store.pendingPeerCount = pendingPeerCount;
  return store;
}

/** `/stores` answer (`{count, stores}`; `stores` is `null` when PD has none to show) → Store[]. */
export function parseStoresBody(value: unknown): Store[] {
  const body = asObject(value, 'stores answer');
  const infos = asArrayOrEmpty(body.stores, 'stores');
  const nodeStateReported = infos.some((info) => hasNodeState(info)) ? true : undefined;
  return infos.map((info, index) => parseStoreInfo(info, { nodeStateReported, where: `stores[${index}]` }));
}

function hasNodeState(info: unknown): boolean {
  if (typeof info !== 'object' || info === null) return false;
  const meta = (info as JsonObject).store;
  return typeof meta === 'object' && meta !== null && (meta as JsonObject).node_state !== undefined;
}

function readStateName(meta: JsonObject, where: string): StoreStateName {
  const name = optionalString(meta, 'state_name', where);
  if (name !== undefined) {
    if (!(STATE_NAMES as readonly string[]).includes(name)) throw new PdShapeError(`${where}.state_name`, STATE_NAMES.join('|'), name);
    return name as StoreStateName;
  }
  // Without state_name, the raw enum (omitted when Up) still says Up, Offline or Tombstone.
  const state = optionalInteger(meta, 'state', where) ?? 0;
  const byNumber = STATE_BY_NUMBER[state];
  if (byNumber === undefined) throw new PdShapeError(`${where}.state`, '0, 1 or 2', state);
  return byNumber;
}

function readNodeState(meta: JsonObject, where: string, reported: boolean): StoreNodeState | undefined {
  const number = optionalInteger(meta, 'node_state', where);
  if (number === undefined) return reported ? 'Preparing' : undefined;
  const nodeState = NODE_STATE_BY_NUMBER[number];
  if (nodeState === undefined) throw new PdShapeError(`${where}.node_state`, '0, 1, 2 or 3', number);
  return nodeState;
}

function readStartTimestampSec(meta: JsonObject, status: JsonObject, where: string): number {
  const seconds = optionalInteger(meta, 'start_timestamp', `${where}.store`);
  if (seconds !== undefined) return Math.max(0, seconds);
  const startTs = optionalString(status, 'start_ts', `${where}.status`);
  const ms = startTs === undefined ? 0 : parseGoTimeMs(startTs, `${where}.status.start_ts`);
  return Math.floor(ms / 1000);
}

/** `last_heartbeat` is Unix ns; 2^53 ns is only 104 days, so real values arrive as bigint and are divided exactly. */
function readLastHeartbeatMs(meta: JsonObject, status: JsonObject, where: string): number {
  const value = meta.last_heartbeat;
  if (typeof value === 'bigint') return value <= 0n ? 0 : Number(value / NS_PER_MS);
  if (typeof value === 'number' && Number.isFinite(value)) return value <= 0 ? 0 : Math.floor(value / 1e6);
  if (value !== undefined && value !== null) throw new PdShapeError(`${where}.store.last_heartbeat`, 'an integer', value);
  const ts = optionalString(status, 'last_heartbeat_ts', `${where}.status`);
  return ts === undefined ? 0 : parseGoTimeMs(ts, `${where}.status.last_heartbeat_ts`);
}

/** RFC 3339 from Go's time.Time; Go's zero time (`0001-01-01T00:00:00Z`, "never") reads as 0. */
function parseGoTimeMs(text: string, where: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new PdShapeError(where, 'an RFC 3339 time', text);
  return ms <= 0 ? 0 : ms;
}

function readLabels(meta: JsonObject, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  asArrayOrEmpty(meta.labels, `${where}.labels`).forEach((item, index) => {
    const label = asObject(item, `${where}.labels[${index}]`);
    const key = optionalString(label, 'key', `${where}.labels[${index}]`);
    if (key === undefined) throw new PdShapeError(`${where}.labels[${index}].key`, 'a string', label.key);
    labels[key] = optionalString(label, 'value', `${where}.labels[${index}]`) ?? '';
  });
  return labels;
}

function stripV(version: string): string {
  return version.startsWith('v') ? version.slice(1) : version;
}

/** True when a `MAJOR.MINOR…` version is at least major.minor; false for an empty or unparsable version. */
function versionAtLeast(version: string, major: number, minor: number): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [actualMajor, actualMinor] = [Number(match[1]), Number(match[2])];
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}
