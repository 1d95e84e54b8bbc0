import type { PdMember, PdMembers, PdReplicationConfig, PdScheduleConfig, RegionCheck, RegionSummary } from './pd-client.ts';
import {
  PdShapeError,
  asArrayOrEmpty,
  asObject,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  optionalStringArray,
  optionalUint64String,
  requiredInteger,
  type JsonObject,
} from './pd-fields.ts';

/**
 * PD's answers other than StoreInfo → the shapes of pd-client.ts. Inputs come from parsePdJson (uint64s beyond 2^53
 * as bigint). Every function throws PdShapeError when the answer is not what pd-api.md describes.
 */

/** A `/members` or `/health` entry; undefined for the empty object PD may send when there is no leader. */
function parseMember(value: unknown, where: string): PdMember | undefined {
  const member = asObject(value, where);
  const name = optionalString(member, 'name', where) ?? '';
  const memberId = optionalUint64String(member, 'member_id', where) ?? '';
  if (name === '' && memberId === '') return undefined;
  return {
    name,
    memberId,
    clientUrls: optionalStringArray(member, 'client_urls', where),
    peerUrls: optionalStringArray(member, 'peer_urls', where),
    binaryVersion: optionalString(member, 'binary_version', where) ?? '',
  };
}

/** `/members` → every member, the PD leader (absent while there is none) and the cluster id (a uint64, as a string). */
export function parseMembers(value: unknown): PdMembers {
  const body = asObject(value, 'members answer');
  const header = body.header === undefined || body.header === null ? {} : asObject(body.header, 'header');
  const members = asArrayOrEmpty(body.members, 'members').flatMap((item, index) => parseMember(item, `members[${index}]`) ?? []);
  const result: PdMembers = { clusterId: optionalUint64String(header, 'cluster_id', 'header') ?? '', members };
  if (body.leader !== undefined && body.leader !== null) {
    const leader = parseMember(body.leader, 'leader');
    if (leader !== undefined) result.leader = leader;
  }
  return result;
}

/** `/health` → members with `healthy` set. */
export function parseHealth(value: unknown): PdMember[] {
  if (!Array.isArray(value)) throw new PdShapeError('health answer', 'an array', value);
  return value.flatMap((item, index) => {
    const where = `health[${index}]`;
    const member = parseMember(item, where);
    if (member === undefined) return [];
    member.healthy = optionalBoolean(asObject(item, where), 'health', where) ?? false;
    return [member];
  });
}

/** `/version` → PD's version with a leading `v` (`v8.5.0`). */
export function parseVersion(value: unknown): string {
  const body = asObject(value, 'version answer');
  const version = optionalString(body, 'version', 'version answer');
  if (version === undefined || version === '') throw new PdShapeError('version answer.version', 'a version', body.version);
  return version.startsWith('v') ? version : `v${version}`;
}

/** `/config/replicate`; booleans arrive as strings (`"true"`), `location-labels` as a comma-separated string. */
export function parseReplicationConfig(value: unknown): PdReplicationConfig {
  const where = 'replicate config';
  const body = asObject(value, where);
  const labels = body['location-labels'];
  let locationLabels: string[];
  if (typeof labels === 'string') locationLabels = labels.split(',').map((label) => label.trim()).filter((label) => label !== '');
  else locationLabels = optionalStringArray(body, 'location-labels', where);
  return {
    maxReplicas: requiredInteger(body, 'max-replicas', where),
    locationLabels,
    enablePlacementRules: optionalBoolean(body, 'enable-placement-rules', where) ?? false,
  };
}

/** `/config/schedule`, the fields kubectl-tikv reads (PD's defaults when an old PD lacks one). */
export function parseScheduleConfig(value: unknown): PdScheduleConfig {
  const where = 'schedule config';
  const body = asObject(value, where);
  return {
    leaderScheduleLimit: optionalInteger(body, 'leader-schedule-limit', where) ?? 4,
    maxStoreDownTime: optionalString(body, 'max-store-down-time', where) ?? '30m0s',
  };
}

function peerStoreId(value: unknown, where: string): number {
  return requiredInteger(asObject(value, where), 'store_id', where);
}

function parseRegion(value: unknown, where: string): RegionSummary {
  const region = asObject(value, where);
  const summary: RegionSummary = {
    regionId: requiredInteger(region, 'id', where),
    storeIds: asArrayOrEmpty(region.peers, `${where}.peers`).map((peer, index) => peerStoreId(peer, `${where}.peers[${index}]`)),
    downPeers: asArrayOrEmpty(region.down_peers, `${where}.down_peers`).map((item, index) => {
      const downWhere = `${where}.down_peers[${index}]`;
      const stats = asObject(item, downWhere);
      // PeerStats nests the peer under `peer`; accept a flattened peer as well.
      const peer = stats.peer === undefined || stats.peer === null ? stats : asObject(stats.peer, `${downWhere}.peer`);
      return { storeId: requiredInteger(peer, 'store_id', downWhere), downSeconds: optionalNumber(stats, 'down_seconds', downWhere) ?? 0 };
    }),
    pendingPeerStoreIds: asArrayOrEmpty(region.pending_peers, `${where}.pending_peers`).map((peer, index) =>
      peerStoreId(peer, `${where}.pending_peers[${index}]`),
    ),
  };
  if (region.leader !== undefined && region.leader !== null) {
    const leader = asObject(region.leader, `${where}.leader`);
    const leaderStoreId = optionalInteger(leader, 'store_id', `${where}.leader`);
    if (leaderStoreId !== undefined && leaderStoreId !== 0) summary.leaderStoreId = leaderStoreId;
  }
  return summary;
}

/** `/regions/check/<kind>` → `{count, regions}` (PD answers `{count, regions}`; a bare array is accepted too). */
export function parseRegionCheck(value: unknown): RegionCheck {
  const items = Array.isArray(value) ? value : asArrayOrEmpty(asObject(value, 'regions answer').regions, 'regions');
  const regions = items.map((item, index) => parseRegion(item, `regions[${index}]`));
  const count = Array.isArray(value) ? regions.length : (optionalInteger(value as JsonObject, 'count', 'regions answer') ?? regions.length);
  return { count, regions };
}

/** `/schedulers` → names (a JSON array; `null` when PD has none). */
export function parseSchedulerNames(value: unknown): string[] {
  return asArrayOrEmpty(value, 'schedulers answer').map((name, index) => {
    if (typeof name !== 'string') throw new PdShapeError(`schedulers[${index}]`, 'a string', name);
    return name;
  });
}

/** `/scheduler-config/evict-leader-scheduler/list` → the store ids in the scheduler (keys of `store-id-ranges`), ascending. */
export function parseEvictLeaderConfig(value: unknown): { storeIds: number[]; batch?: number } {
  const where = 'evict-leader-scheduler config';
  const body = asObject(value, where);
  const ranges = body['store-id-ranges'] === undefined || body['store-id-ranges'] === null ? {} : asObject(body['store-id-ranges'], `${where}.store-id-ranges`);
  const storeIds = Object.keys(ranges).map((key) => {
    const storeId = Number(key);
    if (!/^\d+$/.test(key) || !Number.isSafeInteger(storeId)) throw new PdShapeError(`${where}.store-id-ranges`, 'store ids as keys', key);
    return storeId;
  });
  storeIds.sort((a, b) => a - b);
  const batch = optionalInteger(body, 'batch', where);
  return batch === undefined ? { storeIds } : { storeIds, batch };
}
