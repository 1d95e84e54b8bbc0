/**
 * A ProcessFactory for testing the Kubernetes side without PD/TiKV: every container becomes a `ScriptedProcess`
 * whose readiness, exit and termination a test controls, optionally serving its ports with a TCP echo server on
 * 127.0.0.1 (so port-forward can be tested end to end).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { ContainerStart, LoopbackAddress, ProcessFactory, SimProcess } from '../process.ts';

export class ScriptedProcess implements SimProcess {
  readonly start: ContainerStart;
  readonly ports = new Map<number, LoopbackAddress>();
  ready: boolean;
  /** How terminate() behaves: 'exit' resolves at once, 'hang' never resolves (the kubelet must SIGKILL). */
  onTerminate: 'exit' | 'hang';
  terminated = false;
  killed = false;
  readinessChecks = 0;
  readonly #exitListeners: ((code: number) => void)[] = [];
  readonly #servers: Server[] = [];

  constructor(start: ContainerStart, options: { ready?: boolean; onTerminate?: 'exit' | 'hang' } = {}) {
    this.start = start;
    this.ready = options.ready ?? true;
    this.onTerminate = options.onTerminate ?? 'exit';
  }

  /** Serves each container port with a TCP echo server on 127.0.0.1. */
  async listen(): Promise<void> {
    for (const port of this.start.ports) {
      const server = createServer((socket) => {
        socket.on('error', () => {});
        socket.pipe(socket);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.#servers.push(server);
      this.ports.set(port, { host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    }
  }

  isReady(): boolean {
    this.readinessChecks++;
    return this.ready && !this.terminated && !this.killed;
  }

  terminate(): Promise<void> {
    this.terminated = true;
    if (this.onTerminate === 'hang') return new Promise(() => {});
    this.#close();
    return Promise.resolve();
  }

  kill(): void {
    this.killed = true;
    this.#close();
  }

  onExit(listener: (code: number) => void): void {
    this.#exitListeners.push(listener);
  }

  /** Simulates a crash: the process exits by itself with `code`. */
  crash(code = 1): void {
    this.#close();
    for (const l of this.#exitListeners) l(code);
  }

  #close(): void {
    for (const s of this.#servers.splice(0)) {
      s.close();
    }
    this.ports.clear();
  }
}

/** Makes ScriptedProcesses and remembers them, newest last. */
export class ScriptedProcessFactory implements ProcessFactory {
  readonly started: ScriptedProcess[] = [];
  /** Defaults for new processes. */
  ready = true;
  onTerminate: 'exit' | 'hang' = 'exit';
  serve = false;

  constructor(options: { ready?: boolean; onTerminate?: 'exit' | 'hang'; serve?: boolean } = {}) {
    this.ready = options.ready ?? true;
    this.onTerminate = options.onTerminate ?? 'exit';
    this.serve = options.serve ?? false;
  }

  async start(container: ContainerStart): Promise<SimProcess> {
    const process = new ScriptedProcess(container, { ready: this.ready, onTerminate: this.onTerminate });
    if (this.serve) await process.listen();
    this.started.push(process);
    return process;
  }

  /** The newest process of a pod. */
  latest(pod: string): ScriptedProcess | undefined {
    return this.started.filter((p) => p.start.podName === pod).at(-1);
  }

  /** Kills everything still running (test cleanup). */
  killAll(): void {
    for (const p of this.started) if (!p.killed) p.kill();
  }
}
