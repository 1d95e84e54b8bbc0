import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryEntry } from '../test/sim/history.ts';
import type { SimReply, SimRequest, SimServerOptions } from './sim-server.ts';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sim-server.ts');

type Pending = { resolve: (reply: SimReply) => void; reject: (error: Error) => void };
/** What a request is answered with. */
type ReplyTo<T extends SimRequest['type']> = T extends 'dump' ? Extract<SimReply, { type: 'dumped' }> : T extends 'settle' ? Extract<SimReply, { type: 'settled' }> : Extract<SimReply, { type: 'stopped' }>;

/**
 * A simulated cluster running in a child process (`bench/sim-server.ts`), so that the CLI under measurement shares
 * nothing with it. `history()` brings the simulator's History entries recorded since the last call over.
 */
export class SimProcess {
  readonly kubeconfig: string;
  readonly tikvPods: string[];
  readonly namespace: string;
  readonly clusterName: string;
  readonly pid: number;
  /** Wall ms the cluster took to start and settle. */
  readonly startMs: number;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #scratch: string;
  #nextId = 1;
  #historyIndex = 0;
  #leaderCounts: Record<number, number> = {};
  #exited: Promise<void>;

  private constructor(child: ChildProcess, ready: Extract<SimReply, { type: 'ready' }>, scratch: string) {
    this.#child = child;
    this.#scratch = scratch;
    this.kubeconfig = ready.kubeconfig;
    this.tikvPods = ready.tikvPods;
    this.namespace = ready.namespace;
    this.clusterName = ready.clusterName;
    this.pid = child.pid!;
    this.startMs = ready.startMs;
    this.#historyIndex = 0;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (reply: SimReply) => {
      const id = 'id' in reply ? reply.id : undefined;
      const pending = id === undefined ? undefined : this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id!);
      if (reply.type === 'error') pending.reject(new Error(`simulated cluster: ${reply.message}`));
      else pending.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`the simulated cluster exited (${signal ?? code})`));
      this.#pending.clear();
    });
  }

  /** Forks the simulator with these options and resolves once its cluster is settled. */
  static async start(options: SimServerOptions, scratchDir: string): Promise<SimProcess> {
    const child = fork(SERVER, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=2048'] });
    const ready = await new Promise<Extract<SimReply, { type: 'ready' }>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the simulated cluster exited with ${code} while starting`));
      child.once('exit', onExit);
      child.on('message', function first(reply: SimReply) {
        if (reply.type === 'ready') {
          child.off('exit', onExit);
          child.off('message', first);
          resolve(reply);
        } else if (reply.type === 'error' && reply.id === undefined) {
          child.off('exit', onExit);
          child.off('message', first);
          reject(new Error(`the simulated cluster did not start: ${reply.message}`));
        }
      });
    });
    return new SimProcess(child, ready, scratchDir);
  }

  #request<T extends SimRequest['type']>(request: Omit<Extract<SimRequest, { type: T }>, 'id'> & { type: T }): Promise<ReplyTo<T>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (reply: SimReply) => void, reject });
      this.#child.send({ ...request, id });
    });
  }

  /**
   * Marks the start of a measurement: later `history()` calls return entries from here on. Resolves with every
   * store's TiKV-side leader count at the mark (the baseline the History's leader changes apply to).
   */
  async mark(): Promise<Record<number, number>> {
    await this.history();
    return this.#leaderCounts;
  }

  /** History entries recorded since the previous call (or since `mark()`). */
  async history(): Promise<HistoryEntry[]> {
    const file = path.join(this.#scratch, `history-${this.pid}-${this.#nextId}.json`);
    const reply = await this.#request({ type: 'dump', fromIndex: this.#historyIndex, path: file });
    this.#historyIndex = reply.nextIndex;
    this.#leaderCounts = reply.leaderCounts;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as HistoryEntry[];
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Waits until the cluster is settled again (after an upgrade: every pod Ready, stores Up, leaders balanced). */
  async settle(): Promise<void> {
    await this.#request({ type: 'settle' });
  }

  /** Stops the cluster and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await Promise.race([this.#request({ type: 'stop' }).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    }
    await this.#exited;
  }
}
