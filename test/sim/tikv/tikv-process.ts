import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { ContainerStart, LoopbackAddress, SimProcess } from '../process.ts';
import { PdUnavailableError, simGitHash, type PdCluster, type StoreRecord } from '../pd/pd-cluster.ts';
import { imageVersion } from '../pd/sim-image.ts';
import { versionAtLeast } from '../pd/pd-version.ts';
import { renderTikvMetrics } from './tikv-metrics-text.ts';

/**
 * One TiKV: a status server (container port 20180: Prometheus `/metrics` with the store's own leader and region
 * counts, `/status`) and a plain TCP listener for port 20160 (readiness probes are TCP checks there). After
 * `tikvBootMs` it registers with PD (same address → same store id, new start_timestamp), runs raft, and sends a
 * store heartbeat every 10 s, the first ~10 s after registering.
 *
 * SIGTERM (`terminate()`): TiKV ≥ 8.5.5 reports `is_stopping` at once and waits until PD's
 * evict-stopping-store-scheduler moved its leaders away, for at most graceful-shutdown-timeout (20 s); older TiKV
 * exits after a short shutdown, leaving its leaders to the election timeout of their followers. SIGKILL
 * (`kill()`) stops at once.
 */
export class TikvProcess implements SimProcess {
  readonly ports = new Map<number, LoopbackAddress>();
  readonly podName: string;
  readonly version: string;
  readonly address: string;
  readonly statusAddress: string;
  readonly #cluster: PdCluster;
  readonly #container: ContainerStart;
  readonly #statusServer: http.Server | https.Server;
  readonly #raftServer: net.Server;
  readonly #sockets = new Set<Socket>();
  readonly #exitListeners: ((code: number) => void)[] = [];
  readonly #timers: (() => void)[] = [];
  readonly #startedAtSec = Math.floor(Date.now() / 1000);
  #store: StoreRecord | undefined;
  #registered = false;
  #stopping = false;
  #exited = false;
  #terminating: Promise<void> | undefined;

  constructor(cluster: PdCluster, container: ContainerStart) {
    this.#cluster = cluster;
    this.#container = container;
    this.podName = container.podName;
    this.version = imageVersion(container.image) ?? '8.5.0';
    const host = container.subdomain
      ? `${container.hostname}.${container.subdomain}.${container.namespace}.svc`
      : `${container.hostname}.${container.namespace}.svc`;
    this.address = argValue(container.args, '--advertise-addr') ?? `${host}:20160`;
    this.statusAddress = argValue(container.args, '--advertise-status-addr') ?? `${host}:20180`;
    const tls = cluster.tls;
    this.#statusServer = tls
      ? https.createServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: true })
      : http.createServer();
    this.#statusServer.on('request', (req, res) => this.#serveStatus(req, res));
    this.#raftServer = net.createServer((socket) => {
      // Nothing speaks gRPC to the simulated store; a TCP probe only needs the accept.
      socket.on('error', () => {});
      socket.end();
    });
    for (const server of [this.#statusServer, this.#raftServer]) {
      server.on('connection', (socket: Socket) => {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
      });
    }
  }

  /** The store id once registered. */
  get storeId(): number | undefined {
    return this.#store?.storeId;
  }

  /** @internal Opens the listeners and schedules the boot. */
  async listen(): Promise<void> {
    const listen = (server: net.Server): Promise<number> =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
      });
    this.ports.set(20160, { host: '127.0.0.1', port: await listen(this.#raftServer) });
    this.ports.set(20180, { host: '127.0.0.1', port: await listen(this.#statusServer) });
    const fault = this.#cluster.tikvFault(this.podName);
    this.#after(fault.bootMs ?? this.#cluster.timing.tikvBootMs, () => this.#register());
  }

  /** Ready (the TCP probe on 20160 would pass and the store serves) once registered with PD. */
  isReady(): boolean {
    return this.#registered && !this.#exited;
  }

  async terminate(): Promise<void> {
    if (this.#exited) return;
    if (this.#terminating) return this.#terminating;
    this.#terminating = this.#gracefulStop();
    return this.#terminating;
  }

  kill(): void {
    this.#exit('killed');
  }

  onExit(listener: (code: number) => void): void {
    this.#exitListeners.push(listener);
  }

  /** Crashes the process now (exit code 139), as a fault. */
  crash(code = 139): void {
    if (this.#exited) return;
    this.#exit('crashed');
    for (const l of this.#exitListeners) l(code);
  }

  async #gracefulStop(): Promise<void> {
    const cluster = this.#cluster;
    const fault = cluster.tikvFault(this.podName);
    const store = this.#store;
    if (store && this.#registered && versionAtLeast(this.version, 8, 5, 5) && !fault.noGracefulShutdown) {
      this.#stopping = true;
      cluster.history.record('tikv', 'tikv-stopping', { storeId: store.storeId, podName: this.podName });
      cluster.storeHeartbeat(store.storeId, { stopping: true });
      await cluster.waitLeadersZero(store.storeId, cluster.timing.gracefulShutdownTimeoutMs);
    } else {
      await cluster.clock.sleep(cluster.timing.tikvShutdownMs);
    }
    this.#exit('terminated');
  }

  #after(realMs: number, fn: () => void): void {
    this.#timers.push(this.#cluster.clock.after(realMs, fn));
  }

  #register(): void {
    if (this.#exited || this.#cluster.stopped) return;
    const cluster = this.#cluster;
    const fault = cluster.tikvFault(this.podName);
    if (fault.neverRegister) return;
    try {
      this.#store = cluster.registerStore({
        address: this.address,
        statusAddress: this.statusAddress,
        // TiKV advertises its raft address as the peer address too.
        peerAddress: this.address,
        version: this.version,
        gitHash: simGitHash(`tikv-${this.version}`),
        deployPath: '/',
        labels: parseLabels(argValue(this.#container.args, '--labels')),
        podName: this.podName,
      });
    } catch (error) {
      if (error instanceof PdUnavailableError) {
        this.#after(cluster.timing.tikvPdRetryMs, () => this.#register());
        return;
      }
      throw error;
    }
    this.#registered = true;
    const storeId = this.#store.storeId;
    cluster.storeRunning(storeId);
    if (!fault.neverHeartbeat) {
      this.#timers.push(cluster.clock.every(cluster.timing.storeHeartbeatMs, () => {
        if (this.#exited) return;
        // Set while this process has not yet shown PD it runs (no heartbeat stamped after its start second), the fault
        // hangs it too: a TiKV that registered and then never heartbeats. A process PD already saw running keeps on.
        if (cluster.tikvFault(this.podName).neverHeartbeat && !cluster.stores.get(storeId)?.heartbeatAfterStartSeen) return;
        cluster.storeHeartbeat(storeId, { stopping: this.#stopping });
      }));
    }
    if (fault.crashAfterMs !== undefined) this.#after(fault.crashAfterMs, () => this.crash());
  }

  #exit(reason: string): void {
    if (this.#exited) return;
    this.#exited = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.length = 0;
    if (this.#store && this.#registered) this.#cluster.storeStopped(this.#store.storeId, reason);
    this.#registered = false;
    this.ports.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#statusServer.close();
    this.#raftServer.close();
  }

  #serveStatus(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    let status = 404;
    let body = '';
    const headers: Record<string, string> = {};
    if (req.method === 'GET' && path === '/metrics') {
      status = 200;
      headers['Content-Type'] = 'text/plain; version=0.0.4';
      body = this.#metrics();
    } else if (req.method === 'GET' && path === '/status') {
      status = 200;
    }
    this.#cluster.history.record('tikv', 'tikv-request', {
      method: req.method,
      path: req.url,
      status,
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      podName: this.podName,
      storeId: this.#store?.storeId ?? null,
    });
    res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  #metrics(): string {
    const regions = this.#cluster.regions;
    const storeId = this.#registered ? this.#store?.storeId : undefined;
    const leaderCount = storeId ? regions.leaderCount(storeId) : 0;
    const regionCount = storeId ? regions.peerCount(storeId) : 0;
    let leaderMissing = 0;
    if (storeId) for (const id of regions.peerRegionIds(storeId)) if (regions.region(id)!.leaderStoreId === 0) leaderMissing++;
    return renderTikvMetrics({
      leaderCount,
      regionCount,
      leaderMissing,
      processStartSec: this.#startedAtSec,
      capacityBytes: this.#store?.capacityBytes ?? 2_000_398_934_016,
      usedBytes: regionCount * 80 * 1024 * 1024,
    });
  }
}

/** Starts a TiKV for a container (the kubelet's ProcessFactory calls this through PdCluster). */
export async function startTikvProcess(cluster: PdCluster, container: ContainerStart): Promise<TikvProcess> {
  const process = new TikvProcess(cluster, container);
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

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const [k, v] = pair.split('=');
    if (k && v !== undefined) labels[k.trim()] = v.trim();
  }
  return labels;
}
