/**
 * `pods/<name>/portforward` over WebSocket, framed as the kubelet's websocket port-forward handler does:
 * subprotocol `v4.channel.k8s.io` (binary; `v4.base64.channel.k8s.io` and the unnamed legacy protocol also
 * accepted), per requested port i a data channel 2i and an error channel 2i+1, each WebSocket message = one channel
 * byte + payload, and the first message on every channel carries the port number (uint16 little-endian). The
 * connection goes to the loopback address the kubelet registered for (pod, port); when nothing serves the port the
 * error channel gets the kubelet's message and the WebSocket closes, as on a real node.
 */
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { LoopbackAddress } from '../process.ts';
import type { History } from '../history.ts';
import type { KubeFaults } from './kube-faults.ts';

/** Where a pod's container port is served (the kubelet's `resolve`). */
export interface PortForwardResolver {
  resolve(namespace: string, pod: string, port: number): LoopbackAddress | undefined;
}

export const portForwardProtocols = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** Parses `?ports=2379,20180` (also repeated `ports=`), as the kubelet does; throws a message on bad input. */
export function parsePorts(url: URL): number[] {
  const raw = url.searchParams.getAll('ports').flatMap((p) => p.split(','));
  if (raw.length === 0) throw new Error('query parameter "port" is required');
  return raw.map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`unable to parse "${p}" as a port: invalid syntax`);
    return n;
  });
}

/** Accepts WebSocket upgrades for port-forward and runs their streams. */
export class PortForwardHandler {
  readonly #wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => portForwardProtocols.find((p) => offered.has(p)) ?? false,
  });
  readonly #resolver: () => PortForwardResolver | undefined;
  readonly #faults: KubeFaults | undefined;
  readonly #history: History | undefined;
  readonly #open = new Set<{ ws: WebSocket; sockets: Socket[] }>();

  constructor(options: { resolver: () => PortForwardResolver | undefined; faults?: KubeFaults; history?: History }) {
    this.#resolver = options.resolver;
    this.#faults = options.faults;
    this.#history = options.history;
  }

  /** Completes the upgrade and starts forwarding `ports` of the pod (whose uid names the sandbox in errors). */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, target: { namespace: string; pod: string; podUid: string; ports: number[] }): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#run(ws, target));
  }

  /** Closes every forwarding connection (server shutdown). */
  closeAll(): void {
    for (const c of this.#open) {
      c.ws.terminate();
      for (const s of c.sockets) s.destroy();
    }
    this.#open.clear();
    this.#wss.close();
  }

  #run(ws: WebSocket, target: { namespace: string; pod: string; podUid: string; ports: number[] }): void {
    const base64 = ws.protocol === 'v4.base64.channel.k8s.io';
    const send = (channel: number, payload: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      if (base64) ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'));
      else ws.send(Buffer.concat([Buffer.from([channel]), payload]));
    };
    const entry = { ws, sockets: [] as Socket[] };
    this.#open.add(entry);
    const sockets = new Map<number, Socket>();
    let remaining = target.ports.length;
    const portDone = () => {
      remaining--;
      if (remaining <= 0 && ws.readyState === ws.OPEN) ws.close(1000);
    };
    for (const [i, port] of target.ports.entries()) {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      send(2 * i, portBytes);
      send(2 * i + 1, portBytes);
      const drop = this.#faults?.takePortForwardDrop(target.namespace, target.pod, port);
      const address = this.#resolver()?.resolve(target.namespace, target.pod, port);
      const refused = (detail: string) => {
        const sandbox = target.podUid.replace(/-/g, '');
        send(2 * i + 1, Buffer.from(
          `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "/var/run/netns/cni-${target.podUid}": failed to connect to localhost:${port} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${port}: ${detail} IPv6 dial tcp6 [::1]:${port}: ${detail} `,
        ));
        portDone();
      };
      if (!address) {
        refused('connect: connection refused');
        continue;
      }
      // As the kubelet's Go dialer: TCP_NODELAY, or a request body written after its headers waits for a delayed ACK (40 ms).
      const tcp = connect({ host: address.host, port: address.port, noDelay: true });
      entry.sockets.push(tcp);
      sockets.set(2 * i, tcp);
      let sent = 0;
      let connected = false;
      tcp.on('connect', () => {
        connected = true;
        this.#history?.record('kube', 'port-forward-connected', { namespace: target.namespace, pod: target.pod, port });
      });
      tcp.on('data', (chunk: Buffer) => {
        if (drop && sent + chunk.length > drop.afterBytes) {
          const allowed = Math.max(0, drop.afterBytes - sent);
          if (allowed > 0) send(2 * i, chunk.subarray(0, allowed));
          this.#history?.record('kube', 'port-forward-dropped', { namespace: target.namespace, pod: target.pod, port, afterBytes: drop.afterBytes });
          ws.terminate();
          for (const s of sockets.values()) s.destroy();
          return;
        }
        sent += chunk.length;
        send(2 * i, chunk);
      });
      tcp.on('error', (error: NodeJS.ErrnoException) => {
        if (!connected) refused(`connect: ${error.code === 'ECONNREFUSED' ? 'connection refused' : error.message}`);
        else {
          send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${target.podUid.replace(/-/g, '')}, uid : ${error.message}`));
          portDone();
        }
      });
      tcp.on('close', () => {
        sockets.delete(2 * i);
        if (connected) portDone();
      });
    }
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let channel: number;
      if (!isBinary && base64) {
        const text = buffer.toString('utf8');
        channel = text.charCodeAt(0) - 48;
        buffer = Buffer.from(text.slice(1), 'base64');
      } else {
        channel = buffer[0];
        buffer = buffer.subarray(1);
      }
      const tcp = sockets.get(channel);
      if (tcp && buffer.length > 0) tcp.write(buffer);
    });
    ws.on('close', () => {
      for (const s of sockets.values()) s.end();
      this.#open.delete(entry);
    });
    ws.on('error', () => {
      for (const s of sockets.values()) s.destroy();
    });
  }
}
