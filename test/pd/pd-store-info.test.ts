import assert from 'node:assert/strict';
import { PdShapeError } from '../../src/pd/pd-fields.ts';
import { parsePdJson } from '../../src/pd/pd-json.ts';
import { parseStoreInfo, parseStoresBody } from '../../src/pd/pd-store-info.ts';
import {
  STORES_EMPTY,
  STORES_V54,
  STORES_V85_ALL_STATES,
  STORES_V85_PREPARING,
  STORE_HEARTBEAT_AT_MS_EDGE,
  STORE_V85_RESTARTED,
  STORE_V85_UP,
} from './pd-fixtures.ts';

describe('PD StoreInfo parsing', () => {
  it('reads pd-api.md\'s v8.5 StoreInfo into a Store, a missing state key meaning Up', () => {
    assert.deepEqual(parseStoreInfo(parsePdJson(STORE_V85_UP)), {
      storeId: 1,
      address: 'basic-tikv-0.basic-tikv-peer.ns.svc:20160',
      statusAddress: 'basic-tikv-0.basic-tikv-peer.ns.svc:20180',
      version: '8.5.0',
      stateName: 'Up',
      nodeState: 'Serving',
      startTimestampSec: 1732000000,
      lastHeartbeatMs: 1732000123456,
      leaderCount: 150,
      regionCount: 300,
      labels: { zone: 'z1' },
      capacity: '1.819TiB',
      available: '1.2TiB',
      usedSize: '300GiB',
      uptime: '2m3.456s',
    });
  });

  it('reads a just-restarted store: no uptime, omitted leader_count as 0, optional status fields', () => {
    const store = parseStoreInfo(parsePdJson(STORE_V85_RESTARTED));
    assert.equal(store.uptime, undefined);
    assert.equal('uptime' in store, false);
    assert.equal(store.leaderCount, 0);
    assert.equal(store.regionCount, 280);
    assert.equal(store.startTimestampSec, 1732000600);
    assert.equal(store.version, '8.5.1');
    assert.equal(store.usedSize, '0B');
    assert.equal(store.slowScore, 80);
    assert.equal(store.isBusy, true);
    assert.equal(store.pendingPeerCount, 7);
    assert.deepEqual(store.labels, {});
  });

  it('divides last_heartbeat nanoseconds exactly, where a rounded JS number would land on the next millisecond', () => {
    // JSON.parse alone gives 1732000123457000000 (nearest double), i.e. the wrong millisecond.
    assert.equal(Math.floor((JSON.parse(STORE_HEARTBEAT_AT_MS_EDGE) as { store: { last_heartbeat: number } }).store.last_heartbeat / 1e6), 1732000123457);
    assert.equal(parseStoreInfo(parsePdJson(STORE_HEARTBEAT_AT_MS_EDGE)).lastHeartbeatMs, 1732000123456);
  });

  it('still reads last_heartbeat to the right order of magnitude when given an already-rounded number', () => {
    const store = parseStoreInfo(JSON.parse(STORE_V85_UP));
    assert.equal(store.lastHeartbeatMs, 1732000123456);
  });

  it('maps every computed state and the integer enums of Offline and Tombstone stores', () => {
    const stores = parseStoresBody(parsePdJson(STORES_V85_ALL_STATES));
    assert.deepEqual(
      stores.map((store) => [store.storeId, store.stateName, store.nodeState]),
      [
        [1, 'Up', 'Serving'],
        [2, 'Disconnected', 'Serving'],
        [3, 'Down', 'Serving'],
        [5, 'Offline', 'Removing'],
        [6, 'Tombstone', 'Removed'],
      ],
    );
    assert.equal(stores[2].leaderCount, 0);
    assert.equal(stores[4].version, '8.1.0');
  });

  it('reads node_state as absent on PD before v6.1 and falls back to the status timestamps', () => {
    const [withHeartbeat, neverSeen] = parseStoresBody(parsePdJson(STORES_V54));
    assert.equal(withHeartbeat.nodeState, undefined);
    assert.equal('nodeState' in withHeartbeat, false);
    assert.equal(withHeartbeat.lastHeartbeatMs, 1732000123456);
    assert.equal(neverSeen.storeId, 7);
    assert.equal(neverSeen.statusAddress, '');
    assert.equal(neverSeen.startTimestampSec, 0);
    assert.equal(neverSeen.lastHeartbeatMs, 0, "Go's zero time means never");
    assert.equal(neverSeen.leaderCount, 0);
  });

  it('reads an omitted node_state as Preparing when the same answer shows PD reports node_state', () => {
    const [serving, preparing] = parseStoresBody(parsePdJson(STORES_V85_PREPARING));
    assert.equal(serving.nodeState, 'Serving');
    assert.equal(preparing.nodeState, 'Preparing');
  });

  it('reads an omitted node_state of a lone v6.1+ store as Preparing and of an older store as absent', () => {
    const lone = parsePdJson(STORES_V85_PREPARING) as { stores: unknown[] };
    assert.equal(parseStoreInfo(lone.stores[1]).nodeState, 'Preparing');
    const old = parsePdJson(STORES_V54) as { stores: unknown[] };
    assert.equal(parseStoreInfo(old.stores[0]).nodeState, undefined);
  });

  it('reads Go\'s nil slice of stores as no stores', () => {
    assert.deepEqual(parseStoresBody(parsePdJson(STORES_EMPTY)), []);
  });

  it('derives the state from the integer enum when state_name is missing', () => {
    const info = { store: { id: 3, address: 'a:20160', state: 1 }, status: {} };
    assert.equal(parseStoreInfo(info).stateName, 'Offline');
    assert.equal(parseStoreInfo({ store: { id: 3, address: 'a:20160' } }).stateName, 'Up');
  });

  it('strips a leading v from the store version', () => {
    assert.equal(parseStoreInfo({ store: { id: 1, version: 'v7.5.1', state_name: 'Up' } }).version, '7.5.1');
  });

  it('rejects a state_name PD never sends, naming the field', () => {
    assert.throws(
      () => parseStoreInfo({ store: { id: 1, state_name: 'Serving' } }, { where: 'stores[0]' }),
      (error: unknown) => error instanceof PdShapeError && /stores\[0\]\.store\.state_name/.test(error.message) && /"Serving"/.test(error.message),
    );
  });

  it('rejects a StoreInfo without a store id', () => {
    assert.throws(() => parseStoreInfo({ store: { address: 'x:1' } }), PdShapeError);
    assert.throws(() => parseStoreInfo({ status: {} }), PdShapeError);
  });
});
