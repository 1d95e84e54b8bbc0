/**
 * The simulated nodes: scheduler + kubelet in one. Watches pods in the ObjectStore and runs them:
 *
 * - schedules an unscheduled pod onto the node with the fewest pods (`spec.nodeName`, PodScheduled);
 * - Pending/ContainerCreating → starts each container through the `ProcessFactory` (an image the factory does not
 *   simulate runs as an idle container that is always ready) → Running with containerStatuses, `startedAt`,
 *   `restartCount`, podIP/hostIP;
 * - polls `SimProcess.isReady()` like a readiness probe (the container's `readinessProbe` period and initial
 *   delay, default every 10 s) and keeps the ContainersReady/Ready conditions;
 * - restarts crashed containers (restartPolicy) with the kubelet's back-off (10 s doubling to 5 min) showing
 *   CrashLoopBackOff meanwhile; restarts a container whose image changed in the pod spec;
 * - graceful deletion: on `deletionTimestamp`, SIGTERM (`terminate()`), SIGKILL (`kill()`) when
 *   `deletionGracePeriodSeconds` runs out, then final removal from the store;
 * - serves `resolve(namespace, pod, port)` for the API server's port-forward.
 *
 * All delays are real-world defaults through the SimClock. History (source 'kubelet'): 'pod-scheduled',
 * 'container-started', 'pod-ready', 'pod-not-ready', 'container-exited', 'container-killed',
 * 'container-terminated' with namespace/pod/uid (the store itself records 'pod-created', 'pod-deleting',
 * 'pod-removed').
 *
 * ```ts
 * const kubelet = new Kubelet({ store, clock, history, processes: pdCluster.processFactory(), faults });
 * kubelet.start();
 * api.setPortForwardResolver(kubelet);
 * …
 * kubelet.stop();
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ContainerStart, LoopbackAddress, ProcessFactory, SimProcess } from '../process.ts';
import type { ObjectStore } from './object-store.ts';
import { StatusError } from './kube-status.ts';
import type { KubeFaults } from './kube-faults.ts';
import type { PortForwardResolver } from './port-forward.ts';

/** Real-world delays of the kubelet (milliseconds, before SimClock scaling). */
export interface KubeletTimings {
  /** Pod created → bound to a node. Default 100. */
  scheduleMs: number;
  /** Bound → containers started (sandbox, image present). Default 2000. */
  containerCreatingMs: number;
  /** Readiness probe period when the container declares none. Default 10 000. */
  readinessPeriodMs: number;
  /** First crash-restart back-off; doubles per crash. Default 10 000. */
  backoffBaseMs: number;
  /** Back-off cap. Default 300 000. */
  backoffMaxMs: number;
  /** With the crash-loop fault, how long a container runs before it exits. Default 3000. */
  crashAfterMs: number;
}

export const defaultKubeletTimings: KubeletTimings = {
  scheduleMs: 100,
  containerCreatingMs: 2000,
  readinessPeriodMs: 10_000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
  crashAfterMs: 3000,
};

export interface KubeletOptions {
  store: ObjectStore;
  clock: SimClock;
  /** Starts containers by image; without it every container is idle (always ready, serves no port). */
  processes?: ProcessFactory;
  history?: History;
  faults?: KubeFaults;
  /** Node names (Node objects are created); default sim-node-1..3. */
  nodes?: string[];
  timings?: Partial<KubeletTimings>;
  /** Write core/v1 Events (Scheduled, Pulled, Created, Started, Killing, BackOff) as the scheduler/kubelet do. Default true. */
  events?: boolean;
}

interface TerminatedState {
  exitCode: number;
  reason: string;
  startedAt?: string;
  finishedAt: string;
  signal?: number;
}

interface ContainerRuntime {
  name: string;
  image: string;
  process?: SimProcess;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  startedAt?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  crashes: number;
  lastTerminated?: TerminatedState;
  terminated?: TerminatedState;
  containerId: string;
  /** Increments per start; exits of older starts are ignored. */
  generation: number;
  cancels: (() => void)[];
}

interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
  podIP: string;
  hostIP: string;
  startTime: string;
  containers: Map<string, ContainerRuntime>;
  phase: 'creating' | 'running' | 'terminating' | 'gone';
  ready: boolean;
  cancels: (() => void)[];
}

const Pod = { apiVersion: 'v1', kind: 'Pod' };
const Node = { apiVersion: 'v1', kind: 'Node' };

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Obj = Record<string, unknown>;

interface ContainerSpec {
  name: string;
  image: string;
  ports?: { containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  command?: string[];
  args?: string[];
  readinessProbe?: { periodSeconds?: number; initialDelaySeconds?: number };
}

/** The simulated scheduler + kubelets. See the module comment. */
export class Kubelet implements PortForwardResolver {
  readonly #store: ObjectStore;
  readonly #clock: SimClock;
  readonly #processes: ProcessFactory | undefined;
  readonly #history: History | undefined;
  readonly #faults: KubeFaults | undefined;
  readonly #nodes: string[];
  readonly #timings: KubeletTimings;
  readonly #pods = new Map<string, PodRuntime>();
  readonly #scheduling = new Set<string>();
  readonly #ipCounters = new Map<string, number>();
  readonly #events: boolean;
  #stopWatch: (() => void) | undefined;
  #stopped = false;

  constructor(options: KubeletOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#processes = options.processes;
    this.#history = options.history;
    this.#faults = options.faults;
    this.#nodes = options.nodes ?? ['sim-node-1', 'sim-node-2', 'sim-node-3'];
    this.#timings = { ...defaultKubeletTimings, ...(options.timings ?? {}) };
    this.#events = options.events ?? true;
  }

  /** Registers the nodes and starts running the store's pods. */
  start(): void {
    this.#nodes.forEach((name, i) => {
      if (this.#store.get(Node, undefined, name)) return;
      this.#store.create({
        ...Node,
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
        spec: { podCIDR: `10.244.${i}.0/24` },
      });
      this.#store.patch(Node, undefined, name, {
        status: {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: timestamp(), lastTransitionTime: timestamp() }],
          addresses: [{ type: 'InternalIP', address: this.#hostIp(name) }, { type: 'Hostname', address: name }],
          nodeInfo: { kubeletVersion: 'v1.32.4', containerRuntimeVersion: 'containerd://1.7.24', osImage: 'Simulated Linux', kernelVersion: '6.1.0', operatingSystem: 'linux', architecture: 'amd64' },
        },
      }, 'merge', { subresource: 'status' });
    });
    const list = this.#store.list<KubeObject>(Pod);
    for (const pod of list.items) this.#onPod(pod);
    this.#stopWatch = this.#store.watch(Pod, { resourceVersion: list.resourceVersion }, (event) => {
      if (this.#stopped) return;
      if (event.type === 'DELETED') this.#onPodGone(event.object);
      else this.#onPod(event.object);
    });
  }

  /** Stops watching and kills every container at once (end of a test or demo). */
  stop(): void {
    this.#stopped = true;
    this.#stopWatch?.();
    for (const runtime of this.#pods.values()) {
      for (const cancel of runtime.cancels) cancel();
      for (const c of runtime.containers.values()) {
        for (const cancel of c.cancels) cancel();
        c.process?.kill();
      }
      runtime.phase = 'gone';
    }
    this.#pods.clear();
  }

  /** The loopback address serving a container port of a running pod, for port-forward. */
  resolve(namespace: string, pod: string, port: number): LoopbackAddress | undefined {
    const runtime = this.#current(namespace, pod);
    if (!runtime || runtime.phase === 'gone') return undefined;
    for (const c of runtime.containers.values()) {
      if (c.state !== 'running' || !c.process) continue;
      const address = c.process.ports.get(port);
      if (address) return address;
    }
    return undefined;
  }

  /** The running process of a pod's container (tests and operators use it to reach the simulated process). */
  process(namespace: string, pod: string, container?: string): SimProcess | undefined {
    const runtime = this.#current(namespace, pod);
    if (!runtime) return undefined;
    const c = container ? runtime.containers.get(container) : runtime.containers.values().next().value;
    return c?.state === 'running' ? c.process : undefined;
  }

  #current(namespace: string, pod: string): PodRuntime | undefined {
    let found: PodRuntime | undefined;
    for (const r of this.#pods.values()) {
      if (r.namespace === namespace && r.name === pod && r.phase !== 'gone') found = r;
    }
    return found;
  }

  #record(type: string, runtime: { namespace: string; name: string; uid: string }, extra: Obj = {}): void {
    this.#history?.record('kubelet', type, { namespace: runtime.namespace, pod: runtime.name, uid: runtime.uid, ...extra });
  }

  #warn(what: string, error: unknown): void {
    process.emitWarning(`simulated kubelet: ${what}: ${(error as Error)?.stack ?? String(error)}`);
  }

  /** A core/v1 Event about a pod (or one of its containers), as `kubectl describe pod` shows them. */
  #event(pod: { namespace: string; name: string; uid: string }, type: 'Normal' | 'Warning', reason: string, message: string, options: { container?: string; component?: string; node?: string } = {}): void {
    if (!this.#events || this.#stopped) return;
    const now = timestamp();
    const component = options.component ?? 'kubelet';
    try {
      this.#store.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${pod.name}.${randomBytes(8).toString('hex')}`, namespace: pod.namespace },
        involvedObject: {
          kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1',
          ...(options.container ? { fieldPath: `spec.containers{${options.container}}` } : {}),
        },
        reason,
        message,
        source: { component, ...(options.node ? { host: options.node } : {}) },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: options.node ?? '',
      });
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
    }
  }

  #hostIp(node: string): string {
    return `172.18.0.${this.#nodes.indexOf(node) + 2}`;
  }

  #allocatePodIp(node: string): string {
    const n = (this.#ipCounters.get(node) ?? 1) + 1;
    this.#ipCounters.set(node, n);
    return `10.244.${this.#nodes.indexOf(node)}.${n % 254 || 254}`;
  }

  // ——— pod events ———

  #onPod(pod: KubeObject): void {
    const spec = (pod.spec ?? {}) as { nodeName?: string; containers?: ContainerSpec[] };
    const uid = pod.metadata.uid!;
    if (!spec.nodeName) {
      if (!pod.metadata.deletionTimestamp) this.#schedule(pod);
      return;
    }
    if (!this.#nodes.includes(spec.nodeName)) return;
    const runtime = this.#pods.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (!runtime) {
        this.#remove(pod.metadata.namespace!, pod.metadata.name, uid);
        return;
      }
      if (runtime.phase !== 'terminating' && runtime.phase !== 'gone') this.#terminate(runtime, pod.metadata.deletionGracePeriodSeconds ?? 30);
      return;
    }
    if (!runtime) {
      this.#admit(pod, spec.nodeName);
      return;
    }
    if (runtime.phase === 'running') {
      for (const c of spec.containers ?? []) {
        const live = runtime.containers.get(c.name);
        if (live && live.image !== c.image && (live.state === 'running' || live.state === 'waiting')) void this.#restartForImage(runtime, live, c.image);
      }
    }
  }

  #onPodGone(pod: KubeObject): void {
    const runtime = this.#pods.get(pod.metadata.uid!);
    if (!runtime || runtime.phase === 'gone') return;
    // Force-deleted (or removed by someone else) while running: stop the containers without status updates.
    for (const cancel of runtime.cancels) cancel();
    runtime.phase = 'gone';
    for (const c of runtime.containers.values()) {
      for (const cancel of c.cancels) cancel();
      if (c.process && c.state === 'running') {
        const p = c.process;
        c.state = 'terminated';
        const grace = (pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30;
        const kill = this.#clock.after(grace * 1000, () => p.kill());
        void p.terminate().then(kill, kill);
      }
    }
    this.#pods.delete(runtime.uid);
  }

  #schedule(pod: KubeObject): void {
    const uid = pod.metadata.uid!;
    if (this.#scheduling.has(uid)) return;
    this.#scheduling.add(uid);
    this.#clock.after(this.#timings.scheduleMs, () => {
      this.#scheduling.delete(uid);
      if (this.#stopped) return;
      const current = this.#store.get<KubeObject>(Pod, pod.metadata.namespace, pod.metadata.name);
      if (!current || current.metadata.uid !== uid || current.metadata.deletionTimestamp) return;
      if ((current.spec as { nodeName?: string }).nodeName) return;
      const load = new Map(this.#nodes.map((n) => [n, 0]));
      for (const p of this.#store.list<KubeObject>(Pod).items) {
        const n = (p.spec as { nodeName?: string }).nodeName;
        if (n && load.has(n)) load.set(n, load.get(n)! + 1);
      }
      const node = [...load].sort((a, b) => a[1] - b[1])[0][0];
      try {
        this.#store.patch(Pod, current.metadata.namespace, current.metadata.name, { metadata: { uid }, spec: { nodeName: node } }, 'merge');
        this.#store.patch(Pod, current.metadata.namespace, current.metadata.name, {
          metadata: { uid },
          status: { conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp() }] },
        }, 'merge', { subresource: 'status' });
        this.#record('pod-scheduled', { namespace: current.metadata.namespace!, name: current.metadata.name, uid }, { node });
        this.#event({ namespace: current.metadata.namespace!, name: current.metadata.name, uid }, 'Normal', 'Scheduled', `Successfully assigned ${current.metadata.namespace}/${current.metadata.name} to ${node}`, { component: 'default-scheduler' });
      } catch (error) {
        if (!(error instanceof StatusError && (error.code === 404 || error.code === 409))) this.#warn('scheduling', error);
      }
    });
  }

  #admit(pod: KubeObject, nodeName: string): PodRuntime {
    const spec = pod.spec as { containers: ContainerSpec[] };
    const runtime: PodRuntime = {
      uid: pod.metadata.uid!,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
      nodeName,
      podIP: this.#allocatePodIp(nodeName),
      hostIP: this.#hostIp(nodeName),
      startTime: timestamp(),
      containers: new Map(),
      phase: 'creating',
      ready: false,
      cancels: [],
    };
    for (const c of spec.containers ?? []) {
      runtime.containers.set(c.name, {
        name: c.name, image: c.image, state: 'waiting', waitingReason: 'ContainerCreating', ready: false, started: false,
        restartCount: 0, crashes: 0, containerId: '', generation: 0, cancels: [],
      });
    }
    this.#pods.set(runtime.uid, runtime);
    this.#writeStatus(runtime);
    runtime.cancels.push(this.#clock.after(this.#timings.containerCreatingMs, () => {
      if (runtime.phase !== 'creating') return;
      runtime.phase = 'running';
      for (const c of runtime.containers.values()) void this.#startContainer(runtime, c);
    }));
    return runtime;
  }

  // ——— containers ———

  #containerSpec(runtime: PodRuntime, name: string): { pod: KubeObject; container: ContainerSpec } | undefined {
    const pod = this.#store.get<KubeObject>(Pod, runtime.namespace, runtime.name);
    if (!pod || pod.metadata.uid !== runtime.uid) return undefined;
    const container = ((pod.spec as { containers?: ContainerSpec[] }).containers ?? []).find((c) => c.name === name);
    return container ? { pod, container } : undefined;
  }

  async #startContainer(runtime: PodRuntime, c: ContainerRuntime): Promise<void> {
    const found = this.#containerSpec(runtime, c.name);
    if (!found || runtime.phase !== 'running') return;
    const { pod, container } = found;
    c.image = container.image;
    const generation = ++c.generation;
    let process: SimProcess | undefined;
    try {
      process = await this.#processes?.start(this.#containerStart(runtime, pod, container));
    } catch (error) {
      // The container failed to start: like a process that exits at once with an error.
      this.#warn(`starting ${runtime.namespace}/${runtime.name}/${c.name}`, error);
      c.startedAt = timestamp();
      this.#onExit(runtime, c, generation, 128);
      return;
    }
    if (runtime.phase !== 'running' || generation !== c.generation) {
      process?.kill();
      return;
    }
    c.process = process;
    c.state = 'running';
    c.started = true;
    c.ready = false;
    c.startedAt = timestamp();
    c.containerId = `containerd://${randomBytes(32).toString('hex')}`;
    process?.onExit((code) => this.#onExit(runtime, c, generation, code));
    this.#record('container-started', runtime, { container: c.name, image: c.image, restartCount: c.restartCount });
    const on = { container: c.name, node: runtime.nodeName };
    this.#event(runtime, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, on);
    this.#event(runtime, 'Normal', 'Created', `Created container: ${c.name}`, on);
    this.#event(runtime, 'Normal', 'Started', `Started container ${c.name}`, on);
    this.#writeStatus(runtime);
    const probe = container.readinessProbe;
    const periodMs = probe?.periodSeconds !== undefined ? probe.periodSeconds * 1000 : this.#timings.readinessPeriodMs;
    const initialMs = (probe?.initialDelaySeconds ?? 0) * 1000;
    c.cancels.push(this.#clock.after(initialMs, () => {
      this.#probe(runtime, c, generation);
      c.cancels.push(this.#clock.every(periodMs, () => this.#probe(runtime, c, generation)));
    }));
    const crashCode = this.#faults?.crashLoopExitCode(runtime.namespace, runtime.name);
    if (crashCode !== undefined) {
      c.cancels.push(this.#clock.after(this.#timings.crashAfterMs, () => {
        if (generation !== c.generation || c.state !== 'running' || runtime.phase !== 'running') return;
        c.process?.kill();
        this.#onExit(runtime, c, generation, crashCode);
      }));
    }
  }

  #containerStart(runtime: PodRuntime, pod: KubeObject, container: ContainerSpec): ContainerStart {
    const spec = pod.spec as { hostname?: string; subdomain?: string; nodeName?: string };
    const env: Record<string, string> = {};
    const fields: Record<string, string> = {
      'metadata.name': runtime.name, 'metadata.namespace': runtime.namespace, 'metadata.uid': runtime.uid,
      'status.podIP': runtime.podIP, 'status.hostIP': runtime.hostIP, 'spec.nodeName': spec.nodeName ?? runtime.nodeName,
    };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef && fields[e.valueFrom.fieldRef.fieldPath] !== undefined) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath];
    }
    return {
      namespace: runtime.namespace,
      podName: runtime.name,
      podUid: runtime.uid,
      labels: { ...(pod.metadata.labels ?? {}) },
      annotations: { ...(pod.metadata.annotations ?? {}) },
      containerName: container.name,
      image: container.image,
      ports: (container.ports ?? []).map((p) => p.containerPort),
      env,
      args: [...(container.command ?? []), ...(container.args ?? [])],
      hostname: spec.hostname ?? runtime.name,
      subdomain: spec.subdomain,
    };
  }

  #probe(runtime: PodRuntime, c: ContainerRuntime, generation: number): void {
    if ((runtime.phase !== 'running' && runtime.phase !== 'terminating') || generation !== c.generation) return;
    let ready = c.state === 'running' && !this.#faults?.isNeverReady(runtime.namespace, runtime.name);
    if (ready && c.process) {
      try {
        ready = c.process.isReady();
      } catch {
        ready = false;
      }
    }
    if (ready === c.ready) return;
    c.ready = ready;
    this.#writeStatus(runtime);
  }

  #onExit(runtime: PodRuntime, c: ContainerRuntime, generation: number, code: number): void {
    if (generation !== c.generation || runtime.phase === 'terminating' || runtime.phase === 'gone') return;
    for (const cancel of c.cancels.splice(0)) cancel();
    const finishedAt = timestamp();
    const terminated: TerminatedState = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: c.startedAt, finishedAt };
    c.process = undefined;
    c.ready = false;
    this.#record('container-exited', runtime, { container: c.name, exitCode: code, restartCount: c.restartCount });
    const pod = this.#store.get<KubeObject>(Pod, runtime.namespace, runtime.name);
    const policy = (pod?.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
    if (policy === 'Never' || (policy === 'OnFailure' && code === 0)) {
      c.state = 'terminated';
      c.terminated = terminated;
      this.#writeStatus(runtime);
      return;
    }
    c.lastTerminated = terminated;
    c.restartCount++;
    c.crashes++;
    const delay = Math.min(this.#timings.backoffBaseMs * 2 ** (c.crashes - 1), this.#timings.backoffMaxMs);
    c.state = 'waiting';
    c.waitingReason = 'CrashLoopBackOff';
    this.#event(runtime, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${runtime.name}_${runtime.namespace}(${runtime.uid})`, { container: c.name, node: runtime.nodeName });
    this.#writeStatus(runtime);
    c.cancels.push(this.#clock.after(delay, () => void this.#startContainer(runtime, c)));
  }

  async #restartForImage(runtime: PodRuntime, c: ContainerRuntime, image: string): Promise<void> {
    for (const cancel of c.cancels.splice(0)) cancel();
    c.generation++;
    const process = c.process;
    c.process = undefined;
    c.ready = false;
    c.state = 'waiting';
    c.waitingReason = 'ContainerCreating';
    c.image = image;
    if (process) {
      await this.#stopProcess(runtime, c.name, process, this.#grace(runtime));
      c.lastTerminated = { exitCode: 0, reason: 'Completed', startedAt: c.startedAt, finishedAt: timestamp() };
      c.restartCount++;
    }
    this.#writeStatus(runtime);
    if (runtime.phase === 'running') void this.#startContainer(runtime, c);
  }

  #grace(runtime: PodRuntime): number {
    const pod = this.#store.get<KubeObject>(Pod, runtime.namespace, runtime.name);
    return (pod?.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ?? 30;
  }

  /** SIGTERM, then SIGKILL when the grace period runs out. Resolves with how the process ended. */
  #stopProcess(runtime: PodRuntime, container: string, process: SimProcess, graceSeconds: number): Promise<'terminated' | 'killed'> {
    this.#event(runtime, 'Normal', 'Killing', `Stopping container ${container}`, { container, node: runtime.nodeName });
    return new Promise((resolve) => {
      let settled = false;
      const cancelKill = this.#clock.after(graceSeconds * 1000, () => {
        if (settled) return;
        settled = true;
        process.kill();
        this.#record('container-killed', runtime, { container, gracePeriodSeconds: graceSeconds });
        resolve('killed');
      });
      const done = () => {
        if (settled) return;
        settled = true;
        cancelKill();
        this.#record('container-terminated', runtime, { container });
        resolve('terminated');
      };
      process.terminate().then(done, (error: unknown) => {
        this.#warn(`terminating ${runtime.namespace}/${runtime.name}/${container}`, error);
        done();
      });
    });
  }

  #terminate(runtime: PodRuntime, graceSeconds: number): void {
    runtime.phase = 'terminating';
    for (const cancel of runtime.cancels.splice(0)) cancel();
    const stops: Promise<void>[] = [];
    for (const c of runtime.containers.values()) {
      // Readiness probes keep running while the container shuts down (a terminating pod can turn not Ready).
      const process = c.process;
      if (!process || c.state !== 'running') {
        for (const cancel of c.cancels.splice(0)) cancel();
        if (c.state !== 'terminated') {
          c.state = 'terminated';
          c.terminated = { exitCode: 0, reason: 'Completed', startedAt: c.startedAt, finishedAt: timestamp() };
        }
        continue;
      }
      stops.push(this.#stopProcess(runtime, c.name, process, graceSeconds).then((how) => {
        for (const cancel of c.cancels.splice(0)) cancel();
        c.process = undefined;
        c.ready = false;
        c.state = 'terminated';
        c.terminated = how === 'killed'
          ? { exitCode: 137, reason: 'Error', startedAt: c.startedAt, finishedAt: timestamp(), signal: 9 }
          : { exitCode: 0, reason: 'Completed', startedAt: c.startedAt, finishedAt: timestamp() };
      }));
    }
    void Promise.all(stops).then(() => {
      if (runtime.phase === 'gone') return;
      this.#writeStatus(runtime);
      runtime.phase = 'gone';
      this.#pods.delete(runtime.uid);
      this.#remove(runtime.namespace, runtime.name, runtime.uid);
    });
  }

  #remove(namespace: string, name: string, uid: string): void {
    const current = this.#store.get<KubeObject>(Pod, namespace, name);
    if (current?.metadata.uid === uid) this.#store.remove(Pod, namespace, name);
  }

  // ——— status ———

  #writeStatus(runtime: PodRuntime): void {
    if (this.#stopped) return;
    const containers = [...runtime.containers.values()];
    const allReady = containers.length > 0 && containers.every((c) => c.ready);
    const anyRunning = containers.some((c) => c.state === 'running' || (c.state === 'waiting' && c.started));
    const allTerminated = containers.length > 0 && containers.every((c) => c.state === 'terminated');
    let phase = anyRunning ? 'Running' : 'Pending';
    if (allTerminated && runtime.phase !== 'terminating') phase = containers.every((c) => c.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    // Since Kubernetes 1.27 the kubelet also gives deleted pods a terminal phase from their containers' exit codes
    // before the final removal.
    if (allTerminated && runtime.phase === 'terminating') phase = containers.every((c) => c.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    const wasReady = runtime.ready;
    runtime.ready = allReady && (runtime.phase === 'running' || runtime.phase === 'terminating');
    for (let attempt = 0; attempt < 8; attempt++) {
      const pod = this.#store.get<KubeObject>(Pod, runtime.namespace, runtime.name);
      if (!pod || pod.metadata.uid !== runtime.uid) return;
      const old = (pod.status ?? {}) as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
      const condition = (type: string, ok: boolean, reason?: string) => {
        const status = ok ? 'True' : 'False';
        const previous = old.conditions?.find((c) => c.type === type);
        return {
          type, status, lastProbeTime: null,
          lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : timestamp(),
          ...(ok || !reason ? {} : { reason }),
        };
      };
      const notReadyReason = 'ContainersNotReady';
      pod.status = {
        phase,
        conditions: [
          condition('PodReadyToStartContainers', runtime.phase !== 'creating'),
          condition('Initialized', true),
          condition('Ready', runtime.ready, notReadyReason),
          condition('ContainersReady', runtime.ready, notReadyReason),
          condition('PodScheduled', true),
        ],
        hostIP: runtime.hostIP,
        hostIPs: [{ ip: runtime.hostIP }],
        podIP: runtime.podIP,
        podIPs: [{ ip: runtime.podIP }],
        startTime: runtime.startTime,
        qosClass: 'BestEffort',
        containerStatuses: containers.map((c) => ({
          name: c.name,
          state: c.state === 'running' ? { running: { startedAt: c.startedAt } }
            : c.state === 'terminated' ? { terminated: { ...c.terminated, containerID: c.containerId || undefined } }
            : { waiting: { reason: c.waitingReason, ...(c.waitingReason === 'CrashLoopBackOff' ? { message: `back-off restarting failed container ${c.name} in pod ${runtime.name}_${runtime.namespace}(${runtime.uid})` } : {}) } },
          lastState: c.lastTerminated ? { terminated: { ...c.lastTerminated, containerID: c.containerId || undefined } } : {},
          ready: c.ready,
          restartCount: c.restartCount,
          image: c.image,
          imageID: c.started ? `docker.io/${c.image.includes('/') ? '' : 'library/'}${c.image.split(':')[0]}@sha256:${'0'.repeat(64)}` : '',
          ...(c.containerId ? { containerID: c.containerId } : {}),
          started: c.state === 'running',
        })),
      };
      try {
        this.#store.update(pod, { subresource: 'status' });
        break;
      } catch (error) {
        if (error instanceof StatusError && error.code === 409) continue;
        if (error instanceof StatusError && error.code === 404) return;
        this.#warn('writing pod status', error);
        return;
      }
    }
    if (runtime.ready !== wasReady) this.#record(runtime.ready ? 'pod-ready' : 'pod-not-ready', runtime);
  }
}
