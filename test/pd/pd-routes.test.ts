import assert from 'node:assert/strict';
import {
  PD_OWN_SCHEDULERS,
  checkStoreId,
  isEvictLeaderSchedulerName,
  isPdOwnScheduler,
  legacyEvictLeaderStoreId,
  pdRoutes,
} from '../../src/pd/pd-routes.ts';

describe('PD routes and scheduler names', () => {
  it('recognises both evict-leader naming schemes and nothing else', () => {
    assert.ok(isEvictLeaderSchedulerName('evict-leader-scheduler'));
    assert.ok(isEvictLeaderSchedulerName('evict-leader-scheduler-12'));
    for (const name of ['evict-slow-store-scheduler', 'evict-stopping-store-scheduler', 'evict-slow-trend-scheduler', 'evict-leader-scheduler-x', 'grant-leader-scheduler-1', 'evict-leader-scheduler-']) {
      assert.ok(!isEvictLeaderSchedulerName(name), name);
    }
  });

  it('reads the store id of a legacy per-store scheduler', () => {
    assert.equal(legacyEvictLeaderStoreId('evict-leader-scheduler-12'), 12);
    assert.equal(legacyEvictLeaderStoreId('evict-leader-scheduler'), undefined);
    assert.equal(legacyEvictLeaderStoreId('evict-leader-scheduler-99999999999999999999'), undefined);
  });

  it('counts PD\'s default schedulers as its own, never ours', () => {
    for (const name of ['balance-leader-scheduler', 'balance-region-scheduler', 'balance-hot-region-scheduler', 'evict-slow-store-scheduler', 'evict-stopping-store-scheduler']) {
      assert.ok(isPdOwnScheduler(name), name);
    }
    assert.ok(!isPdOwnScheduler('evict-leader-scheduler'));
    assert.ok(!PD_OWN_SCHEDULERS.some(isEvictLeaderSchedulerName));
  });

  it('builds the paths pd-api.md lists', () => {
    assert.equal(pdRoutes.stores(), '/pd/api/v1/stores');
    assert.equal(pdRoutes.stores({ includeTombstone: true }), '/pd/api/v1/stores?state=0&state=1&state=2');
    assert.equal(pdRoutes.store(4), '/pd/api/v1/store/4');
    assert.equal(pdRoutes.evictLeaderStore(4), '/pd/api/v1/schedulers/evict-leader-scheduler-4');
    assert.equal(pdRoutes.evictLeaderConfigList, '/pd/api/v1/scheduler-config/evict-leader-scheduler/list');
    assert.equal(pdRoutes.regionCheck('down-peer'), '/pd/api/v1/regions/check/down-peer');
    assert.equal(pdRoutes.storesCheck('down'), '/pd/api/v1/stores/check?state=down');
    assert.equal(pdRoutes.storeLeaderRegions(2), '/pd/api/v1/regions/store/2?type=leader');
    assert.equal(pdRoutes.ready, '/pd/api/v2/ready');
  });

  it('refuses store ids that are not non-negative integers before they reach a URL', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) {
      assert.throws(() => pdRoutes.store(bad), RangeError);
      assert.throws(() => checkStoreId(bad), RangeError);
    }
    assert.throws(() => pdRoutes.regionCheck('everything' as 'down-peer'), RangeError);
  });
});
