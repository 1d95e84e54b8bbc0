import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { startPdCluster, type RunningPdCluster } from './start-pd-cluster.ts';

/** A raw answer: status, content type and body bytes as text. */
interface Raw {
  status: number;
  type: string | null;
  body: string;
}

async function raw(base: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Raw> {
  const response = await fetch(base + path, {
    method: init.method ?? 'GET',
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    headers: init.body === undefined ? undefined : { 'Content-Type': 'application/json' },
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

const JSON_TYPE = 'application/json; charset=UTF-8';

function assertIndentedJson(answer: Raw): void {
  assert.equal(answer.type, JSON_TYPE);
  assert.ok(answer.body.endsWith('\n'), 'PD ends JSON with a newline');
  const lines = answer.body.split('\n');
  if (lines.length > 2) assert.match(lines[1], /^ {2}\S/, 'two-space indentation');
}

function addEvict(base: string, storeId: unknown): Promise<Raw> {
  return raw(base, '/pd/api/v1/schedulers', { method: 'POST', body: { name: 'evict-leader-scheduler', store_id: storeId } });
}

function removeEvict(base: string, storeId: number): Promise<Raw> {
  return raw(base, `/pd/api/v1/schedulers/evict-leader-scheduler-${storeId}`, { method: 'DELETE' });
}

describe('PD simulator HTTP contract (pd-api.md)', function () {
  this.timeout(20_000);

  describe('v8.5.0', () => {
    let c: RunningPdCluster;
    let base: string;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'v8.5.0', stores: 4 });
      base = c.url();
    });
    after(() => c.stop());

    it('renders /stores as indented JSON with integer enums omitted at zero and state_name computed', async () => {
      const answer = await raw(base, '/pd/api/v1/stores');
      assert.equal(answer.status, 200);
      assertIndentedJson(answer);
      const parsed = JSON.parse(answer.body) as { count: number; stores: { store: Record<string, unknown>; status: Record<string, unknown> }[] };
      assert.equal(parsed.count, 4);
      for (const s of parsed.stores) {
        assert.equal('state' in s.store, false, 'an Up store has no "state" key');
        assert.equal(s.store.state_name, 'Up');
        assert.equal(s.store.node_state, 1);
        assert.match(String(s.store.address), /^basic-tikv-\d\.basic-tikv-peer\.sim\.svc:20160$/);
        assert.match(String(s.store.status_address), /:20180$/);
        assert.equal(s.store.version, '8.5.0');
        assert.match(String(s.store.start_timestamp), /^\d{10}$/, 'start_timestamp is in seconds');
        assert.match(String(s.status.capacity), /^\d+(\.\d+)?[KMGTP]?i?B$/);
        assert.equal(typeof s.status.leader_count, 'number');
        assert.equal(s.status.region_count, 60);
      }
      // last_heartbeat is nanoseconds beyond 2^53: the raw digits must be all there.
      const heartbeats = [...answer.body.matchAll(/"last_heartbeat": (\d+),/g)].map((m) => m[1]);
      assert.equal(heartbeats.length, 4);
      for (const h of heartbeats) {
        assert.equal(h.length, 19);
        assert.ok(BigInt(h) > BigInt(Number.MAX_SAFE_INTEGER));
      }
    });

    it('hides Tombstone stores by default and shows them for state=2', async () => {
      const victim = c.pd.storeOfPod(c.tikvPodName(3))!;
      const removed = await raw(base, `/pd/api/v1/store/${victim.storeId}`, { method: 'DELETE' });
      assert.equal(removed.status, 200);
      assert.equal(removed.body, '"The store is set as Offline."\n');
      const all = JSON.parse((await raw(base, '/pd/api/v1/stores')).body) as { count: number };
      assert.equal(all.count, 3);
      const tomb = JSON.parse((await raw(base, '/pd/api/v1/stores?state=2')).body) as { stores: { store: Record<string, unknown> }[] };
      assert.deepEqual(tomb.stores.map((s) => [s.store.id, s.store.state, s.store.state_name, s.store.node_state]), [[victim.storeId, 2, 'Tombstone', 3]]);
      const single = JSON.parse((await raw(base, `/pd/api/v1/store/${victim.storeId}`)).body) as { store: Record<string, unknown> };
      assert.equal(single.store.state_name, 'Tombstone');
      const both = JSON.parse((await raw(base, '/pd/api/v1/stores?state=0&state=2')).body) as { count: number };
      assert.equal(both.count, 4);
    });

    it('answers a non-integer state with 500 and Go\'s strconv message', async () => {
      const answer = await raw(base, '/pd/api/v1/stores?state=up');
      assert.equal(answer.status, 500);
      assert.equal(answer.body, '"strconv.Atoi: parsing \\"up\\": invalid syntax"\n');
    });

    it('filters /stores/check by computed state name, case-insensitively', async () => {
      const up = JSON.parse((await raw(base, '/pd/api/v1/stores/check?state=UP')).body) as { count: number };
      assert.equal(up.count, 3);
      const tomb = JSON.parse((await raw(base, '/pd/api/v1/stores/check?state=tombstone')).body) as { count: number };
      assert.equal(tomb.count, 1);
      const bad = await raw(base, '/pd/api/v1/stores/check?state=sleepy');
      assert.equal(bad.status, 400);
      assert.equal(bad.body, '"unknown StoreState: sleepy"\n');
    });

    it('answers an unknown store with 404 and the coded message', async () => {
      const answer = await raw(base, '/pd/api/v1/store/99');
      assert.equal(answer.status, 404);
      assertIndentedJson(answer);
      assert.equal(answer.body, '"[PD:core:ErrStoreNotFound]store 99 not found"\n');
    });

    it('lists the default schedulers of v8.5.0, in no particular order', async () => {
      const answer = await raw(base, '/pd/api/v1/schedulers');
      assertIndentedJson(answer);
      assert.deepEqual((JSON.parse(answer.body) as string[]).sort(), [
        'balance-hot-region-scheduler',
        'balance-leader-scheduler',
        'balance-region-scheduler',
        'evict-slow-store-scheduler',
      ]);
    });

    it('adds stores to the one evict-leader scheduler with the v8 messages and lists them with batch', async () => {
      const [a, b] = c.pd.storeViews().filter((s) => s.stateName === 'Up');
      assert.equal((await addEvict(base, a.storeId)).body, '"The scheduler is created."\n');
      assert.equal((await addEvict(base, b.storeId)).body, '"The scheduler has been applied to the store."\n');
      const again = await addEvict(base, a.storeId);
      assert.equal(again.status, 200);
      assert.equal(again.body, '"The scheduler has been applied to the store."\n');
      const names = JSON.parse((await raw(base, '/pd/api/v1/schedulers')).body) as string[];
      assert.equal(names.filter((n) => n.startsWith('evict-leader')).length, 1);
      const list = await raw(base, '/pd/api/v1/scheduler-config/evict-leader-scheduler/list');
      assert.equal(list.status, 200);
      assertIndentedJson(list);
      const ids = [a.storeId, b.storeId].map(String).sort();
      const expected = `{\n  "store-id-ranges": {\n${ids.map((id) => `    "${id}": [\n      {\n        "start-key": "",\n        "end-key": ""\n      }\n    ]`).join(',\n')}\n  },\n  "batch": 3\n}\n`;
      assert.equal(list.body, expected);
    });

    it('rejects an unknown store: 500 with the coded message, double-encoded once the scheduler exists', async () => {
      const answer = await addEvict(base, 99);
      assert.equal(answer.status, 500);
      assert.equal(answer.body, '"\\"[PD:core:ErrStoreNotFound]store 99 not found\\"\\n"\n');
      const badId = await addEvict(base, '1');
      assert.equal(badId.status, 400);
      assert.equal(badId.body, '"missing store id"\n');
    });

    it('removes one store with a null body, the last one removes the scheduler, and 404 null when absent', async () => {
      const ids = c.pd.evictLeaderStoreIds();
      assert.equal(ids.length, 2);
      const first = await removeEvict(base, ids[0]);
      assert.equal(first.status, 200);
      assert.equal(first.type, JSON_TYPE);
      assert.equal(first.body, 'null\n');
      const again = await removeEvict(base, ids[0]);
      assert.equal(again.status, 404);
      assert.equal(again.body, 'null\n');
      assert.equal((await removeEvict(base, ids[1])).body, 'null\n');
      assert.equal((JSON.parse((await raw(base, '/pd/api/v1/schedulers')).body) as string[]).includes('evict-leader-scheduler'), false);
      const none = await removeEvict(base, ids[1]);
      assert.equal(none.status, 404);
      assert.equal(none.body, 'null\n');
    });

    it('answers scheduler-config of a missing scheduler with Go\'s plain-text 404', async () => {
      const answer = await raw(base, '/pd/api/v1/scheduler-config/evict-leader-scheduler/list');
      assert.equal(answer.status, 404);
      assert.equal(answer.type, 'text/plain; charset=utf-8');
      assert.equal(answer.body, '404 page not found\n');
    });

    it('does not check that the store is Up before adding it', async () => {
      const tomb = c.pd.storeViews().find((s) => s.stateName === 'Tombstone')!;
      const stopped = c.pd.storeOfPod(c.tikvPodName(2))!;
      c.tikvs[2].kill();
      assert.equal(c.pd.storeView(stopped.storeId)!.running, false);
      assert.equal((await addEvict(base, stopped.storeId)).status, 200);
      assert.equal((await addEvict(base, tomb.storeId)).status, 200);
      assert.deepEqual(c.pd.evictLeaderStoreIds(), [stopped.storeId, tomb.storeId].sort((x, y) => x - y));
      assert.equal((await removeEvict(base, stopped.storeId)).status, 200);
      assert.equal((await removeEvict(base, tomb.storeId)).status, 200);
    });

    it('renders members, health, leader and version with uint64 ids as raw numbers', async () => {
      const members = await raw(base, '/pd/api/v1/members');
      assertIndentedJson(members);
      assert.match(members.body, /"cluster_id": \d{17,20}\n/);
      assert.match(members.body, /"member_id": \d{17,20},/);
      const parsed = JSON.parse(members.body) as { members: { name: string; binary_version: string }[]; leader: { name: string } };
      assert.deepEqual(parsed.members.map((m) => m.name), ['basic-pd-0']);
      assert.equal(parsed.members[0].binary_version, 'v8.5.0');
      assert.equal(parsed.leader.name, 'basic-pd-0');
      const health = JSON.parse((await raw(base, '/pd/api/v1/health')).body) as { name: string; health: boolean; client_urls: string[] }[];
      assert.deepEqual(health.map((h) => [h.name, h.health, h.client_urls]), [['basic-pd-0', true, ['http://basic-pd-0.basic-pd-peer.sim.svc:2379']]]);
      assert.equal((await raw(base, '/pd/health')).status, 200);
      const ping = await raw(base, '/pd/api/v1/ping');
      assert.deepEqual([ping.status, ping.body], [200, '']);
      assert.equal((await raw(base, '/pd/api/v1/version')).body, '{\n  "version": "v8.5.0",\n  "build_time": "",\n  "hash": "",\n  "branch": ""\n}\n');
      const leader = JSON.parse((await raw(base, '/pd/api/v1/leader')).body) as { name: string };
      assert.equal(leader.name, 'basic-pd-0');
    });

    it('renders cluster status and config with string booleans', async () => {
      const status = JSON.parse((await raw(base, '/pd/api/v1/cluster/status')).body) as Record<string, unknown>;
      assert.match(String(status.raft_bootstrap_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(status.is_initialized, true);
      const replicate = JSON.parse((await raw(base, '/pd/api/v1/config/replicate')).body) as Record<string, unknown>;
      assert.equal(replicate['max-replicas'], 3);
      assert.equal(replicate['enable-placement-rules'], 'true');
      assert.equal(replicate['strictly-match-label'], 'false');
      const schedule = JSON.parse((await raw(base, '/pd/api/v1/config/schedule')).body) as Record<string, unknown>;
      assert.equal(schedule['leader-schedule-limit'], 4);
      assert.equal(schedule['max-store-down-time'], '30m0s');
    });

    it('serves region checks as compact easyjson with application/octet-stream', async () => {
      const answer = await raw(base, '/pd/api/v1/regions/check/miss-peer');
      assert.equal(answer.status, 200);
      assert.equal(answer.type, 'application/octet-stream');
      assert.equal(answer.body, '{"count":0,"regions":[]}');
      const busiest = c.pd.storeViews().sort((x, y) => y.pdLeaderCount - x.pdLeaderCount)[0];
      assert.ok(busiest.pdLeaderCount > 0);
      const leaders = await raw(base, `/pd/api/v1/regions/store/${busiest.storeId}?type=leader`);
      assert.equal((JSON.parse(leaders.body) as { count: number }).count, busiest.pdLeaderCount);
      assert.match(leaders.body, /^\{"count":\d+,"regions":\[\{"id":\d+,"start_key":"[0-9A-F]*","end_key":"[0-9A-F]*","epoch":\{"conf_ver":\d+,"version":\d+\},"peers":\[\{"role_name":"Voter","id":\d+,"store_id":\d+\}/);
    });

    it('has no /pd/api/v2/ready before v8.5.2 (gin\'s 404)', async () => {
      const answer = await raw(base, '/pd/api/v2/ready');
      assert.deepEqual([answer.status, answer.type, answer.body], [404, 'text/plain', '404 page not found']);
    });

    it('answers unknown routes with Go\'s 404', async () => {
      const answer = await raw(base, '/pd/api/v1/nope');
      assert.deepEqual([answer.status, answer.body], [404, '404 page not found\n']);
    });
  });

  describe('v7.5.0', () => {
    let c: RunningPdCluster;
    let base: string;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'v7.5.0', stores: 3 });
      base = c.url();
    });
    after(() => c.stop());

    it('lists the v7.5 default schedulers, witness ones included', async () => {
      assert.deepEqual((JSON.parse((await raw(base, '/pd/api/v1/schedulers')).body) as string[]).sort(), [
        'balance-hot-region-scheduler',
        'balance-leader-scheduler',
        'balance-region-scheduler',
        'balance-witness-scheduler',
        'transfer-witness-leader-scheduler',
      ]);
    });

    it('says "The scheduler is created." for every add and lists no batch', async () => {
      const [a, b] = c.pd.storeViews();
      assert.equal((await addEvict(base, a.storeId)).body, '"The scheduler is created."\n');
      assert.equal((await addEvict(base, b.storeId)).body, '"The scheduler is created."\n');
      const list = JSON.parse((await raw(base, '/pd/api/v1/scheduler-config/evict-leader-scheduler/list')).body) as Record<string, unknown>;
      assert.equal('batch' in list, false);
      assert.deepEqual(Object.keys(list['store-id-ranges'] as object).sort(), [a.storeId, b.storeId].map(String).sort());
    });

    it('appends a second JSON string to the body of a failed add', async () => {
      const answer = await addEvict(base, 99);
      assert.equal(answer.status, 500);
      assert.equal(answer.body, '"\\"[PD:core:ErrStoreNotFound]store 99 not found\\"\\n"\n"The scheduler is created."\n');
      for (const s of c.pd.evictLeaderStoreIds()) assert.equal((await removeEvict(base, s)).body, 'null\n');
      const first = await addEvict(base, 98);
      assert.equal(first.body, '"[PD:core:ErrStoreNotFound]store 98 not found"\n"The scheduler is created."\n');
    });

    it('serves /stores/check and omits zero optional status fields', async () => {
      const answer = await raw(base, '/pd/api/v1/stores/check?state=up');
      assert.equal(answer.status, 200);
      assert.doesNotMatch(answer.body, /pending_peer_count|is_busy|learner_count/);
      assert.match(answer.body, /"slow_score": 1,/);
    });

    it('answers with no leader at once: 503 "no leader" as plain text, and elects again when allowed', async () => {
      c.pd.faults.noPdLeader = true;
      const resetAt = Date.now();
      try {
        const answer = await raw(base, '/pd/api/v1/stores');
        assert.deepEqual([answer.status, answer.type, answer.body], [503, 'text/plain; charset=utf-8', 'no leader\n']);
      } finally {
        c.pd.faults.noPdLeader = false;
      }
      await c.history.waitFor((e) => e.type === 'pd-leader' && e.data.name !== null && e.at >= resetAt);
      assert.equal((await raw(base, '/pd/api/v1/stores')).status, 200);
    });
  });

  describe('v8.5.5', () => {
    let c: RunningPdCluster;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'v8.5.5', stores: 3 });
    });
    after(() => c.stop());

    it('adds evict-stopping-store-scheduler to the defaults and serves /pd/api/v2/ready', async () => {
      const names = JSON.parse((await raw(c.url(), '/pd/api/v1/schedulers')).body) as string[];
      assert.ok(names.includes('evict-stopping-store-scheduler'));
      const ready = await raw(c.url(), '/pd/api/v2/ready');
      assert.deepEqual([ready.status, ready.body], [200, '']);
      const verbose = await raw(c.url(), '/pd/api/v2/ready?verbose');
      assert.equal(verbose.body, '{\n    "region_loaded": true\n}');
      c.pd.faults.regionsNotLoaded = true;
      assert.equal((await raw(c.url(), '/pd/api/v2/ready')).status, 500);
      c.pd.faults.regionsNotLoaded = false;
    });

    it('waits for a leader, then answers 503 with the coded message', async () => {
      c.pd.faults.noPdLeader = true;
      try {
        const answer = await raw(c.url(), '/pd/api/v1/schedulers');
        assert.deepEqual([answer.status, answer.body], [503, '[PD:apiutil:ErrRedirectNoLeader]redirect finds no leader\n']);
      } finally {
        c.pd.faults.noPdLeader = false;
      }
    });
  });

  describe('master', () => {
    let c: RunningPdCluster;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'master', stores: 3 });
    });
    after(() => c.stop());

    it('answers an unknown first store with 400 and shows pause_leader_transfer_in on an evicted store', async () => {
      const first = await addEvict(c.url(), 99);
      assert.deepEqual([first.status, first.body], [400, '"[PD:core:ErrStoreNotFound]store 99 not found"\n']);
      const bad = await addEvict(c.url(), '1');
      assert.equal(bad.body, '"please input a right store id"\n');
      const s = c.pd.storeViews()[0];
      assert.equal((await addEvict(c.url(), s.storeId)).status, 200);
      assert.match((await raw(c.url(), `/pd/api/v1/store/${s.storeId}`)).body, /"pause_leader_transfer_in": true/);
      assert.equal((JSON.parse((await raw(c.url(), '/pd/api/v1/version')).body) as { version: string }).version, 'v9.0.0-alpha');
    });
  });

  describe('v6.5.0', () => {
    let c: RunningPdCluster;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'v6.5.0', stores: 3, timing: { maxPeerDownMs: 1_000 } });
    });
    after(() => c.stop());

    it('has no /stores/check and plain messages for unknown stores', async () => {
      const check = await raw(c.url(), '/pd/api/v1/stores/check?state=up');
      assert.deepEqual([check.status, check.body], [404, '404 page not found\n']);
      assert.equal((await raw(c.url(), '/pd/api/v1/store/99')).body, '"store 99 not found"\n');
    });

    it('renders regions as indented JSON with down peers once a store is stopped long enough', async () => {
      const victim = c.pd.storeOfPod(c.tikvPodName(1))!;
      c.tikvs[1].kill();
      await c.clock.sleep(1_500);
      const answer = await raw(c.url(), '/pd/api/v1/regions/check/down-peer');
      assert.equal(answer.type, JSON_TYPE);
      const parsed = JSON.parse(answer.body) as { count: number; regions: { down_peers: { peer: { store_id: number }; down_seconds?: number }[] }[] };
      assert.equal(parsed.count, 60);
      assert.ok(parsed.regions.every((r) => r.down_peers.length === 1 && r.down_peers[0].peer.store_id === victim.storeId));
      assert.match(answer.body, /"down_peers": \[\n {8}\{\n {10}"peer": \{/);
    });
  });

  describe('v5.0.0', () => {
    let c: RunningPdCluster;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'v5.0.0', stores: 3 });
    });
    after(() => c.stop());

    it('says "The scheduler is removed." and 404s with the coded not-found message', async () => {
      const s = c.pd.storeViews()[0];
      assert.equal((await addEvict(c.url(), s.storeId)).body, '"The scheduler is created."\n');
      assert.equal((await removeEvict(c.url(), s.storeId)).body, '"The scheduler is removed."\n');
      const again = await removeEvict(c.url(), s.storeId);
      assert.deepEqual([again.status, again.body], [404, '"[PD:scheduler:ErrSchedulerNotFound]scheduler not found"\n']);
    });
  });

  describe('v3.0.0 (legacy per-store evict-leader schedulers)', () => {
    let c: RunningPdCluster;
    before(async () => {
      c = await startPdCluster({ pdVersion: 'v3.0.0', stores: 3 });
    });
    after(() => c.stop());

    it('creates evict-leader-scheduler-<id>, refuses a second add and removes it with null', async () => {
      const s = c.pd.storeViews()[0];
      const added = await addEvict(c.url(), s.storeId);
      assert.deepEqual([added.status, added.body], [200, 'null\n']);
      const names = JSON.parse((await raw(c.url(), '/pd/api/v1/schedulers')).body) as string[];
      assert.ok(names.includes(`evict-leader-scheduler-${s.storeId}`));
      assert.ok(!names.includes('evict-leader-scheduler'));
      const twice = await addEvict(c.url(), s.storeId);
      assert.deepEqual([twice.status, twice.body], [500, '"scheduler existed"\n']);
      assert.equal((await raw(c.url(), '/pd/api/v1/scheduler-config/evict-leader-scheduler/list')).status, 404);
      const removed = await removeEvict(c.url(), s.storeId);
      assert.deepEqual([removed.status, removed.body], [200, 'null\n']);
      const gone = await removeEvict(c.url(), s.storeId);
      assert.deepEqual([gone.status, gone.body], [500, '"scheduler not found"\n']);
      assert.equal((await addEvict(c.url(), 99)).body, '"store 99 not found"\n');
    });

    it('omits every zero status field, leader_count included', async () => {
      const s = c.pd.storeViews()[0];
      await c.pd.waitUntilSettled();
      assert.ok(c.pd.storeView(s.storeId)!.pdLeaderCount > 0);
      const since = Date.now();
      c.pd.addEvictLeader(s.storeId);
      await c.history.waitFor((e) => e.type === 'store-leaders-zero' && e.data.storeId === s.storeId && e.data.view === 'pd' && e.at >= since);
      const answer = await raw(c.url(), `/pd/api/v1/store/${s.storeId}`);
      assert.doesNotMatch(answer.body, /leader_count/);
      assert.match(answer.body, /"region_count": 60/);
      assert.doesNotMatch(answer.body, /node_state|used_size/);
      assert.equal((await raw(c.url(), '/pd/api/v1/version')).body, '{\n  "version": "v3.0.0"\n}\n');
      assert.equal((await raw(c.url(), '/pd/api/v1/store/99')).status, 500);
    });
  });

  describe('region health checks', () => {
    let c: RunningPdCluster | undefined;
    after(() => c?.stop());

    it('lists miss-peer regions when there are fewer stores than max-replicas, and pending peers after a restart', async () => {
      c = await startPdCluster({ stores: 1, regionsPerStore: 12 });
      const miss = JSON.parse((await raw(c.url(), '/pd/api/v1/regions/check/miss-peer')).body) as { count: number };
      assert.equal(miss.count, 12);
      await c.stop();
      c = await startPdCluster({ stores: 3, regionsPerStore: 12 });
      const store = c.pd.storeOfPod(c.tikvPodName(0))!;
      await c.tikvs[0].terminate();
      const since = Date.now();
      await c.startTikv(0);
      await c.history.waitFor((e) => e.type === 'store-running' && e.data.storeId === store.storeId && e.at >= since);
      const pending = JSON.parse((await raw(c.url(), '/pd/api/v1/regions/check/pending-peer')).body) as {
        count: number;
        regions: { pending_peers: { store_id: number }[] }[];
      };
      assert.equal(pending.count, 12);
      assert.ok(pending.regions.every((r) => r.pending_peers.length === 1 && r.pending_peers[0].store_id === store.storeId));
      assert.equal((JSON.parse((await raw(c.url(), '/pd/api/v1/regions/check/miss-peer')).body) as { count: number }).count, 0);
      assert.equal((await raw(c.url(), '/pd/api/v1/regions/check/nonsense')).status, 404);
    });
  });

  describe('before any TiKV registered', () => {
    let c: RunningPdCluster;
    before(async () => {
      c = await startPdCluster({ stores: 0, waitSettled: false });
      await c.history.waitFor((e) => e.type === 'pd-leader' && e.data.name !== null);
    });
    after(() => c.stop());

    it('answers cluster routes with the not-bootstrapped 500', async () => {
      for (const path of ['/pd/api/v1/stores', '/pd/api/v1/schedulers', '/pd/api/v1/regions/check/down-peer', '/pd/api/v1/store/1']) {
        const answer = await raw(c.url(), path);
        assert.equal(answer.status, 500, path);
        assert.equal(answer.body, '"[PD:cluster:ErrNotBootstrapped]TiKV cluster not bootstrapped, please start TiKV first"\n', path);
      }
      const status = JSON.parse((await raw(c.url(), '/pd/api/v1/cluster/status')).body) as Record<string, unknown>;
      assert.deepEqual(status, { raft_bootstrap_time: '0001-01-01T00:00:00Z', is_initialized: false, replication_status: '' });
      assert.equal((await raw(c.url(), '/pd/api/v1/health')).status, 200);
    });
  });
});
