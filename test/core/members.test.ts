import assert from 'node:assert/strict';
import { comparePodNames, mapMembers, podNameOfAddress, podOrdinal } from '../../src/core/members.ts';
import { aPod, aStore } from './builders.ts';

describe('core/members', () => {
  describe('podNameOfAddress', () => {
    const cases: [string, string | undefined][] = [
      ['basic-tikv-0.basic-tikv-peer.ns.svc:20160', 'basic-tikv-0'],
      ['basic-tikv-0.basic-tikv-peer.ns.svc.cluster.local:20160', 'basic-tikv-0'],
      ['basic-tikv-0.basic-tikv-peer.ns:20160', 'basic-tikv-0'],
      ['basic-tikv-0.basic-tikv-peer:20160', 'basic-tikv-0'],
      ['basic-tikv-0.basic-tikv-peer.other.svc:20160', undefined],
      ['10.0.0.7:20160', undefined],
      ['tikv-0:20160', undefined],
    ];
    for (const [address, pod] of cases) {
      it(`reads ${address} as ${pod ?? 'no pod of namespace ns'}`, () => {
        assert.equal(podNameOfAddress(address, 'ns'), pod);
      });
    }
  });

  it('joins pods to stores by address and sorts pods naturally', () => {
    const stores = [1, 2, 11].map((storeId) => aStore({ storeId }));
    const candidates = ['basic-tikv-10', 'basic-tikv-0', 'basic-tikv-1'].map((name) => ({ podName: name, pod: aPod({ name }), storeIdClaims: [] }));
    const { members, conflicts, orphanStores } = mapMembers(candidates, stores, 'ns');
    assert.deepEqual(members.map((m) => [m.podName, m.store?.storeId]), [['basic-tikv-0', 1], ['basic-tikv-1', 2], ['basic-tikv-10', 11]]);
    assert.deepEqual(conflicts, []);
    assert.deepEqual(orphanStores, []);
  });

  it('ignores the tombstone a replaced pod left behind', () => {
    const stores = [aStore({ storeId: 1, stateName: 'Tombstone' }), aStore({ storeId: 7, address: 'basic-tikv-0.basic-tikv-peer.ns.svc:20160' })];
    const { members, conflicts } = mapMembers([{ podName: 'basic-tikv-0', storeIdClaims: [{ storeId: 7, source: 'label tidb.pingcap.com/store-id' }] }], stores, 'ns');
    assert.equal(members[0].store?.storeId, 7);
    assert.deepEqual(conflicts, []);
  });

  it('reports a conflict when the topology names another store than PD', () => {
    const { conflicts } = mapMembers([{ podName: 'basic-tikv-0', storeIdClaims: [{ storeId: 5, source: 'TiKV basic-tikv-abc status.id' }] }], [aStore({ storeId: 1 })], 'ns');
    assert.equal(conflicts.length, 1);
    assert.match(conflicts[0].reason, /TiKV basic-tikv-abc status.id says pod basic-tikv-0 is store 5, but PD's store for its address is 1/);
  });

  it('reports a conflict when the claimed store has another address', () => {
    const { members, conflicts } = mapMembers([{ podName: 'basic-tikv-9', storeIdClaims: [{ storeId: 1, source: 'label' }] }], [aStore({ storeId: 1 })], 'ns');
    assert.equal(members[0].store, undefined);
    assert.match(conflicts[0].reason, /store 1, but that store's address is basic-tikv-0/);
  });

  it('reports two live stores for one pod as a conflict', () => {
    const stores = [aStore({ storeId: 1 }), aStore({ storeId: 4, address: 'basic-tikv-0.basic-tikv-peer.ns.svc:20160', stateName: 'Offline' })];
    const { members, conflicts } = mapMembers([{ podName: 'basic-tikv-0', storeIdClaims: [] }], stores, 'ns');
    assert.equal(members[0].store, undefined);
    assert.match(conflicts[0].reason, /2 live stores for pod basic-tikv-0 \(1, 4\)/);
  });

  it('lists stores that belong to no pod of the cluster', () => {
    const { orphanStores } = mapMembers([{ podName: 'basic-tikv-0', storeIdClaims: [] }], [aStore({ storeId: 1 }), aStore({ storeId: 2 })], 'ns');
    assert.deepEqual(orphanStores.map((s) => s.storeId), [2]);
  });

  it('reads ordinals and compares pod names naturally', () => {
    assert.equal(podOrdinal('basic-tikv-12'), 12);
    assert.equal(podOrdinal('tikv-abcdef'), undefined);
    assert.ok(comparePodNames('tikv-2', 'tikv-10') < 0);
  });
});
