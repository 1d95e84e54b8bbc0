import { backoffDelayMs, sleep, type BackoffPolicy } from '../backoff.ts';
import type { HttpTarget } from '../http-target.ts';
import { HttpNoAnswerError, createHttpTransport, type HttpAnswer, type HttpTransport } from '../http-transport.ts';
import { PrometheusParseError, parsePrometheusText } from './prometheus-text.ts';
import {
  TikvMetricMissingError,
  TikvMetricsConnectionError,
  TikvMetricsError,
  TikvMetricsFormatError,
  TikvMetricsResponseError,
  TikvMetricsTimeoutError,
  TikvMetricsTlsError,
  type TikvMetricsRequestRef,
} from './tikv-metrics-errors.ts';
import type { TikvMetrics } from './tikv-metrics.ts';

/** The gauge TiKV keeps of the regions it holds, by `type` (`leader`, `region`, …). */
export const REGION_COUNT_METRIC = 'tikv_raftstore_region_count';
/** The series kubectl-tikv reads, as messages name it. */
export const LEADER_COUNT_SERIES = `${REGION_COUNT_METRIC}{type="leader"}`;
export const METRICS_PATH = '/metrics';

export interface TikvMetricsOptions {
  /** One attempt fails after this long. Default 10 000 (TiKV's /metrics is megabytes). */
  timeoutMs?: number;
  /** Retries after no answer or a 5xx. Default 2. */
  retries?: number;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Connections kept per pod. Default 1: one poll at a time per pod. */
  connectionsPerPod?: number;
  connectTimeoutMs?: number;
  random?: () => number;
}

/** A TikvMetrics that holds connections: `close()` releases them. */
export interface TikvMetricsClient extends TikvMetrics {
  close(): Promise<void>;
}

interface PodConnection {
  target: HttpTarget;
  transport: HttpTransport;
}

/**
 * Reads TiKV pods' `/metrics` with undici. `targetFor(podName)` is asked on every read; while it returns the same
 * target object the connections to it are reused, and a new object (say, a new port-forward after the pod was
 * recreated) replaces them.
 */
export function createTikvMetrics(
  targetFor: (podName: string) => HttpTarget | Promise<HttpTarget>,
  options: TikvMetricsOptions = {},
): TikvMetricsClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const policy: BackoffPolicy = {
    retries: options.retries ?? 2,
    baseDelayMs: options.retryBaseDelayMs ?? 200,
    maxDelayMs: options.retryMaxDelayMs ?? 2_000,
  };
  if (options.random) policy.random = options.random;
  const connections = new Map<string, PodConnection>();
  const closing = new Set<Promise<void>>();
  let closed = false;

  function retire(transport: HttpTransport): void {
    const done = transport.close().finally(() => closing.delete(done));
    closing.add(done);
  }

  function connectionFor(podName: string, target: HttpTarget): PodConnection {
    const existing = connections.get(podName);
    if (existing?.target === target) return existing;
    if (existing) retire(existing.transport);
    const connection: PodConnection = {
      target,
      transport: createHttpTransport(target, {
        connections: options.connectionsPerPod ?? 1,
        connectTimeoutMs: options.connectTimeoutMs ?? Math.min(timeoutMs, 10_000),
      }),
    };
    connections.set(podName, connection);
    return connection;
  }

  async function fetchMetrics(podName: string, signal: AbortSignal | undefined): Promise<{ ref: TikvMetricsRequestRef; text: string }> {
    for (let attempt = 0; ; attempt++) {
      if (closed) throw new Error('TiKV metrics reader is closed');
      const target = await targetFor(podName);
      const { transport } = connectionFor(podName, target);
      const ref: TikvMetricsRequestRef = { podName, path: METRICS_PATH, target: target.description };
      let failure: TikvMetricsError;
      let retryable: boolean;
      try {
        const answer: HttpAnswer = await transport.request({
          method: 'GET',
          path: METRICS_PATH,
          accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1',
          timeoutMs,
          signal,
        });
        if (answer.status >= 200 && answer.status < 300) return { ref, text: answer.text };
        failure = new TikvMetricsResponseError(ref, answer.status, answer.text);
        retryable = answer.status >= 500;
      } catch (error) {
        if (!(error instanceof HttpNoAnswerError)) throw error;
        if (error.kind === 'timeout') failure = new TikvMetricsTimeoutError(ref, error.timeoutMs ?? timeoutMs, error);
        else if (error.kind === 'tls') failure = new TikvMetricsTlsError(ref, error.cause ?? error);
        else failure = new TikvMetricsConnectionError(ref, error.cause ?? error);
        retryable = !error.permanent;
      }
      if (!retryable || attempt >= policy.retries) throw failure;
      await sleep(backoffDelayMs(attempt, policy), signal);
    }
  }

  return {
    async leaderCount(podName, opts = {}) {
      const { ref, text } = await fetchMetrics(podName, opts.signal);
      let samples;
      try {
        samples = parsePrometheusText(text, { names: [REGION_COUNT_METRIC] });
      } catch (error) {
        if (error instanceof PrometheusParseError) throw new TikvMetricsFormatError(ref, error.message, error);
        throw error;
      }
      const leaders = samples.filter((sample) => sample.labels.type === 'leader');
      if (leaders.length === 0) throw new TikvMetricMissingError(ref, LEADER_COUNT_SERIES);
      // One series per TiKV; should an exporter ever split it by another label, the parts add up.
      const total = leaders.reduce((sum, sample) => sum + sample.value, 0);
      if (!Number.isFinite(total) || total < 0) throw new TikvMetricsFormatError(ref, `${LEADER_COUNT_SERIES} is ${total}`);
      return Math.round(total);
    },

    async close() {
      closed = true;
      for (const { transport } of connections.values()) retire(transport);
      connections.clear();
      await Promise.all([...closing]);
    },
  };
}
