import { PortForward } from '@kubernetes/client-node';
import { Duplex, PassThrough, Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from './kube-error.ts';

/** A port-forward to a pod's port failed after the API server accepted it: the kubelet's error-channel text, with pod and port. */
export class PortForwardError extends Error {
  readonly namespace: string;
  readonly podName: string;
  readonly port: number;

  constructor(namespace: string, podName: string, port: number, message: string, options: { cause?: unknown } = {}) {
    super(`port-forward to pod ${namespace}/${podName} port ${port} failed: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PortForwardError';
    this.namespace = namespace;
    this.podName = podName;
    this.port = port;
  }
}

/** The parts of the `ws` WebSocket that client-node's PortForward returns and this module uses. */
interface PortForwardSocket {
  readyState: number;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause?(): void;
  resume?(): void;
  close(): void;
  terminate?(): void;
  /** ws's underlying TCP/TLS socket (private in ws; used only to ref/unref, when present). */
  _socket?: { ref?(): void; unref?(): void };
}

/**
 * Opens one client-node PortForward (one WebSocket) to `port` of a pod and returns it as a byte stream, coding around
 * client-node's defects (stack.md): the WebSocket closing ends the stream (client-node leaves the local side
 * hanging); the kubelet's error-channel text becomes a PortForwardError naming pod and port (client-node drops it
 * without an error stream); every error is delivered through the stream's 'error' event, none is unhandled.
 * A refused handshake (403 RBAC, 404 pod) is a KubeError naming `create pods/portforward`.
 */
export async function openPortForwardStream(
  config: KubeConfig,
  namespace: string,
  podName: string,
  port: number,
  options: { signal?: AbortSignal; server: string; handshakeTimeoutMs?: number },
): Promise<Duplex> {
  options.signal?.throwIfAborted();
  const stream = new PortForwardStream(namespace, podName, port);
  const operation = { verb: 'create', resource: 'pods/portforward', namespace, name: podName, server: options.server };
  let socket: PortForwardSocket;
  try {
    const connecting = new PortForward(config, true).portForward(namespace, podName, [port], stream.output, stream.errors, stream.input) as Promise<unknown>;
    socket = (await raceAbort(connecting, options.signal, (late) => (late as PortForwardSocket).close())) as PortForwardSocket;
  } catch (error) {
    stream.destroy();
    if (options.signal?.aborted) throw options.signal.reason;
    throw handshakeError(operation, error);
  }
  stream.attach(socket);
  return stream;
}

/** The local end of one port-forward: writes go to the pod's port, the pod's bytes are read. */
class PortForwardStream extends Duplex {
  /** client-node reads what we write from here (its "stdin"). */
  readonly input = new PassThrough();
  /** client-node writes the pod's bytes here (its "stdout"). */
  readonly output: Writable;
  /** client-node writes the error channel here (its "stderr"). */
  readonly errors: Writable;
  readonly #namespace: string;
  readonly #podName: string;
  readonly #port: number;
  #socket: PortForwardSocket | undefined;
  #errorText = '';
  #paused = false;

  constructor(namespace: string, podName: string, port: number) {
    // When the pod's side ends, our side ends too (a socket, not a half-open pipe).
    super({ allowHalfOpen: false });
    this.#namespace = namespace;
    this.#podName = podName;
    this.#port = port;
    this.output = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (!this.push(chunk) && !this.#paused) {
          this.#paused = true;
          this.#socket?.pause?.();
        }
        callback();
      },
    });
    this.errors = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        // The first frame of the channel carries only the port number, which client-node strips: nothing to say yet.
        if (chunk.length === 0) return callback();
        this.#errorText += chunk.toString('utf8');
        callback();
        // The kubelet sends its message, then closes; report it now so that a reader does not wait for the close.
        queueMicrotask(() => this.#fail(new PortForwardError(this.#namespace, this.#podName, this.#port, this.#errorText.trim() || 'unknown error')));
      },
    });
    // Nobody else listens to these: their failures are ours.
    this.input.on('error', (error) => this.destroy(error));
    this.output.on('error', (error) => this.destroy(error));
    this.errors.on('error', (error) => this.destroy(error));
  }

  attach(socket: PortForwardSocket): void {
    this.#socket = socket;
    socket.on('error', (error) => this.#fail(new PortForwardError(this.#namespace, this.#podName, this.#port, error.message, { cause: error })));
    socket.on('close', (code, reason) => {
      if (this.destroyed) return;
      if (this.#errorText) {
        this.#fail(new PortForwardError(this.#namespace, this.#podName, this.#port, this.#errorText.trim()));
        return;
      }
      // 1000 (normal) and 1005 (no status) are how the kubelet ends a forward whose connection closed.
      if (code !== 1000 && code !== 1005) {
        const why = reason?.length ? reason.toString('utf8') : `WebSocket closed with code ${code}`;
        this.#fail(new PortForwardError(this.#namespace, this.#podName, this.#port, why));
        return;
      }
      this.push(null);
    });
    if (this.destroyed) socket.close();
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#socket?.resume?.();
    }
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.input.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // client-node closes the WebSocket when its input ends (v4 channels cannot half-close).
    this.input.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket && socket.readyState <= 1) {
      if (socket.terminate) socket.terminate();
      else socket.close();
    }
    this.input.destroy();
    callback(error);
  }

  /** undici unrefs idle connections so that they do not keep the process alive; pass that to the WebSocket's socket. */
  ref(): this {
    this.#socket?._socket?.ref?.();
    return this;
  }

  unref(): this {
    this.#socket?._socket?.unref?.();
    return this;
  }

  #fail(error: Error): void {
    if (!this.destroyed) this.destroy(error);
  }
}

/** Maps client-node's handshake failure (a ws ErrorEvent "Unexpected server response: 403") to a KubeError. */
function handshakeError(operation: { verb: string; resource: string; namespace: string; name: string; server: string }, error: unknown): KubeError {
  const inner = (error as { error?: unknown })?.error instanceof Error ? (error as { error: Error }).error : error;
  const message = (inner as { message?: string })?.message ?? String(inner);
  const status = /Unexpected server response: (\d{3})/.exec(message);
  const code = status ? Number(status[1]) : 0;
  const explanation: Record<number, string> = {
    401: 'the credentials were rejected',
    403: `forbidden: creating pods/portforward in namespace "${operation.namespace}" is not allowed`,
    404: `pod "${operation.name}" not found`,
    400: `pod "${operation.name}" cannot be forwarded to (not scheduled or not running?)`,
    500: `the API server could not reach pod "${operation.name}" (not running?)`,
  };
  return new KubeError({
    ...operation,
    status: code,
    reason: code === 403 ? 'Forbidden' : code === 404 ? 'NotFound' : undefined,
    serverMessage: explanation[code] ?? message,
    cause: inner instanceof Error ? inner : new Error(message),
  });
}

/** Resolves as `promise`, or rejects with the signal's reason; a value that arrives after the abort is disposed of. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, dispose: (late: T) => void): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) dispose(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
