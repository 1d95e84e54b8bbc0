/**
 * tidb-operator v2's TiKV preStop hook, the `prestop-checker` the pod runs before its container gets SIGTERM:
 * it polls the TiKV's own `/metrics` every second until `tikv_raftstore_region_count{type="leader"}` is 0, and gives
 * up when the count has not gone down for 30 polls in a row (or after 5 failed reads in a row). The kubelet
 * still kills the container when the grace period runs out.
 *
 * In the simulator the hook is played by wrapping the ProcessFactory: a container whose pod declares the checker in
 * `lifecycle.preStop` gets a SimProcess whose `terminate()` runs the checker first. The kubelet's own grace-period
 * `kill()` cuts it short, as a real kubelet would.
 */
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import type { ContainerStart, ProcessFactory, SimProcess } from '../process.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ObjectStore } from '../kube/object-store.ts';
import { OperatorPdClient, type ClientTls } from './operator-pd-client.ts';
import { originOf } from './service-routing.ts';
import { tlsFromSecret } from './client-tls.ts';

/** Where the operator's init container copies the checker; the pod's preStop command names it. */
export const PRESTOP_CHECKER_COMMAND = '/prestop/prestop-checker';

/** The checker's limits (cmd/prestop-checker/main.go). */
export const PRESTOP_DEFAULTS = { pollIntervalMs: 1000, maxFailTimes: 30, maxRetryTimes: 5 } as const;

const POD = { apiVersion: 'v1', kind: 'Pod' };

interface ContainerView {
  name: string;
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
}

/** Wraps a ProcessFactory so that containers with the prestop-checker preStop hook drain their leaders on SIGTERM. */
export class PreStopHookFactory implements ProcessFactory {
  readonly #inner: ProcessFactory;
  readonly #store: ObjectStore;
  readonly #clock: SimClock;
  readonly #history: History;

  constructor(options: { inner: ProcessFactory; store: ObjectStore; clock: SimClock; history: History }) {
    this.#inner = options.inner;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#history = options.history;
  }

  async start(container: ContainerStart): Promise<SimProcess | undefined> {
    const process = await this.#inner.start(container);
    if (!process) return process;
    const pod = this.#store.get(POD, container.namespace, container.podName);
    if (!pod || pod.metadata.uid !== container.podUid) return process;
    const spec = (pod.spec ?? {}) as { containers?: ContainerView[] };
    const command = spec.containers?.find((c) => c.name === container.containerName)?.lifecycle?.preStop?.exec?.command ?? [];
    if (!command.some((part) => part.includes(PRESTOP_CHECKER_COMMAND))) return process;
    const tls = command.some((part) => / -tls\b/.test(part)) ? this.#podTls(pod) : undefined;
    return new PreStopProcess(process, container, tls, this.#clock, this.#history);
  }

  #podTls(pod: KubeObject): ClientTls | undefined {
    const volumes = ((pod.spec ?? {}) as { volumes?: { name: string; secret?: { secretName?: string } }[] }).volumes ?? [];
    const secret = volumes.find((v) => v.name === 'tls')?.secret?.secretName;
    return secret ? tlsFromSecret(this.#store, pod.metadata.namespace!, secret) : undefined;
  }
}

/** A container process whose SIGTERM is preceded by the prestop-checker. */
class PreStopProcess implements SimProcess {
  readonly #inner: SimProcess;
  readonly #container: ContainerStart;
  readonly #tls: ClientTls | undefined;
  readonly #clock: SimClock;
  readonly #history: History;
  readonly #abort = new AbortController();
  readonly #client = new OperatorPdClient(async () => {
    throw new Error('the prestop checker reads TiKV only');
  }, { timeoutMs: 10_000 });

  constructor(inner: SimProcess, container: ContainerStart, tls: ClientTls | undefined, clock: SimClock, history: History) {
    this.#inner = inner;
    this.#container = container;
    this.#tls = tls;
    this.#clock = clock;
    this.#history = history;
  }

  get ports(): SimProcess['ports'] {
    return this.#inner.ports;
  }

  isReady(): boolean {
    return this.#inner.isReady();
  }

  onExit(listener: (code: number) => void): void {
    this.#inner.onExit(listener);
  }

  async terminate(): Promise<void> {
    try {
      await this.#runChecker();
    } finally {
      await this.#client.close();
    }
    if (!this.#abort.signal.aborted) await this.#inner.terminate();
  }

  kill(): void {
    this.#abort.abort(new Error('killed'));
    this.#inner.kill();
  }

  /** A crash fault of the wrapped process (its container exits on its own; the kubelet restarts it). */
  crash(code?: number): void {
    this.#abort.abort(new Error('crashed'));
    (this.#inner as SimProcess & { crash?: (code?: number) => void }).crash?.(code);
  }

  async #runChecker(): Promise<void> {
    const where = { namespace: this.#container.namespace, pod: this.#container.podName };
    this.#history.record('prestop-hook', 'prestop-started', where);
    let minCount = Number.POSITIVE_INFINITY;
    let failTimes = 0;
    let retryTimes = 0;
    for (;;) {
      if (this.#abort.signal.aborted) return;
      const address = this.#inner.ports.get(20180);
      let leaderCount: number | undefined;
      if (address) {
        try {
          leaderCount = await this.#client.tikvLeaderCount({ origin: originOf(address, this.#tls !== undefined), tls: this.#tls }, this.#abort.signal);
        } catch {
          leaderCount = undefined;
        }
      }
      if (leaderCount === undefined) {
        retryTimes++;
        if (retryTimes > PRESTOP_DEFAULTS.maxRetryTimes) {
          this.#history.record('prestop-hook', 'prestop-finished', { ...where, outcome: 'retry too many times' });
          return;
        }
      } else {
        retryTimes = 0;
        if (leaderCount === 0) {
          this.#history.record('prestop-hook', 'prestop-finished', { ...where, outcome: 'all leaders have been evicted' });
          return;
        }
        if (leaderCount >= minCount) {
          failTimes++;
          if (failTimes > PRESTOP_DEFAULTS.maxFailTimes) {
            this.#history.record('prestop-hook', 'prestop-finished', { ...where, outcome: 'leader count does not decrease', leaderCount });
            return;
          }
        } else {
          minCount = leaderCount;
          failTimes = 0;
        }
      }
      try {
        await this.#clock.sleep(PRESTOP_DEFAULTS.pollIntervalMs, this.#abort.signal);
      } catch {
        return;
      }
    }
  }
}
