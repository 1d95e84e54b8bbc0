import assert from 'node:assert/strict';
import {
  parseEvictLeaderConfig,
  parseHealth,
  parseMembers,
  parseRegionCheck,
  parseReplicationConfig,
  parseScheduleConfig,
  parseSchedulerNames,
  parseVersion,
} from '../../src/pd/pd-answers.ts';
import { parseByteSize } from '../../src/pd/pd-byte-size.ts';
import { PdShapeError } from '../../src/pd/pd-fields.ts';
import { parsePdJson } from '../../src/pd/pd-json.ts';
import {
  DOWN_PEER_REGIONS,
  EVICT_LIST_V75,
  EVICT_LIST_V83,
  HEALTH_V85,
  MEMBERS_NO_LEADER,
  MEMBERS_V85,
  NO_REGIONS,
  REPLICATE_NO_LABELS,
  REPLICATE_V85,
  SCHEDULERS_V30_LEGACY,
  SCHEDULE_V85,
  VERSION_V85,
} from './pd-fixtures.ts';

describe('PD answers parsing', () => {
  it('reads /members with uint64 cluster and member ids exactly and the leader', () => {
    const members = parseMembers(parsePdJson(MEMBERS_V85));
    assert.equal(members.clusterId, '7321654987123456789');
    assert.deepEqual(
      members.members.map((member) => [member.name, member.memberId]),
      [
        ['basic-pd-0', '13261822446467651241'],
        ['basic-pd-1', '4811392741650371537'],
      ],
    );
    assert.deepEqual(members.leader, {
      name: 'basic-pd-1',
      memberId: '4811392741650371537',
      clientUrls: ['http://basic-pd-1.basic-pd-peer.ns.svc:2379'],
      peerUrls: ['http://basic-pd-1.basic-pd-peer.ns.svc:2380'],
      binaryVersion: 'v8.5.0',
    });
  });

  it('reads /members without a leader as no leader, and omitted fields as empty', () => {
    const members = parseMembers(parsePdJson(MEMBERS_NO_LEADER));
    assert.equal(members.leader, undefined);
    assert.deepEqual(members.members[0].peerUrls, []);
    assert.equal(members.members[0].binaryVersion, '');
    assert.equal(parseMembers({ members: [], leader: {} }).leader, undefined);
  });

  it('reads /health with each member\'s health', () => {
    assert.deepEqual(
      parseHealth(parsePdJson(HEALTH_V85)).map((member) => [member.name, member.memberId, member.healthy]),
      [
        ['basic-pd-0', '13261822446467651241', true],
        ['basic-pd-1', '4811392741650371537', false],
      ],
    );
  });

  it('reads /version with a leading v, adding it when an old PD leaves it out', () => {
    assert.equal(parseVersion(parsePdJson(VERSION_V85)), 'v8.5.0');
    assert.equal(parseVersion({ version: '4.0.16' }), 'v4.0.16');
    assert.throws(() => parseVersion({ version: '' }), PdShapeError);
  });

  it('reads /config/replicate string booleans and comma-separated labels', () => {
    assert.deepEqual(parseReplicationConfig(parsePdJson(REPLICATE_V85)), {
      maxReplicas: 3,
      locationLabels: ['zone', 'host'],
      enablePlacementRules: true,
    });
    assert.deepEqual(parseReplicationConfig(parsePdJson(REPLICATE_NO_LABELS)), {
      maxReplicas: 1,
      locationLabels: [],
      enablePlacementRules: false,
    });
    assert.throws(() => parseReplicationConfig({ 'max-replicas': 3, 'enable-placement-rules': 'yes' }), PdShapeError);
  });

  it('reads /config/schedule', () => {
    assert.deepEqual(parseScheduleConfig(parsePdJson(SCHEDULE_V85)), { leaderScheduleLimit: 4, maxStoreDownTime: '30m0s' });
  });

  it('reads non-indented /regions/check bodies with down and pending peers', () => {
    const check = parseRegionCheck(parsePdJson(DOWN_PEER_REGIONS));
    assert.equal(check.count, 2);
    assert.deepEqual(check.regions[0], {
      regionId: 1001,
      storeIds: [1, 2, 3],
      leaderStoreId: 1,
      downPeers: [{ storeId: 3, downSeconds: 1860 }],
      pendingPeerStoreIds: [2],
    });
    assert.equal(check.regions[1].leaderStoreId, undefined, 'a region without a leader');
    assert.deepEqual(check.regions[1].storeIds, [3, 2, 1]);
    assert.deepEqual(parseRegionCheck(parsePdJson(NO_REGIONS)), { count: 0, regions: [] });
  });

  it('reads scheduler names and rejects a non-string', () => {
    assert.deepEqual(parseSchedulerNames(parsePdJson(SCHEDULERS_V30_LEGACY)).length, 6);
    assert.deepEqual(parseSchedulerNames(null), []);
    assert.throws(() => parseSchedulerNames([1]), PdShapeError);
  });

  it('reads the evict-leader scheduler\'s stores with and without batch, ascending', () => {
    assert.deepEqual(parseEvictLeaderConfig(parsePdJson(EVICT_LIST_V83)), { storeIds: [3, 12], batch: 3 });
    assert.deepEqual(parseEvictLeaderConfig(parsePdJson(EVICT_LIST_V75)), { storeIds: [2] });
    assert.throws(() => parseEvictLeaderConfig({ 'store-id-ranges': { x: [] } }), PdShapeError);
  });
});

describe('PD byte sizes', () => {
  it('reads PD\'s human sizes in binary units', () => {
    assert.equal(parseByteSize('0B'), 0);
    assert.equal(parseByteSize('300GiB'), 300 * 2 ** 30);
    assert.equal(parseByteSize('1.819TiB'), Math.round(1.819 * 2 ** 40));
    assert.equal(parseByteSize('512MB'), 512 * 2 ** 20);
    assert.equal(parseByteSize('2k'), 2048);
    assert.equal(parseByteSize('17'), 17);
  });

  it('refuses what is not a size', () => {
    assert.equal(parseByteSize('lots'), undefined);
    assert.equal(parseByteSize('5i'), undefined);
    assert.equal(parseByteSize(''), undefined);
  });
});
