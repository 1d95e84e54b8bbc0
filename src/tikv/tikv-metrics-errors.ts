import { describeError } from '../describe-error.ts';

/**
 * Typed failures of reading a TiKV pod's `/metrics`. Messages name the pod, the request and the target; the
 * underlying error is in `cause`. As for PD: `TikvMetricsConnectionError` means no answer, `TikvMetricsResponseError`
 * an error status; a caller's abort rejects with the signal's reason.
 */

/** Which pod's metrics and through what. */
export interface TikvMetricsRequestRef {
  podName: string;
  /** Path with query, `/metrics`. */
  path: string;
  /** The target's description, e.g. `TiKV basic-tikv-0 status port (port-forward to basic-tikv-0:20180)`. */
  target: string;
}

/** Any failure of reading a TiKV pod's metrics. */
export class TikvMetricsError extends Error {
  readonly podName: string;
  readonly path: string;
  readonly target: string;

  constructor(message: string, request: TikvMetricsRequestRef, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TikvMetricsError';
    this.podName = request.podName;
    this.path = request.path;
    this.target = request.target;
  }
}

/** No answer from the TiKV status port (refused, reset, port-forward dropped, TLS failed, timeout). */
export class TikvMetricsConnectionError extends TikvMetricsError {
  constructor(request: TikvMetricsRequestRef, cause: unknown, message?: string) {
    super(
      message ?? `TiKV metrics request failed: GET ${request.path} of pod ${request.podName}: cannot reach ${request.target}: ${describeError(cause)}`,
      request,
      { cause },
    );
    this.name = 'TikvMetricsConnectionError';
  }
}

/** A certificate was refused on the TiKV status port (ours or TiKV's); retrying cannot help. */
export class TikvMetricsTlsError extends TikvMetricsConnectionError {
  constructor(request: TikvMetricsRequestRef, cause: unknown) {
    super(request, cause, `TiKV metrics request failed: GET ${request.path} of pod ${request.podName}: TLS with ${request.target} failed: ${describeError(cause)}`);
    this.name = 'TikvMetricsTlsError';
  }
}

/** No answer within the per-request timeout. */
export class TikvMetricsTimeoutError extends TikvMetricsConnectionError {
  readonly timeoutMs: number;

  constructor(request: TikvMetricsRequestRef, timeoutMs: number, cause?: unknown) {
    super(request, cause, `TiKV metrics request timed out after ${timeoutMs} ms: GET ${request.path} of pod ${request.podName} (${request.target})`);
    this.name = 'TikvMetricsTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The status port answered with an error status. */
export class TikvMetricsResponseError extends TikvMetricsError {
  readonly status: number;
  /** The start of the body (TiKV's message). */
  readonly body: string;

  constructor(request: TikvMetricsRequestRef, status: number, body: string) {
    const excerpt = body.trim().slice(0, 200);
    super(`TiKV metrics request failed with status ${status}: GET ${request.path} of pod ${request.podName}${excerpt === '' ? '' : `: ${excerpt}`}`, request);
    this.name = 'TikvMetricsResponseError';
    this.status = status;
    this.body = excerpt;
  }
}

/** The answer is not Prometheus text, or the metric's value is unusable (NaN, negative). */
export class TikvMetricsFormatError extends TikvMetricsError {
  constructor(request: TikvMetricsRequestRef, reason: string, cause?: unknown) {
    super(`TiKV metrics of pod ${request.podName} are unreadable (GET ${request.path}): ${reason}`, request, { cause });
    this.name = 'TikvMetricsFormatError';
  }
}

/** The metric is not in the pod's `/metrics` (not a TiKV, or one that has not started its raftstore yet). */
export class TikvMetricMissingError extends TikvMetricsError {
  /** The series looked for, e.g. `tikv_raftstore_region_count{type="leader"}`. */
  readonly metric: string;

  constructor(request: TikvMetricsRequestRef, metric: string) {
    super(`TiKV pod ${request.podName} does not report ${metric} at GET ${request.path} (${request.target})`, request);
    this.name = 'TikvMetricMissingError';
    this.metric = metric;
  }
}
