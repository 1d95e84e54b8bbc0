import type { Duplex } from 'node:stream';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Pool, errors as undiciErrors } from 'undici';
import type { buildConnector } from 'undici';
import { UserError } from './errors.ts';
import type { HttpTarget } from './http-target.ts';

/**
 * HTTP/1.1 over an HttpTarget with undici: the PD client and the TiKV metrics reader share it. With `openStream`
 * every connection is a fresh stream from the target (a port-forward), TLS wrapped over it for https; without it,
 * TCP/TLS to the origin. HTTP/2 is never negotiated: PD serves gRPC on the same port.
 */

export interface HttpTransportOptions {
  /** Connections kept open to the target at most (each one is one port-forward stream). Default 4. */
  connections?: number;
  /** Opening a connection (TCP/TLS handshake, or `openStream` + TLS) fails after this long. Default 10 000. */
  connectTimeoutMs?: number;
}

export interface HttpExchange {
  method: 'GET' | 'POST' | 'DELETE';
  /** Absolute path with query. */
  path: string;
  /** A JSON body, sent with `Content-Type: application/json`. */
  jsonBody?: string;
  /** The Accept header; default JSON, then text. */
  accept?: string;
  /** The whole exchange (connect, headers, body) must finish within this. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * No answer was received: `connection` (refused, reset, stream dropped, malformed HTTP, `openStream` failed), `tls`
 * (a certificate was refused, by us or by the server) or `timeout`. `permanent`: trying again cannot help — a
 * certificate problem, or `openStream` refused for a reason that will not change (a UserError such as "no Ready pod
 * behind the service", or a Kubernetes answer with a 4xx status such as 403 on `pods/portforward`).
 */
export class HttpNoAnswerError extends Error {
  readonly kind: 'connection' | 'tls' | 'timeout';
  readonly permanent: boolean;
  readonly timeoutMs?: number;

  constructor(kind: 'connection' | 'tls' | 'timeout', message: string, options: { cause?: unknown; timeoutMs?: number; permanent?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpNoAnswerError';
    this.kind = kind;
    this.permanent = options.permanent ?? kind === 'tls';
    if (options.timeoutMs !== undefined) this.timeoutMs = options.timeoutMs;
  }
}

/** One target's connection pool. */
export interface HttpTransport {
  /**
   * Sends one request and reads the whole answer, whatever its status. Rejects with HttpNoAnswerError when there
   * is no answer, and with the signal's reason when the caller aborts.
   */
  request(exchange: HttpExchange): Promise<HttpAnswer>;
  /** Waits for requests in flight, then closes every connection. */
  close(): Promise<void>;
}

/** Builds the undici connection pool for a target. */
export function createHttpTransport(target: HttpTarget, options: HttpTransportOptions = {}): HttpTransport {
  const origin = new URL(target.origin);
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
    throw new TypeError(`${target.description}: origin must be http:// or https://, got ${target.origin}`);
  }
  const https = origin.protocol === 'https:';
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
  const tlsOptions = https ? tlsConnectOptions(target, hostname) : undefined;

  const pool = new Pool(origin.origin, {
    connections: options.connections ?? 4,
    allowH2: false,
    connectTimeout: connectTimeoutMs,
    connect: target.openStream
      ? streamConnector(target.openStream, tlsOptions, connectTimeoutMs)
      : { ...tlsOptions, timeout: connectTimeoutMs },
  });

  return {
    async request(exchange) {
      return await send(pool, target, exchange);
    },
    async close() {
      await pool.close();
    },
  };
}

function tlsConnectOptions(target: HttpTarget, hostname: string): tls.ConnectionOptions {
  const material = target.tls ?? {};
  const servername = material.servername ?? (net.isIP(hostname) === 0 ? hostname : undefined);
  const options: tls.ConnectionOptions = {
    ALPNProtocols: ['http/1.1'],
    rejectUnauthorized: material.insecureSkipVerify !== true,
  };
  if (servername !== undefined) options.servername = servername;
  if (material.ca !== undefined) options.ca = material.ca;
  if (material.cert !== undefined) options.cert = material.cert;
  if (material.key !== undefined) options.key = material.key;
  if (material.servername === undefined) {
    // Verify against the origin's host (an IP is matched against IP SANs; SNI must not carry an IP).
    options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(hostname, cert);
  }
  return options;
}

/** undici connector speaking over `openStream()` streams: one stream per connection, TLS on top for https. */
function streamConnector(
  openStream: NonNullable<HttpTarget['openStream']>,
  tlsOptions: tls.ConnectionOptions | undefined,
  connectTimeoutMs: number,
): buildConnector.connector {
  return (_options, callback) => {
    let settled = false;
    const controller = new AbortController();
    let tlsSocket: tls.TLSSocket | undefined;
    const finish = (error: Error | null, socket?: Duplex) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) callback(error, null);
      else callback(null, socket as unknown as net.Socket);
    };
    const timer = setTimeout(() => {
      const error = new undiciErrors.ConnectTimeoutError(`Connect Timeout Error (opening a stream, timeout: ${connectTimeoutMs}ms)`);
      controller.abort(error);
      tlsSocket?.destroy();
      finish(error);
    }, connectTimeoutMs);

    openStream(controller.signal).then(
      (stream) => {
        if (settled) {
          stream.destroy();
          return;
        }
        if (!tlsOptions) {
          finish(null, stream);
          return;
        }
        const socket = tls.connect({ ...tlsOptions, socket: stream as unknown as net.Socket });
        tlsSocket = socket;
        // Errors of the raw stream end the TLS socket (and so reach undici); closing TLS releases the stream.
        stream.on('error', (error) => socket.destroy(error));
        socket.once('close', () => stream.destroy());
        socket.once('secureConnect', () => finish(null, socket));
        socket.once('error', (error) => {
          if (!settled) {
            finish(error);
            socket.destroy();
          }
        });
      },
      (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

const TIMEOUT = Symbol('timeout');

async function send(pool: Pool, target: HttpTarget, exchange: HttpExchange): Promise<HttpAnswer> {
  const { signal: callerSignal, timeoutMs } = exchange;
  callerSignal?.throwIfAborted();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const headers: Record<string, string> = { accept: exchange.accept ?? 'application/json, text/plain;q=0.9, */*;q=0.8' };
    if (exchange.jsonBody !== undefined) headers['content-type'] = 'application/json';
    const response = await pool.request({
      method: exchange.method,
      path: exchange.path,
      headers,
      body: exchange.jsonBody,
      signal: controller.signal,
    });
    const text = await response.body.text();
    const contentType = response.headers['content-type'];
    return { status: response.statusCode, contentType: Array.isArray(contentType) ? contentType.join(', ') : (contentType ?? ''), text };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (controller.signal.aborted && controller.signal.reason === TIMEOUT) {
      throw new HttpNoAnswerError('timeout', `no answer from ${target.description} within ${timeoutMs} ms`, { timeoutMs });
    }
    if (error instanceof undiciErrors.InvalidArgumentError) throw error;
    throw new HttpNoAnswerError(isCertificateError(error) ? 'tls' : 'connection', `cannot reach ${target.description}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      permanent: isCertificateError(error) || isDefiniteRefusal(error),
    });
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/** OpenSSL's verification failures and the server's certificate alerts (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`). */
const CERTIFICATE_ERROR_CODE = /CERT|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/;

function isCertificateError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && CERTIFICATE_ERROR_CODE.test(code);
}

/**
 * An error an `openStream` raised that will not go away by retrying: a UserError, or an error carrying a 4xx HTTP
 * `status` (the Kubernetes API refusing the port-forward: 401, 403, 404), except 408 and 429.
 */
function isDefiniteRefusal(error: unknown): boolean {
  if (error instanceof UserError) return true;
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
