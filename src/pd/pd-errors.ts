import { describeError } from '../describe-error.ts';

/**
 * Typed failures of the PD client. Every message names the HTTP method and path and either PD's own message
 * (`PD request failed with status 500: POST /pd/api/v1/schedulers: [PD:core:ErrStoreNotFound]store 99 not found`)
 * or why there was no answer; the underlying error is in `cause`.
 *
 * Two families: `PdResponseError` (PD answered with an error status) and `PdConnectionError` (no answer at all:
 * refused, reset, the port-forward dropped, TLS failed, or the per-request timeout elapsed). A caller's own abort is
 * not a failure and is not wrapped: calls reject with the signal's `reason`.
 */

/** Which request failed and against what. */
export interface PdRequestRef {
  method: string;
  /** Path with query, e.g. `/pd/api/v1/stores`. */
  path: string;
  /** The target's description, e.g. `PD service basic-pd (port-forward to basic-pd-0:2379)`. */
  target: string;
}

/** Any failure of a PD call. */
export class PdError extends Error {
  readonly method: string;
  readonly path: string;
  readonly target: string;

  constructor(message: string, request: PdRequestRef, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PdError';
    this.method = request.method;
    this.path = request.path;
    this.target = request.target;
  }
}

/** No answer from PD: connection refused or reset, the tunnel dropped, TLS failed. The request may or may not have reached PD. */
export class PdConnectionError extends PdError {
  constructor(request: PdRequestRef, cause: unknown, message?: string) {
    super(
      message ?? `PD request failed: ${request.method} ${request.path}: cannot reach ${request.target}: ${describeError(cause)}`,
      request,
      { cause },
    );
    this.name = 'PdConnectionError';
  }
}

/** TLS with PD failed on a certificate: PD's was not trusted or did not name the host, or PD refused ours. */
export class PdTlsError extends PdConnectionError {
  constructor(request: PdRequestRef, cause: unknown) {
    super(request, cause, `PD request failed: ${request.method} ${request.path}: TLS with ${request.target} failed: ${describeError(cause)}`);
    this.name = 'PdTlsError';
  }
}

/** No answer from PD within the per-request timeout. */
export class PdTimeoutError extends PdConnectionError {
  readonly timeoutMs: number;

  constructor(request: PdRequestRef, timeoutMs: number, cause?: unknown) {
    super(request, cause, `PD request timed out after ${timeoutMs} ms: ${request.method} ${request.path} (${request.target})`);
    this.name = 'PdTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** What PD said in an error answer. */
export interface PdAnswer {
  status: number;
  /** PD's message, JSON string decoded (`[PD:core:ErrStoreNotFound]store 99 not found`); the raw text when not JSON. */
  pdMessage: string;
  /** PD's error code without brackets (`PD:core:ErrStoreNotFound`), when the message carries one. */
  pdCode?: string;
  /** The body as received. */
  body: string;
}

/** PD answered with an error status. */
export class PdResponseError extends PdError {
  readonly status: number;
  readonly pdMessage: string;
  readonly pdCode?: string;
  readonly body: string;

  constructor(request: PdRequestRef, answer: PdAnswer, options: { cause?: unknown } = {}) {
    const suffix = answer.pdMessage === '' ? '' : `: ${answer.pdMessage}`;
    super(`PD request failed with status ${answer.status}: ${request.method} ${request.path}${suffix}`, request, options);
    this.name = 'PdResponseError';
    this.status = answer.status;
    this.pdMessage = answer.pdMessage;
    if (answer.pdCode !== undefined) this.pdCode = answer.pdCode;
    this.body = answer.body;
  }
}

/** PD does not know the store (`[PD:core:ErrStoreNotFound]`; 404 on GET, 400 or 500 on POST depending on version). */
export class PdStoreNotFoundError extends PdResponseError {
  readonly storeId: number;

  constructor(request: PdRequestRef, answer: PdAnswer, storeId: number) {
    super(request, answer);
    this.name = 'PdStoreNotFoundError';
    this.storeId = storeId;
  }
}

/** PD has no leader (503), so it cannot serve cluster routes. Usually transient (an election). */
export class PdUnavailableError extends PdResponseError {
  constructor(request: PdRequestRef, answer: PdAnswer) {
    super(request, answer);
    this.name = 'PdUnavailableError';
  }
}

/** No TiKV has registered with PD yet (500 `TiKV cluster not bootstrapped, please start TiKV first`). */
export class PdNotBootstrappedError extends PdResponseError {
  constructor(request: PdRequestRef, answer: PdAnswer) {
    super(request, answer);
    this.name = 'PdNotBootstrappedError';
  }
}

/** PD ≤ v8.5 refuses to evict from a store paused for leader transfer (`[PD:core:ErrPauseLeaderTransfer]`). */
export class PdLeaderTransferPausedError extends PdResponseError {
  readonly storeId: number;

  constructor(request: PdRequestRef, answer: PdAnswer, storeId: number) {
    super(request, answer);
    this.name = 'PdLeaderTransferPausedError';
    this.storeId = storeId;
  }
}

/** PD answered with a success status, but not with what its API promises (wrong shape, not JSON). */
export class PdProtocolError extends PdError {
  readonly status: number;
  readonly body: string;

  constructor(request: PdRequestRef, status: number, body: string, cause: unknown) {
    super(
      `PD request failed: ${request.method} ${request.path}: unexpected answer (status ${status}): ${describeError(cause)}`,
      request,
      { cause },
    );
    this.name = 'PdProtocolError';
    this.status = status;
    this.body = body;
  }
}
