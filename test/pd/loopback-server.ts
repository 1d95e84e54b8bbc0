import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * A scripted HTTP(S) server on 127.0.0.1:0 for client tests: answers what the handler says, byte for byte, and
 * records every request. `close()` ends every connection, hanging ones included.
 */

export interface RecordedRequest {
  method: string;
  /** Path with query. */
  path: string;
  body: string;
  contentType: string | undefined;
  /** Common name of the client certificate, when the server asked for one and got it. */
  clientCertCommonName?: string;
  /** The protocol ALPN settled on for a TLS connection (`http/1.1`), `false` when none was negotiated. */
  alpnProtocol?: string | false;
}

export type Reply =
  | { status: number; body?: string; contentType?: string }
  /** Never answer (until the server closes). */
  | 'hang'
  /** Drop the connection without answering. */
  | 'reset';

export interface LoopbackServer {
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  connectionCount(): number;
  close(): Promise<void>;
}

export interface LoopbackTls {
  key: string;
  cert: string;
  /** CA that client certificates must chain to; with it, the server requires one. */
  clientCa?: string;
  /** ALPN protocols the server offers, in preference order (e.g. `['h2', 'http/1.1']`, as PD's gRPC+HTTP port does). */
  alpnProtocols?: string[];
}

export async function startLoopbackServer(
  handler: (request: RecordedRequest) => Reply | Promise<Reply>,
  options: { tls?: LoopbackTls } = {},
): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        contentType: req.headers['content-type'],
      };
      const socket = req.socket as TLSSocket;
      if (typeof socket.getPeerCertificate === 'function') {
        const cn = socket.getPeerCertificate()?.subject?.CN;
        if (typeof cn === 'string') recorded.clientCertCommonName = cn;
        recorded.alpnProtocol = socket.alpnProtocol ?? false;
      }
      requests.push(recorded);
      Promise.resolve(handler(recorded)).then(
        (reply) => {
          if (reply === 'hang') return;
          if (reply === 'reset') {
            req.socket.destroy();
            return;
          }
          const body = reply.body ?? '';
          const headers: Record<string, string> = { 'content-length': String(Buffer.byteLength(body)) };
          if (reply.contentType !== undefined) headers['content-type'] = reply.contentType;
          res.writeHead(reply.status, headers);
          res.end(body);
        },
        (error: unknown) => {
          res.writeHead(599, { 'content-type': 'text/plain' });
          res.end(`fixture handler failed: ${String(error)}`);
        },
      );
    });
  };

  const server: http.Server = options.tls
    ? https.createServer(
        {
          key: options.tls.key,
          cert: options.tls.cert,
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          ...(options.tls.alpnProtocols ? { ALPNProtocols: options.tls.alpnProtocols } : {}),
        },
        listener,
      )
    : http.createServer(listener);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  if (options.tls) {
    // Failed handshakes never become secure connections; still end their sockets on close.
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    connectionCount: () => connections,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A JSON answer as PD renders it. */
export function pdAnswer(status: number, body: string): Reply {
  return { status, body, contentType: 'application/json; charset=UTF-8' };
}
