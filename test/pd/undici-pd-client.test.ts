import assert from 'node:assert/strict';
import * as net from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { UserError } from '../../src/errors.ts';
import type { HttpTarget } from '../../src/http-target.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import {
  PdConnectionError,
  PdError,
  PdLeaderTransferPausedError,
  PdNotBootstrappedError,
  PdProtocolError,
  PdResponseError,
  PdStoreNotFoundError,
  PdTimeoutError,
  PdUnavailableError,
} from '../../src/pd/pd-errors.ts';
import { createPdClient, type PdClientOptions } from '../../src/pd/undici-pd-client.ts';
import * as fx from './pd-fixtures.ts';
import { pdAnswer, startLoopbackServer, type LoopbackServer, type RecordedRequest, type Reply } from './loopback-server.ts';

const FAST: PdClientOptions = { timeoutMs: 2_000, retryBaseDelayMs: 1, retryMaxDelayMs: 4 };

describe('undici PD client', () => {
  let server: LoopbackServer | undefined;
  let client: PdClient | undefined;

  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  /** Serves `routes` ("METHOD path" → reply or replies in turn; the last repeats); anything else is Go's text 404. */
  async function serve(routes: Record<string, Reply | Reply[] | ((request: RecordedRequest) => Reply)>, options: PdClientOptions = FAST) {
    const served = new Map<string, number>();
    server = await startLoopbackServer((request) => {
      const key = `${request.method} ${request.path}`;
      const route = routes[key];
      if (route === undefined) return { status: 404, body: fx.GO_TEXT_404, contentType: fx.TEXT_CONTENT_TYPE };
      if (typeof route === 'function') return route(request);
      if (!Array.isArray(route)) return route;
      const index = served.get(key) ?? 0;
      served.set(key, index + 1);
      return route[Math.min(index, route.length - 1)];
    });
    client = createPdClient({ origin: server.origin, description: 'PD at loopback' }, options);
    return { server, client };
  }

  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    assert.fail('expected the call to reject');
  }

  describe('stores', () => {
    it('lists stores PD shows by default and filters tombstones even if PD sent one', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/stores': pdAnswer(200, fx.STORES_V85_ALL_STATES) });
      const stores = await client.stores();
      assert.deepEqual(
        stores.map((store) => store.storeId),
        [1, 2, 3, 5],
      );
      assert.deepEqual(server.requests.map((request) => request.path), ['/pd/api/v1/stores']);
    });

    it('asks PD for every state when tombstones are wanted', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/stores?state=0&state=1&state=2': pdAnswer(200, fx.STORES_V85_ALL_STATES) });
      const stores = await client.stores({ includeTombstone: true });
      assert.deepEqual(
        stores.map((store) => [store.storeId, store.stateName]),
        [
          [1, 'Up'],
          [2, 'Disconnected'],
          [3, 'Down'],
          [5, 'Offline'],
          [6, 'Tombstone'],
        ],
      );
    });

    it('reads one store, keeping the heartbeat nanoseconds exact', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/store/9': pdAnswer(200, fx.STORE_HEARTBEAT_AT_MS_EDGE) });
      const store = await client.store(9);
      assert.equal(store.storeId, 9);
      assert.equal(store.lastHeartbeatMs, 1732000123456);
    });

    it('rejects an unknown store with PdStoreNotFoundError carrying PD\'s message and code, without retrying', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/store/99': pdAnswer(404, fx.STORE_NOT_FOUND_99) });
      const error = await rejection(client.store(99));
      assert.ok(error instanceof PdStoreNotFoundError);
      assert.equal(error.storeId, 99);
      assert.equal(error.status, 404);
      assert.equal(error.pdCode, 'PD:core:ErrStoreNotFound');
      assert.equal(error.message, 'PD request failed with status 404: GET /pd/api/v1/store/99: [PD:core:ErrStoreNotFound]store 99 not found');
      assert.equal(server.requests.length, 1);
    });

    it('reports the not-bootstrapped 500 as PdNotBootstrappedError, without retrying', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/stores': pdAnswer(500, fx.NOT_BOOTSTRAPPED) });
      const error = await rejection(client.stores());
      assert.ok(error instanceof PdNotBootstrappedError);
      assert.equal(error.message, 'PD request failed with status 500: GET /pd/api/v1/stores: TiKV cluster not bootstrapped, please start TiKV first');
      assert.equal(server.requests.length, 1);
    });

    it('rejects an answer of the wrong shape with PdProtocolError naming the field', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/stores': pdAnswer(200, '{"count":1,"stores":[{"store":{"id":"one"}}]}\n') });
      const error = await rejection(client.stores());
      assert.ok(error instanceof PdProtocolError);
      assert.match(error.message, /^PD request failed: GET \/pd\/api\/v1\/stores: unexpected answer \(status 200\): stores\[0\]\.store\.id: expected a number, got "one"/);
    });

    it('rejects a body that is not JSON with PdProtocolError', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/stores': { status: 200, body: '<html>proxy</html>', contentType: 'text/html' } });
      assert.ok((await rejection(client.stores())) instanceof PdProtocolError);
    });
  });

  describe('evict-leader scheduler', () => {
    it('adds a store with the JSON body PD expects, accepting every version\'s success message', async () => {
      const { client, server } = await serve({ 'POST /pd/api/v1/schedulers': [pdAnswer(200, fx.SCHEDULER_CREATED), pdAnswer(200, fx.SCHEDULER_APPLIED)] });
      await client.addEvictLeader(3);
      await client.addEvictLeader(3);
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0].body, '{"name":"evict-leader-scheduler","store_id":3}');
      assert.equal(server.requests[0].contentType, 'application/json');
    });

    for (const [version, status, body] of [
      ['v8.5', 500, fx.STORE_NOT_FOUND_99],
      ['master', 400, fx.STORE_NOT_FOUND_99],
      ['v7.5 (message written twice)', 500, fx.STORE_NOT_FOUND_99_V75],
      ['v7.5 (success message appended)', 500, fx.STORE_NOT_FOUND_99_THEN_CREATED],
    ] as const) {
      it(`reports an unknown store on add as PdStoreNotFoundError (${version})`, async () => {
        const { client, server } = await serve({ 'POST /pd/api/v1/schedulers': pdAnswer(status, body) });
        const error = await rejection(client.addEvictLeader(99));
        assert.ok(error instanceof PdStoreNotFoundError);
        assert.equal(error.storeId, 99);
        assert.equal(error.message, `PD request failed with status ${status}: POST /pd/api/v1/schedulers: [PD:core:ErrStoreNotFound]store 99 not found`);
        assert.equal(error.body, body);
        assert.equal(server.requests.length, 1);
      });
    }

    it('takes PD ≤ v3.0\'s "scheduler existed" on add as the store already being evicted', async () => {
      const { client, server } = await serve({ 'POST /pd/api/v1/schedulers': pdAnswer(500, '"scheduler existed"\n') });
      await client.addEvictLeader(4);
      assert.equal(server.requests.length, 1);
    });

    it('reports a store paused for leader transfer as PdLeaderTransferPausedError', async () => {
      const { client } = await serve({ 'POST /pd/api/v1/schedulers': pdAnswer(500, fx.PAUSE_LEADER_TRANSFER_3) });
      const error = await rejection(client.addEvictLeader(3));
      assert.ok(error instanceof PdLeaderTransferPausedError);
      assert.equal(error.storeId, 3);
    });

    it('never retries a POST, not after a 503 and not after a dropped connection', async () => {
      const { client, server } = await serve({ 'POST /pd/api/v1/schedulers': [pdAnswer(503, fx.NO_LEADER), 'reset', pdAnswer(200, fx.SCHEDULER_CREATED)] });
      assert.ok((await rejection(client.addEvictLeader(1))) instanceof PdUnavailableError);
      assert.ok((await rejection(client.addEvictLeader(1))) instanceof PdConnectionError);
      assert.equal(server.requests.length, 2);
    });

    it('removes a store: 200 null (v6+) and 200 with a message (v5) both mean removed', async () => {
      const { client } = await serve({
        'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-3': pdAnswer(200, fx.JSON_NULL),
        'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-4': pdAnswer(200, fx.SCHEDULER_REMOVED_V5),
      });
      assert.equal(await client.removeEvictLeader(3), 'removed');
      assert.equal(await client.removeEvictLeader(4), 'removed');
    });

    it('reads a 404 null on remove as absent after re-listing confirms it', async () => {
      const { client, server } = await serve({
        'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-5': pdAnswer(404, fx.JSON_NULL),
        'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V855),
        'GET /pd/api/v1/scheduler-config/evict-leader-scheduler/list': pdAnswer(200, fx.EVICT_LIST_V83),
      });
      assert.equal(await client.removeEvictLeader(5), 'absent');
      assert.deepEqual(
        server.requests.map((request) => `${request.method} ${request.path}`),
        [
          'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-5',
          'GET /pd/api/v1/schedulers',
          'GET /pd/api/v1/scheduler-config/evict-leader-scheduler/list',
        ],
      );
    });

    it('refuses to call a store absent when PD answers 404 but still lists it', async () => {
      const { client } = await serve({
        'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-12': pdAnswer(404, fx.JSON_NULL),
        'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V855),
        'GET /pd/api/v1/scheduler-config/evict-leader-scheduler/list': pdAnswer(200, fx.EVICT_LIST_V83),
      });
      const error = await rejection(client.removeEvictLeader(12));
      assert.ok(error instanceof PdResponseError);
      assert.equal(error.status, 404);
      assert.match(error.message, /store 12 is still listed in evict-leader-scheduler/);
    });

    it('reads an old PD\'s 500 "scheduler not found" on remove as absent', async () => {
      const { client } = await serve({
        'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-2': pdAnswer(500, '"[PD:scheduler:ErrSchedulerNotFound]scheduler not found"\n'),
        'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V85_DEFAULTS),
      });
      assert.equal(await client.removeEvictLeader(2), 'absent');
    });

    it('retries a remove after a dropped connection and a 502, since PD\'s DELETE is idempotent', async () => {
      const { client, server } = await serve({
        'DELETE /pd/api/v1/schedulers/evict-leader-scheduler-3': ['reset', { status: 502, body: 'bad gateway' }, pdAnswer(200, fx.JSON_NULL)],
      });
      assert.equal(await client.removeEvictLeader(3), 'removed');
      assert.equal(server.requests.length, 3);
    });

    it('lists evicted stores from the v8.5 scheduler list, ignoring PD\'s own evict-* schedulers', async () => {
      const { client } = await serve({
        'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V855),
        'GET /pd/api/v1/scheduler-config/evict-leader-scheduler/list': pdAnswer(200, fx.EVICT_LIST_V83),
      });
      assert.deepEqual(await client.evictLeaderState(), { storeIds: [3, 12], schedulerNames: ['evict-leader-scheduler'] });
    });

    it('lists evicted stores from PD ≤ v3.0\'s per-store scheduler names', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V30_LEGACY) });
      assert.deepEqual(await client.evictLeaderState(), {
        storeIds: [1, 4],
        schedulerNames: ['evict-leader-scheduler-1', 'evict-leader-scheduler-4'],
      });
      assert.equal(server.requests.length, 1, 'legacy PD has no scheduler-config list to read');
    });

    it('reads no evicted stores when the scheduler vanished between the two reads (text 404)', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V855) });
      assert.deepEqual(await client.evictLeaderState(), { storeIds: [], schedulerNames: [] });
    });

    it('reads no evicted stores when PD has only its default schedulers', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V85_DEFAULTS) });
      assert.deepEqual(await client.evictLeaderState(), { storeIds: [], schedulerNames: [] });
      assert.deepEqual((await client.schedulers()).length, 4);
    });

    it('reads the pre-v8.3 list without batch', async () => {
      const { client } = await serve({
        'GET /pd/api/v1/schedulers': pdAnswer(200, fx.SCHEDULERS_V855),
        'GET /pd/api/v1/scheduler-config/evict-leader-scheduler/list': pdAnswer(200, fx.EVICT_LIST_V75),
      });
      assert.deepEqual((await client.evictLeaderState()).storeIds, [2]);
    });
  });

  describe('cluster information', () => {
    it('reads members, health, version and configs', async () => {
      const { client } = await serve({
        'GET /pd/api/v1/members': pdAnswer(200, fx.MEMBERS_V85),
        'GET /pd/api/v1/health': pdAnswer(200, fx.HEALTH_V85),
        'GET /pd/api/v1/version': pdAnswer(200, fx.VERSION_V85),
        'GET /pd/api/v1/config/replicate': pdAnswer(200, fx.REPLICATE_V85),
        'GET /pd/api/v1/config/schedule': pdAnswer(200, fx.SCHEDULE_V85),
      });
      const members = await client.members();
      assert.equal(members.clusterId, '7321654987123456789');
      assert.equal(members.leader?.name, 'basic-pd-1');
      assert.deepEqual(
        (await client.health()).map((member) => member.healthy),
        [true, false],
      );
      assert.equal(await client.version(), 'v8.5.0');
      assert.deepEqual(await client.replicationConfig(), { maxReplicas: 3, locationLabels: ['zone', 'host'], enablePlacementRules: true });
      assert.deepEqual(await client.scheduleConfig(), { leaderScheduleLimit: 4, maxStoreDownTime: '30m0s' });
    });

    it('reads region checks', async () => {
      const { client } = await serve({
        'GET /pd/api/v1/regions/check/down-peer': pdAnswer(200, fx.DOWN_PEER_REGIONS),
        'GET /pd/api/v1/regions/check/miss-peer': pdAnswer(200, fx.NO_REGIONS),
      });
      const down = await client.regionCheck('down-peer');
      assert.equal(down.count, 2);
      assert.deepEqual(down.regions[0].downPeers, [{ storeId: 3, downSeconds: 1860 }]);
      assert.equal((await client.regionCheck('miss-peer')).count, 0);
    });

    it('reads readiness: 200 ready, 500 regions not loaded, 404 (PD before v8.5.2) ready', async () => {
      const { client, server } = await serve({
        'GET /pd/api/v2/ready': [{ status: 500, body: '' }, { status: 200, body: '' }, { status: 404, body: fx.GO_TEXT_404, contentType: fx.TEXT_CONTENT_TYPE }],
      });
      assert.equal(await client.ready(), false);
      assert.equal(await client.ready(), true);
      assert.equal(await client.ready(), true);
      assert.equal(server.requests.length, 3, 'a 500 from /ready is an answer, not retried');
    });
  });

  describe('failures and retries', () => {
    it('retries a GET through 503 (no PD leader) and dropped connections', async () => {
      const { client, server } = await serve({
        'GET /pd/api/v1/version': [pdAnswer(503, fx.NO_LEADER), 'reset', pdAnswer(200, fx.VERSION_V85)],
      });
      assert.equal(await client.version(), 'v8.5.0');
      assert.equal(server.requests.length, 3);
    });

    it('gives up after the configured retries with the last failure typed', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/version': pdAnswer(503, fx.NO_LEADER) }, { ...FAST, retries: 2 });
      const error = await rejection(client.version());
      assert.ok(error instanceof PdUnavailableError);
      assert.equal(error.pdCode, 'PD:apiutil:ErrRedirectNoLeader');
      assert.equal(error.message, 'PD request failed with status 503: GET /pd/api/v1/version: [PD:apiutil:ErrRedirectNoLeader]redirect finds no leader');
      assert.equal(server.requests.length, 3);
    });

    it('does not retry a 4xx', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/config/schedule': pdAnswer(400, '"bad"\n') });
      const error = await rejection(client.scheduleConfig());
      assert.ok(error instanceof PdResponseError);
      assert.equal(server.requests.length, 1);
    });

    it('times out an unanswered request as PdTimeoutError, a kind of connection failure', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/stores': 'hang' }, { ...FAST, timeoutMs: 100, retries: 0 });
      const error = await rejection(client.stores());
      assert.ok(error instanceof PdTimeoutError);
      assert.ok(error instanceof PdConnectionError);
      assert.equal(error.timeoutMs, 100);
      assert.equal(error.message, 'PD request timed out after 100 ms: GET /pd/api/v1/stores (PD at loopback)');
    });

    it('retries a timed-out GET and succeeds when PD answers the next attempt', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/version': ['hang', pdAnswer(200, fx.VERSION_V85)] }, { ...FAST, timeoutMs: 100 });
      assert.equal(await client.version(), 'v8.5.0');
      assert.equal(server.requests.length, 2);
    });

    it('reports a refused connection as PdConnectionError naming the target, the cause kept', async () => {
      const closed = await startLoopbackServer(() => ({ status: 200 }));
      const origin = closed.origin;
      await closed.close();
      client = createPdClient({ origin, description: 'PD service basic-pd (port-forward to basic-pd-0:2379)' }, { ...FAST, retries: 1 });
      const error = await rejection(client.members());
      assert.ok(error instanceof PdConnectionError);
      assert.ok(!(error instanceof PdTimeoutError));
      assert.equal(error.method, 'GET');
      assert.equal(error.path, '/pd/api/v1/members');
      assert.match(error.message, /^PD request failed: GET \/pd\/api\/v1\/members: cannot reach PD service basic-pd \(port-forward to basic-pd-0:2379\): .*ECONNREFUSED/);
      assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
    });

    it('rejects with the caller\'s abort reason, not a PdError, when the caller aborts mid-request', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/stores': 'hang' });
      const controller = new AbortController();
      const pending = client.stores({ signal: controller.signal });
      const reason = new Error('user pressed Ctrl+C');
      setImmediate(() => controller.abort(reason));
      assert.equal(await rejection(pending), reason);
    });

    it('stops retrying when the caller aborts during the backoff', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/version': pdAnswer(503, fx.NO_LEADER) }, { ...FAST, retries: 5, retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 });
      const controller = new AbortController();
      const pending = client.version({ signal: controller.signal });
      while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort(new Error('stop'));
      const error = await rejection(pending);
      assert.ok(error instanceof Error && error.message === 'stop');
      assert.equal(server.requests.length, 1);
    });

    it('rejects at once with the reason when the signal is already aborted', async () => {
      const { client, server } = await serve({ 'GET /pd/api/v1/version': pdAnswer(200, fx.VERSION_V85) });
      const reason = new Error('already');
      assert.equal(await rejection(client.version({ signal: AbortSignal.abort(reason) })), reason);
      assert.equal(server.requests.length, 0);
    });

    it('gives every failure the PdError base class', async () => {
      const { client } = await serve({ 'GET /pd/api/v1/health': pdAnswer(500, '"boom"\n') }, { ...FAST, retries: 0 });
      const error = await rejection(client.health());
      assert.ok(error instanceof PdError);
      assert.equal(error.target, 'PD at loopback');
    });
  });

  describe('openStream targets (a port-forward)', () => {
    /** A target whose connections are TCP streams this test opens itself; its origin does not resolve. */
    function streamTarget(port: number, opened: Duplex[]): HttpTarget {
      return {
        origin: 'http://basic-pd.pd-namespace.invalid:2379',
        description: 'PD through a test stream',
        openStream: async () => {
          const socket = net.connect(port, '127.0.0.1');
          await new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('error', reject);
          });
          opened.push(socket);
          return socket;
        },
      };
    }

    it('speaks HTTP over the streams openStream gives, never resolving the origin', async () => {
      const { server } = await serve({ 'GET /pd/api/v1/version': pdAnswer(200, fx.VERSION_V85), 'GET /pd/api/v1/members': pdAnswer(200, fx.MEMBERS_V85) });
      await client?.close();
      const opened: Duplex[] = [];
      client = createPdClient(streamTarget(server.port, opened), FAST);
      assert.equal(await client.version(), 'v8.5.0');
      assert.equal((await client.members()).clusterId, '7321654987123456789');
      assert.ok(opened.length >= 1);
      assert.equal(server.connectionCount(), opened.length, 'every connection came through openStream');
    });

    it('keeps at most `connections` streams open however many requests run at once', async () => {
      const { server } = await serve({ 'GET /pd/api/v1/version': pdAnswer(200, fx.VERSION_V85) });
      await client?.close();
      const opened: Duplex[] = [];
      client = createPdClient(streamTarget(server.port, opened), { ...FAST, connections: 2 });
      const pdClient = client;
      const versions = await Promise.all(Array.from({ length: 12 }, () => pdClient.version()));
      assert.deepEqual(new Set(versions), new Set(['v8.5.0']));
      assert.ok(opened.length <= 2, `opened ${opened.length} streams`);
      assert.equal(server.requests.length, 12);
    });

    it('opens a fresh stream and retries a GET when the stream drops mid-request', async () => {
      const opened: Duplex[] = [];
      const { server } = await serve({
        'GET /pd/api/v1/stores': () => {
          if (opened.length === 1) {
            opened[0].destroy();
            return 'hang';
          }
          return pdAnswer(200, fx.STORES_V85_ALL_STATES);
        },
      });
      await client?.close();
      client = createPdClient(streamTarget(server.port, opened), FAST);
      assert.equal((await client.stores()).length, 4);
      assert.equal(opened.length, 2);
    });

    it('reports a failing openStream as PdConnectionError with its error as cause', async () => {
      const cause = new Error('pods "basic-pd-0" is forbidden: cannot create resource "pods/portforward"');
      client = createPdClient(
        { origin: 'http://basic-pd:2379', description: 'PD service basic-pd', openStream: () => Promise.reject(cause) },
        { ...FAST, retries: 0 },
      );
      const error = await rejection(client.stores());
      assert.ok(error instanceof PdConnectionError);
      assert.equal(error.cause, cause);
      assert.match(error.message, /cannot reach PD service basic-pd: pods "basic-pd-0" is forbidden/);
    });

    it('does not retry when the tunnel is refused for good (RBAC 403, no Ready pod), but does when the API server was unreachable', async () => {
      const forbidden = Object.assign(new Error('pods "basic-pd-0" is forbidden: cannot create resource "pods/portforward"'), { status: 403 });
      const noPod = new UserError('no Ready pod behind service "basic-pd" in namespace "ns"');
      const unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { status: 0 });
      for (const [cause, attempts] of [[forbidden, 1], [noPod, 1], [unreachable, 3]] as const) {
        let opened = 0;
        const pdClient = createPdClient(
          {
            origin: 'http://basic-pd:2379',
            description: 'PD service basic-pd',
            openStream: () => {
              opened++;
              return Promise.reject(cause);
            },
          },
          { ...FAST, retries: 2 },
        );
        try {
          const error = await rejection(pdClient.stores());
          assert.ok(error instanceof PdConnectionError);
          assert.equal(error.cause, cause);
          assert.equal(opened, attempts, cause.message);
        } finally {
          await pdClient.close();
        }
      }
    });

    it('gives up on a stream that never opens after the connect timeout, aborting the signal openStream got', async () => {
      let given: AbortSignal | undefined;
      client = createPdClient(
        {
          origin: 'http://basic-pd:2379',
          description: 'PD service basic-pd',
          openStream: (signal) => {
            given = signal;
            return new Promise<Duplex>(() => {
              // Never opens: the API server does not answer the port-forward handshake.
            });
          },
        },
        { ...FAST, timeoutMs: 5_000, connectTimeoutMs: 50, retries: 0 },
      );
      const error = await rejection(client.version());
      assert.ok(error instanceof PdConnectionError);
      assert.ok(!(error instanceof PdTimeoutError), 'the request itself did not time out');
      assert.match(error.message, /Connect Timeout/);
      assert.equal(given?.aborted, true);
    });

    it('works over a plain in-memory Duplex, the kind a WebSocket port-forward hands over', async () => {
      const { server } = await serve({ 'GET /pd/api/v1/version': pdAnswer(200, fx.VERSION_V85) });
      await client?.close();
      client = createPdClient(
        {
          origin: 'http://basic-pd:2379',
          description: 'PD through a relay',
          openStream: async () => relayTo(server.port),
        },
        FAST,
      );
      assert.equal(await client.version(), 'v8.5.0');
    });
  });
});

/** A Duplex that is not a socket: bytes written go to a TCP connection, bytes read come from it. */
function relayTo(port: number): Duplex {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const socket = net.connect(port, '127.0.0.1');
  toServer.pipe(socket);
  socket.pipe(fromServer);
  const duplex: Duplex = new Duplex({
    write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
      toServer.write(chunk, callback);
    },
    final(callback: (error?: Error | null) => void) {
      toServer.end();
      callback();
    },
    read() {
      // Data is pushed as it arrives.
    },
    destroy(error: Error | null, callback: (error?: Error | null) => void) {
      socket.destroy();
      callback(error);
    },
  });
  fromServer.on('data', (chunk: Buffer) => duplex.push(chunk));
  fromServer.on('end', () => duplex.push(null));
  socket.on('error', (error) => duplex.destroy(error));
  return duplex;
}
