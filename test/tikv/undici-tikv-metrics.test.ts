import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { HttpTarget } from '../../src/http-target.ts';
import {
  TikvMetricMissingError,
  TikvMetricsConnectionError,
  TikvMetricsError,
  TikvMetricsFormatError,
  TikvMetricsResponseError,
  TikvMetricsTimeoutError,
} from '../../src/tikv/tikv-metrics-errors.ts';
import { createTikvMetrics, type TikvMetricsClient, type TikvMetricsOptions } from '../../src/tikv/undici-tikv-metrics.ts';
import { startLoopbackServer, type LoopbackServer, type Reply } from '../pd/loopback-server.ts';
import { NOT_TIKV_METRICS, PROMETHEUS_CONTENT_TYPE, TIKV_METRICS_150_LEADERS, TIKV_METRICS_NO_LEADERS } from './tikv-metrics-fixtures.ts';

const FAST: TikvMetricsOptions = { timeoutMs: 2_000, retryBaseDelayMs: 1, retryMaxDelayMs: 4 };

function metrics(body: string): Reply {
  return { status: 200, body, contentType: PROMETHEUS_CONTENT_TYPE };
}

describe('undici TiKV metrics reader', () => {
  const servers: LoopbackServer[] = [];
  let reader: TikvMetricsClient | undefined;

  afterEach(async () => {
    await reader?.close();
    reader = undefined;
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function tikv(replies: Reply[]): Promise<LoopbackServer> {
    let served = 0;
    const server = await startLoopbackServer(() => replies[Math.min(served++, replies.length - 1)]);
    servers.push(server);
    return server;
  }

  function targetOf(server: LoopbackServer, podName: string): HttpTarget {
    return { origin: server.origin, description: `TiKV ${podName} status port` };
  }

  async function rejection(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    assert.fail('expected the call to reject');
  }

  it('reads tikv_raftstore_region_count{type="leader"} from the pod\'s /metrics', async () => {
    const server = await tikv([metrics(TIKV_METRICS_150_LEADERS), metrics(TIKV_METRICS_NO_LEADERS)]);
    const asked: string[] = [];
    reader = createTikvMetrics((podName) => {
      asked.push(podName);
      return targetOf(server, podName);
    }, FAST);
    assert.equal(await reader.leaderCount('basic-tikv-0'), 150);
    assert.equal(await reader.leaderCount('basic-tikv-0'), 0);
    assert.deepEqual(asked, ['basic-tikv-0', 'basic-tikv-0']);
    assert.deepEqual(server.requests.map((request) => `${request.method} ${request.path}`), ['GET /metrics', 'GET /metrics']);
  });

  it('keeps one connection per pod while the target stays the same, and replaces it when the target changes', async () => {
    const server = await tikv([metrics(TIKV_METRICS_150_LEADERS)]);
    let target = targetOf(server, 'basic-tikv-1');
    reader = createTikvMetrics(async () => target, FAST);
    for (let i = 0; i < 3; i++) await reader.leaderCount('basic-tikv-1');
    assert.equal(server.connectionCount(), 1);
    target = { ...target };
    await reader.leaderCount('basic-tikv-1');
    assert.equal(server.connectionCount(), 2);
  });

  it('reads each pod through its own target', async () => {
    const first = await tikv([metrics(TIKV_METRICS_150_LEADERS)]);
    const second = await tikv([metrics(TIKV_METRICS_NO_LEADERS)]);
    reader = createTikvMetrics((podName) => (podName === 'basic-tikv-0' ? targetOf(first, podName) : targetOf(second, podName)), FAST);
    assert.deepEqual(await Promise.all([reader.leaderCount('basic-tikv-0'), reader.leaderCount('basic-tikv-1')]), [150, 0]);
  });

  it('reads through the streams of an openStream target (a port-forward to the status port)', async () => {
    const server = await tikv([metrics(TIKV_METRICS_150_LEADERS)]);
    let opened = 0;
    reader = createTikvMetrics(
      (podName) => ({
        origin: 'http://basic-tikv-0.basic-tikv-peer.ns.svc:20180',
        description: `TiKV ${podName} status port (port-forward)`,
        openStream: async () => {
          opened++;
          const socket = net.connect(server.port, '127.0.0.1');
          await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
          return socket;
        },
      }),
      FAST,
    );
    assert.equal(await reader.leaderCount('basic-tikv-0'), 150);
    assert.equal(opened, 1);
  });

  it('names the pod and the series when the metric is missing', async () => {
    const server = await tikv([metrics(NOT_TIKV_METRICS)]);
    reader = createTikvMetrics((podName) => targetOf(server, podName), FAST);
    const error = await rejection(reader.leaderCount('basic-tikv-2'));
    assert.ok(error instanceof TikvMetricMissingError);
    assert.equal(error.podName, 'basic-tikv-2');
    assert.equal(error.metric, 'tikv_raftstore_region_count{type="leader"}');
    assert.equal(error.message, 'TiKV pod basic-tikv-2 does not report tikv_raftstore_region_count{type="leader"} at GET /metrics (TiKV basic-tikv-2 status port)');
  });

  it('refuses a NaN leader count and a malformed leader line', async () => {
    const server = await tikv([
      metrics('tikv_raftstore_region_count{type="leader"} NaN\n'),
      metrics('tikv_raftstore_region_count{type="leader} 3\n'),
    ]);
    reader = createTikvMetrics((podName) => targetOf(server, podName), FAST);
    const nan = await rejection(reader.leaderCount('basic-tikv-0'));
    assert.ok(nan instanceof TikvMetricsFormatError);
    assert.match(nan.message, /tikv_raftstore_region_count\{type="leader"\} is NaN/);
    const malformed = await rejection(reader.leaderCount('basic-tikv-0'));
    assert.ok(malformed instanceof TikvMetricsFormatError);
    assert.match(malformed.message, /^TiKV metrics of pod basic-tikv-0 are unreadable \(GET \/metrics\): line 1: /);
  });

  it('retries a 5xx and a dropped connection, then reads the count', async () => {
    const server = await tikv([{ status: 503, body: 'busy' }, 'reset', metrics(TIKV_METRICS_150_LEADERS)]);
    reader = createTikvMetrics((podName) => targetOf(server, podName), FAST);
    assert.equal(await reader.leaderCount('basic-tikv-0'), 150);
    assert.equal(server.requests.length, 3);
  });

  it('does not retry a 404, and says which pod answered it', async () => {
    const server = await tikv([{ status: 404, body: 'not found\n', contentType: 'text/plain' }]);
    reader = createTikvMetrics((podName) => targetOf(server, podName), FAST);
    const error = await rejection(reader.leaderCount('basic-tikv-0'));
    assert.ok(error instanceof TikvMetricsResponseError);
    assert.equal(error.status, 404);
    assert.equal(error.message, 'TiKV metrics request failed with status 404: GET /metrics of pod basic-tikv-0: not found');
    assert.equal(server.requests.length, 1);
  });

  it('times out an unanswered read', async () => {
    const server = await tikv(['hang']);
    reader = createTikvMetrics((podName) => targetOf(server, podName), { ...FAST, timeoutMs: 80, retries: 0 });
    const error = await rejection(reader.leaderCount('basic-tikv-0'));
    assert.ok(error instanceof TikvMetricsTimeoutError);
    assert.ok(error instanceof TikvMetricsConnectionError);
    assert.equal(error.message, 'TiKV metrics request timed out after 80 ms: GET /metrics of pod basic-tikv-0 (TiKV basic-tikv-0 status port)');
  });

  it('reports a refused connection naming pod and target', async () => {
    const server = await tikv([metrics(TIKV_METRICS_150_LEADERS)]);
    const target = targetOf(server, 'basic-tikv-0');
    await server.close();
    reader = createTikvMetrics(() => target, { ...FAST, retries: 1 });
    const error = await rejection(reader.leaderCount('basic-tikv-0'));
    assert.ok(error instanceof TikvMetricsConnectionError);
    assert.ok(error instanceof TikvMetricsError);
    assert.match(error.message, /^TiKV metrics request failed: GET \/metrics of pod basic-tikv-0: cannot reach TiKV basic-tikv-0 status port: .*ECONNREFUSED/);
  });

  it('does not retry a port-forward the API server refused (403)', async () => {
    let opened = 0;
    const forbidden = Object.assign(new Error('pods "basic-tikv-0" is forbidden'), { status: 403 });
    reader = createTikvMetrics(
      () => ({
        origin: 'http://basic-tikv-0:20180',
        description: 'TiKV basic-tikv-0 status port (port-forward)',
        openStream: () => {
          opened++;
          return Promise.reject(forbidden);
        },
      }),
      { ...FAST, retries: 3 },
    );
    const error = await rejection(reader.leaderCount('basic-tikv-0'));
    assert.ok(error instanceof TikvMetricsConnectionError);
    assert.equal(error.cause, forbidden);
    assert.equal(opened, 1);
  });

  it('lets an error from targetFor through unchanged', async () => {
    const notFound = new Error('pods "basic-tikv-9" not found');
    reader = createTikvMetrics(() => Promise.reject(notFound), FAST);
    assert.equal(await rejection(reader.leaderCount('basic-tikv-9')), notFound);
  });

  it('rejects with the caller\'s abort reason', async () => {
    const server = await tikv(['hang']);
    reader = createTikvMetrics((podName) => targetOf(server, podName), FAST);
    const controller = new AbortController();
    const pending = reader.leaderCount('basic-tikv-0', { signal: controller.signal });
    const reason = new Error('interrupted');
    setImmediate(() => controller.abort(reason));
    assert.equal(await rejection(pending), reason);
  });
});
