import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ContainerStart, LoopbackAddress, SimProcess } from '../process.ts';
import type { MemberRecord, PdCluster } from './pd-cluster.ts';
import type { RequestFault } from './pd-faults.ts';
import { imageVersion } from './sim-image.ts';
import { jsonAnswer, servePd, serveReady, textAnswer, v2NotFound, type PdHttpAnswer } from './pd-http.ts';

const REDIRECTOR_HEADER = 'pd-redirector';
const ALLOW_FOLLOWER_HEADER = 'pd-allow-follower-handle';

/**
 * One PD member: an HTTP(S) server on 127.0.0.1:0 for container port 2379. It joins the cluster's membership
 * after `pdStartMs`; requests reach PD's router on the leader, followers proxy them to the leader over loopback
 * (as PD's redirector does), and with no leader they answer 503. A stopped member refuses connections.
 */
export class PdMemberProcess implements SimProcess {
  readonly ports = new Map<number, LoopbackAddress>();
  readonly name: string;
  readonly #cluster: PdCluster;
  readonly #server: http.Server | https.Server;
  readonly #container: ContainerStart;
  readonly #exitListeners: ((code: number) => void)[] = [];
  readonly #sockets = new Set<import('node:net').Socket>();
  #member: MemberRecord | undefined;
  #startTimer?: () => void;
  #exited = false;

  constructor(cluster: PdCluster, container: ContainerStart, server: http.Server | https.Server) {
    this.#cluster = cluster;
    this.#container = container;
    this.#server = server;
    this.name = argValue(container.args, '--name') ?? container.podName;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.#handle(req, res));
  }

  /** @internal Starts listening and schedules joining the membership. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.#server.address() as AddressInfo;
    this.ports.set(2379, { host: '127.0.0.1', port: address.port });
    this.#startTimer = this.#cluster.clock.after(this.#cluster.timing.pdStartMs, () => {
      this.#startTimer = undefined;
      if (this.#exited) return;
      const scheme = this.#cluster.tls ? 'https' : 'http';
      const c = this.#container;
      const host = c.subdomain ? `${c.hostname}.${c.subdomain}.${c.namespace}.svc` : `${c.hostname}.${c.namespace}.svc`;
      this.#member = this.#cluster.memberStarted({
        name: this.name,
        clientUrl: argValue(c.args, '--advertise-client-urls') ?? `${scheme}://${host}:2379`,
        peerUrl: argValue(c.args, '--advertise-peer-urls') ?? `${scheme}://${host}:2380`,
        binaryVersion: versionOfImage(c.image, this.#cluster.profile.version),
        loopback: { host: '127.0.0.1', port: address.port },
      });
    });
  }

  /** Ready once it joined the membership (PD's readiness probe is a TCP check that passes once it serves). */
  isReady(): boolean {
    return Boolean(this.#member?.running);
  }

  /** SIGTERM: a leader resigns at once (no lease wait), then the process exits. */
  async terminate(): Promise<void> {
    if (this.#exited) return;
    const wasLeader = this.#cluster.isLeader(this.name);
    this.#stop();
    if (wasLeader) this.#cluster.setLeaderForFault(undefined);
    await this.#closeServer();
  }

  /** SIGKILL: gone at once; followers notice after the leader lease expires. */
  kill(): void {
    if (this.#exited) return;
    this.#stop();
    void this.#closeServer();
  }

  onExit(listener: (code: number) => void): void {
    this.#exitListeners.push(listener);
  }

  /** Crashes the process (exit code 1), as a fault. */
  crash(code = 1): void {
    if (this.#exited) return;
    this.#stop();
    void this.#closeServer();
    for (const l of this.#exitListeners) l(code);
  }

  #stop(): void {
    this.#exited = true;
    this.#startTimer?.();
    this.#cluster.memberStopped(this.name);
    this.ports.clear();
  }

  async #closeServer(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    let answer: PdHttpAnswer;
    try {
      answer = await this.#answer(req, method, url, body);
    } catch (error) {
      answer = textAnswer(500, `simulator error: ${(error as Error).message}`);
    }
    if (this.#exited) {
      req.socket.destroy();
      return;
    }
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    this.#cluster.history.record('pd', 'pd-request', {
      method,
      path: url,
      status: answer.status,
      remote,
      member: this.name,
      redirectedFrom: req.headers[REDIRECTOR_HEADER] ?? null,
    });
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  async #answer(req: http.IncomingMessage, method: string, url: string, body: string): Promise<PdHttpAnswer> {
    const cluster = this.#cluster;
    const p = cluster.profile;
    const path = url.split('?')[0];
    const fault = this.#matchFault(method, path);
    if (fault) {
      if (fault.delayMs) await cluster.clock.sleep(fault.delayMs);
      if (fault.status !== undefined) {
        return fault.body !== undefined
          ? { status: fault.status, headers: { 'Content-Type': 'application/json; charset=UTF-8' }, body: fault.body }
          : jsonAnswer(fault.status, '[PD:simulator:ErrInjected]injected fault');
      }
    }
    const member = this.#member;
    if (!member?.running) {
      return textAnswer(500, p.major >= 4 ? '[PD:server:ErrServerNotStarted]server not started' : 'server not started');
    }
    if (path.startsWith('/pd/api/v2/')) {
      return path === '/pd/api/v2/ready' ? serveReady(cluster, member, new URL(url, 'http://pd')) : v2NotFound(cluster);
    }
    if (!path.startsWith('/pd/')) return textAnswer(404, '404 page not found');
    const allowFollower = Boolean(req.headers[ALLOW_FOLLOWER_HEADER]);
    const forwardedFor = req.headers['x-forwarded-for'];
    const remote = typeof forwardedFor === 'string' ? forwardedFor : `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    if (allowFollower || cluster.isLeader(this.name)) return servePd(cluster, member, { method, url, body, remote });
    if (req.headers[REDIRECTOR_HEADER]) {
      return textAnswer(500, p.waitForLeader ? '[PD:apiutil:ErrRedirectToNotLeader]redirect to not leader' : 'redirect to not leader');
    }
    let leader = cluster.leaderMember();
    if (!leader && p.waitForLeader) leader = await this.#waitForLeader();
    if (!leader) return textAnswer(503, p.waitForLeader ? '[PD:apiutil:ErrRedirectNoLeader]redirect finds no leader' : 'no leader');
    if (leader.name === this.name) return servePd(cluster, member, { method, url, body, remote });
    return this.#proxy(leader, req, method, url, body, remote);
  }

  async #waitForLeader(): Promise<MemberRecord | undefined> {
    // PD's redirector: back off 100 ms, doubling, for at most 3 s.
    let interval = 100;
    let waited = 0;
    while (waited < 3_000) {
      const step = Math.min(interval, 3_000 - waited);
      await this.#cluster.clock.sleep(step);
      waited += step;
      interval *= 2;
      const leader = this.#cluster.leaderMember();
      if (leader) return leader;
      if (this.#exited) return undefined;
    }
    return undefined;
  }

  #matchFault(method: string, path: string): RequestFault | undefined {
    const faults = this.#cluster.faults.requestFaults;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i];
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.member && f.member !== this.name) continue;
      if (typeof f.path === 'string' ? !path.startsWith(f.path) : !f.path.test(path)) continue;
      if (f.times !== undefined) {
        f.times--;
        if (f.times <= 0) faults.splice(i, 1);
      }
      return f;
    }
    return undefined;
  }

  #proxy(leader: MemberRecord, req: http.IncomingMessage, method: string, url: string, body: string, remote: string): Promise<PdHttpAnswer> {
    const cluster = this.#cluster;
    const failed = (): PdHttpAnswer =>
      textAnswer(500, cluster.profile.major >= 4 ? '[PD:apiutil:ErrRedirect]redirect failed' : 'redirect failed');
    if (!leader.running || !leader.loopback) return Promise.resolve(failed());
    const headers: Record<string, string> = {
      [REDIRECTOR_HEADER]: this.name,
      'x-forwarded-for': remote,
      'content-length': String(Buffer.byteLength(body)),
    };
    if (req.headers['content-type']) headers['content-type'] = String(req.headers['content-type']);
    const tls = cluster.tls;
    const options: https.RequestOptions = {
      host: leader.loopback.host,
      port: leader.loopback.port,
      method,
      path: url,
      headers,
      ...(tls ? { ca: tls.ca, cert: tls.clientCert ?? tls.cert, key: tls.clientKey ?? tls.key, servername: 'localhost', checkServerIdentity: () => undefined } : {}),
    };
    return new Promise((resolve) => {
      const request = (tls ? https : http).request(options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const out: Record<string, string> = {};
          for (const name of ['content-type', 'x-content-type-options']) {
            const v = response.headers[name];
            if (typeof v === 'string') out[name === 'content-type' ? 'Content-Type' : 'X-Content-Type-Options'] = v;
          }
          resolve({ status: response.statusCode ?? 500, headers: out, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', () => resolve(failed()));
      });
      request.on('error', () => resolve(failed()));
      request.end(body);
    });
  }
}

/** Starts a PD member for a container (the kubelet's ProcessFactory calls this through PdCluster). */
export async function startPdMember(cluster: PdCluster, container: ContainerStart): Promise<PdMemberProcess> {
  const tls = cluster.tls;
  const server = tls
    ? https.createServer({
        key: tls.key,
        cert: tls.cert,
        ca: tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
        // PD serves gRPC (HTTP/2) and its HTTP API on one port and offers h2: a client that accepts h2 for the
        // HTTP API does not get an HTTP/1.1 answer (real PD hands it to the gRPC server; here the connection fails).
        ALPNProtocols: ['h2', 'http/1.1'],
      })
    : http.createServer();
  const process = new PdMemberProcess(cluster, container, server);
  await process.listen();
  return process;
}

function argValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}

function versionOfImage(image: string, fallback: string): string {
  const v = imageVersion(image);
  return v ? `v${v}` : fallback;
}
