/**
 * `pods/<name>/portforward` over SPDY/3.1 — what `kubectl port-forward` speaks. kubectl ≥ 1.31 first asks for SPDY
 * tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`); the simulated API server declines that, as servers
 * without the tunnelling feature do, and kubectl falls back to the classic upgrade (`POST …/portforward`,
 * `Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`) served here.
 *
 * The protocol, as the kubelet's port-forward server runs it: for every local connection the client opens an
 * error stream and a data stream (SYN_STREAM, headers `streamtype`, `port`, `requestid`); the server answers each
 * with SYN_REPLY, pipes the data stream to the pod port and, when forwarding fails, writes the kubelet's message on
 * the error stream; both streams end with FIN when the pod side closes. PINGs are echoed, WINDOW_UPDATE/SETTINGS
 * ignored (Go's spdystream does no flow control). Header blocks are zlib streams with the SPDY/3 dictionary: client
 * blocks are inflated, our (empty) reply blocks are written as stored deflate blocks.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { inflateSync, constants as zlibConstants } from 'node:zlib';
import type { History } from '../history.ts';
import type { KubeFaults } from './kube-faults.ts';
import type { PortForwardResolver } from './port-forward.ts';

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): length-prefixed tokens, then text. */
function spdyDictionary(): Buffer {
  const tokens = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date',
    'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
    'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate',
    'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade',
    'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version',
    'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ];
  const tail = '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505'
    + '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized'
    + '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable'
    + 'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT'
    + 'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,'
    + 'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const token of tokens) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(token.length);
    parts.push(length, Buffer.from(token, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

export const SPDY_DICTIONARY = spdyDictionary();

/** Adler-32 (RFC 1950), for the zlib dictionary id. */
export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;

/** Encodes header blocks as one zlib stream (with the SPDY dictionary) made of stored deflate blocks, each block sync-flushed. */
class HeaderWriter {
  #started = false;

  block(headers: Record<string, string>): Buffer {
    const entries = Object.entries(headers);
    const nv: Buffer[] = [u32(entries.length)];
    for (const [name, value] of entries) {
      nv.push(u32(Buffer.byteLength(name)), Buffer.from(name.toLowerCase()), u32(Buffer.byteLength(value)), Buffer.from(value));
    }
    const data = Buffer.concat(nv);
    const parts: Buffer[] = [];
    if (!this.#started) {
      this.#started = true;
      const cmf = 0x78;
      let flg = 0x20; // FDICT
      flg += (31 - ((cmf * 256 + flg) % 31)) % 31;
      parts.push(Buffer.from([cmf, flg]), u32(adler32(SPDY_DICTIONARY)));
    }
    const stored = Buffer.alloc(5);
    stored[0] = 0x00; // BFINAL=0, BTYPE=00 (stored), padded to the byte
    stored.writeUInt16LE(data.length, 1);
    stored.writeUInt16LE(~data.length & 0xffff, 3);
    // An empty stored block after the data, like the sync flush of a real compressor: Go's flate reader hands out the
    // block's bytes on reaching it instead of reading past the frame (which it would report as a size error).
    parts.push(stored, data, Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** Decodes the client's header blocks: one zlib stream across all frames of the connection. */
class HeaderReader {
  #compressed = Buffer.alloc(0);
  #consumed = 0;

  block(compressed: Buffer): Record<string, string> {
    this.#compressed = Buffer.concat([this.#compressed, compressed]);
    const all = inflateSync(this.#compressed, { dictionary: SPDY_DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const data = all.subarray(this.#consumed);
    this.#consumed = all.length;
    const headers: Record<string, string> = {};
    let at = 4;
    const count = data.readUInt32BE(0);
    for (let i = 0; i < count; i++) {
      const nameLength = data.readUInt32BE(at);
      const name = data.subarray(at + 4, at + 4 + nameLength).toString();
      at += 4 + nameLength;
      const valueLength = data.readUInt32BE(at);
      headers[name] = data.subarray(at + 4, at + 4 + valueLength).toString().split('\0')[0];
      at += 4 + valueLength;
    }
    return headers;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | 3, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([header, payload]);
}

function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(streamId & 0x7fffffff, 0);
  header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([header, payload]);
}

interface StreamPair {
  data?: number;
  error?: number;
  port: number;
  tcp?: Socket;
  started: boolean;
}

/** Serves one upgraded SPDY port-forward connection. */
export function serveSpdyPortForward(
  socket: Duplex,
  head: Buffer,
  target: { namespace: string; pod: string; podUid: string },
  options: { resolver: PortForwardResolver | undefined; faults?: KubeFaults; history?: History; onClose: () => void },
): () => void {
  const writer = new HeaderWriter();
  const reader = new HeaderReader();
  const pairs = new Map<string, StreamPair>();
  const streamPair = new Map<number, StreamPair>();
  let buffer = Buffer.alloc(0);
  let closed = false;
  const send = (frame: Buffer) => {
    if (!closed && socket.writable) socket.write(frame);
  };
  const close = () => {
    if (closed) return;
    closed = true;
    for (const p of pairs.values()) p.tcp?.destroy();
    socket.destroy();
    options.onClose();
  };
  const sandbox = target.podUid.replace(/-/g, '');
  const finish = (pair: StreamPair) => {
    if (pair.data !== undefined) send(dataFrame(pair.data, FLAG_FIN, Buffer.alloc(0)));
    if (pair.error !== undefined) send(dataFrame(pair.error, FLAG_FIN, Buffer.alloc(0)));
  };

  const start = (pair: StreamPair) => {
    pair.started = true;
    const port = pair.port;
    const fail = (detail: string) => {
      const message = `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "/var/run/netns/cni-${target.podUid}": failed to connect to localhost:${port} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${port}: ${detail} IPv6 dial tcp6 [::1]:${port}: ${detail} `;
      if (pair.error !== undefined) send(dataFrame(pair.error, 0, Buffer.from(message)));
      finish(pair);
    };
    const address = options.resolver?.resolve(target.namespace, target.pod, port);
    if (!address) {
      fail('connect: connection refused');
      return;
    }
    const drop = options.faults?.takePortForwardDrop(target.namespace, target.pod, port);
    let sent = 0;
    let connected = false;
    // As the kubelet's Go dialer: TCP_NODELAY, or a request body written after its headers waits for a delayed ACK (40 ms).
    const tcp = connect({ host: address.host, port: address.port, noDelay: true });
    pair.tcp = tcp;
    tcp.on('connect', () => {
      connected = true;
      options.history?.record('kube', 'port-forward-connected', { namespace: target.namespace, pod: target.pod, port, protocol: 'spdy' });
    });
    tcp.on('data', (chunk: Buffer) => {
      if (drop && sent + chunk.length > drop.afterBytes) {
        const allowed = Math.max(0, drop.afterBytes - sent);
        if (allowed > 0 && pair.data !== undefined) send(dataFrame(pair.data, 0, chunk.subarray(0, allowed)));
        options.history?.record('kube', 'port-forward-dropped', { namespace: target.namespace, pod: target.pod, port, afterBytes: drop.afterBytes });
        close();
        return;
      }
      sent += chunk.length;
      if (pair.data !== undefined) send(dataFrame(pair.data, 0, chunk));
    });
    tcp.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) fail(`connect: ${error.code === 'ECONNREFUSED' ? 'connection refused' : error.message}`);
      else if (pair.error !== undefined) send(dataFrame(pair.error, 0, Buffer.from(`error forwarding port ${port} to pod ${sandbox}, uid : ${error.message}`)));
    });
    tcp.on('close', () => {
      if (connected) finish(pair);
    });
  };

  const onControl = (type: number, flags: number, payload: Buffer) => {
    switch (type) {
      case TYPE_SYN_STREAM: {
        const streamId = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = reader.block(payload.subarray(10));
        send(controlFrame(TYPE_SYN_REPLY, 0, Buffer.concat([u32(streamId), writer.block({})])));
        const requestId = headers.requestid ?? String(streamId);
        const port = Number(headers.port);
        const pair = pairs.get(requestId) ?? { port, started: false };
        pairs.set(requestId, pair);
        streamPair.set(streamId, pair);
        if (headers.streamtype === 'error') pair.error = streamId;
        else if (headers.streamtype === 'data') pair.data = streamId;
        if (pair.data !== undefined && pair.error !== undefined && !pair.started) start(pair);
        if ((flags & FLAG_FIN) !== 0 && headers.streamtype === 'data') pair.tcp?.end();
        break;
      }
      case TYPE_RST_STREAM: {
        const streamId = payload.readUInt32BE(0) & 0x7fffffff;
        streamPair.get(streamId)?.tcp?.destroy();
        break;
      }
      case TYPE_PING:
        send(controlFrame(TYPE_PING, 0, payload));
        break;
      case TYPE_GOAWAY:
        close();
        break;
      default:
        // SETTINGS, HEADERS, WINDOW_UPDATE: nothing to do (no flow control in Go's spdystream either).
        break;
    }
  };

  const onData = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 8) {
      const length = buffer.readUInt32BE(4) & 0xffffff;
      if (buffer.length < 8 + length) return;
      const flags = buffer[4];
      const payload = buffer.subarray(8, 8 + length);
      const control = (buffer[0] & 0x80) !== 0;
      if (control) {
        onControl(buffer.readUInt16BE(2), flags, payload);
      } else {
        const streamId = buffer.readUInt32BE(0) & 0x7fffffff;
        const pair = streamPair.get(streamId);
        if (pair && streamId === pair.data) {
          if (payload.length > 0) pair.tcp?.write(payload);
          if ((flags & FLAG_FIN) !== 0) pair.tcp?.end();
        }
      }
      buffer = buffer.subarray(8 + length);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      onData(chunk);
    } catch (error) {
      options.history?.record('kube', 'port-forward-protocol-error', { namespace: target.namespace, pod: target.pod, error: String(error) });
      close();
    }
  });
  socket.on('close', close);
  socket.on('error', close);
  if (head.length > 0) onData(head);
  return close;
}
