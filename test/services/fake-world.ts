import type { Member, TikvPod } from '../../src/core/model.ts';
import type { StepRecord } from '../../src/core/step-record.ts';
import type { Clock } from '../../src/services/clock.ts';
import type { Progress, ProgressEvent } from '../../src/services/progress.ts';
import type { EventSink, PodSource, RestartTrigger, StepEvent, StepRecordStore } from '../../src/services/step-ports.ts';
import { InMemoryPd, fakeStore } from '../fakes/in-memory-pd.ts';
import { InMemoryTikvMetrics } from '../fakes/in-memory-tikv-metrics.ts';
import type { StepRunnerDeps } from '../../src/services/store-step-runner.ts';

/**
 * Virtual time for service tests: `sleep` advances the clock at once (after letting other promises run) and fires
 * whatever the world scheduled up to the new time. Runs take milliseconds however long they are in virtual time.
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #scheduled: { atMs: number; run: () => void }[] = [];

  constructor(startMs = 1_800_000_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    this.advance(Math.max(1, ms));
    signal?.throwIfAborted();
  }

  /** Moves time forward, running what was scheduled up to then, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      this.#scheduled.sort((a, b) => a.atMs - b.atMs);
      const next = this.#scheduled[0];
      if (!next || next.atMs > until) break;
      this.#scheduled.shift();
      this.#now = Math.max(this.#now, next.atMs);
      next.run();
    }
    this.#now = until;
  }

  /** Runs `run` when virtual time reaches `now + delayMs`. */
  schedule(delayMs: number, run: () => void): void {
    this.#scheduled.push({ atMs: this.#now + delayMs, run });
  }
}

/** One entry of the world's log: what the fakes did and what the service did, in virtual time. */
export interface WorldEvent {
  atMs: number;
  what: string;
}

/** How the simulated pods behave when restarted. */
export interface WorldTimings {
  /** Delete → old pod gone and the new one created. */
  terminateMs: number;
  /** New pod created → TiKV registered with PD (new start time). */
  registerMs: number;
  /** New pod created → Ready. */
  readyMs: number;
  /** TiKV registered → its first store heartbeat. */
  heartbeatAfterRegisterMs: number;
}

/**
 * A scripted cluster for service tests: TiKV pods `basic-tikv-<n>` for stores 1..n in an InMemoryPd, a pod source,
 * step records and Events in memory, and a restart trigger that deletes and recreates pods on virtual time.
 */
export class FakeWorld {
  readonly clock = new FakeClock();
  readonly log: WorldEvent[] = [];
  readonly pd: InMemoryPd;
  readonly tikv: InMemoryTikvMetrics;
  readonly pods = new Map<string, TikvPod>();
  readonly records = new Map<string, StepRecord>();
  readonly events: { podName: string; event: StepEvent }[] = [];
  readonly progressEvents: ProgressEvent[] = [];
  timings: WorldTimings = { terminateMs: 5_000, registerMs: 8_000, readyMs: 10_000, heartbeatAfterRegisterMs: 10_000 };
  /** Pods that never become Ready after a restart. */
  readonly neverReady = new Set<string>();
  /** Stores that never re-register after a restart. */
  readonly neverUp = new Set<number>();
  /** Version the restarted TiKV reports (upgrade). */
  versionAfterRestart: string | undefined;
  #uidCounter = 0;

  constructor(options: { stores?: number; leaders?: number } = {}) {
    const count = options.stores ?? 3;
    const stores = Array.from({ length: count }, (_, i) => fakeStore({ storeId: i + 1, leaderCount: options.leaders ?? 100 }));
    this.pd = new InMemoryPd({
      stores,
      now: () => this.clock.now(),
      onEvent: (event) => this.note(`pd:${event.type}:${event.storeId}`),
    });
    this.tikv = new InMemoryTikvMetrics({ pd: this.pd });
    for (let i = 0; i < count; i++) this.#createPod(`basic-tikv-${i}`, true);
  }

  note(what: string): void {
    this.log.push({ atMs: this.clock.now(), what });
  }

  member(podName: string): Member {
    const storeId = Number(/-(\d+)$/.exec(podName)![1]) + 1;
    return { podName, pod: this.pods.get(podName), store: this.pd.peekStore(storeId) };
  }

  /** The step runner's deps, wired to this world. */
  deps(): StepRunnerDeps {
    const world: FakeWorld = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the closures below read it
    const pods: PodSource = {
      get: (podName) => {
        const pod = world.pods.get(podName);
        return pod ? { ...pod } : undefined;
      },
      changed: (timeoutMs, signal) => world.clock.sleep(timeoutMs, signal),
    };
    const records: StepRecordStore = {
      read: async (_member, storeId) => world.records.get(String(storeId)),
      write: async (_member, record) => {
        world.records.set(String(record.storeId), { ...record });
        world.note(`record:${record.phase}${record.triggeredAtMs !== undefined ? ':triggered' : ''}`);
      },
      clear: async (_member, storeId) => {
        world.records.delete(String(storeId));
        world.note('record:cleared');
      },
    };
    const events: EventSink = {
      record: async (member, event) => {
        world.events.push({ podName: member.podName, event });
        return true;
      },
    };
    const restart: RestartTrigger = {
      trigger: async (member, podUid) => world.restartPod(member.podName, podUid),
      describe: (member) => `delete pod ${member.podName}`,
    };
    const progress: Progress = { emit: (event) => world.progressEvents.push(event) };
    return { pd: this.pd, tikv: this.tikv, clock: this.clock, progress, pods, records, events, restart };
  }

  /** What a pod deletion does: terminating now, replaced later, the TiKV re-registers, Ready later still. */
  restartPod(podName: string, podUid: string): void {
    const pod = this.pods.get(podName);
    if (!pod || pod.uid !== podUid) throw new Error(`precondition failed: pod ${podName} uid ${podUid}`);
    const storeId = Number(/-(\d+)$/.exec(podName)![1]) + 1;
    this.note(`pod-deleted:${podName}`);
    pod.terminating = true;
    pod.ready = false;
    this.clock.schedule(this.timings.terminateMs, () => {
      this.pd.stopStore(storeId);
      this.#createPod(podName, false);
      this.note(`pod-created:${podName}`);
      if (!this.neverUp.has(storeId)) {
        this.clock.schedule(this.timings.registerMs, () => {
          this.pd.startStore(storeId, { version: this.versionAfterRestart });
          // TiKV heartbeats a while after registering; only then is the new process known to be up.
          this.clock.schedule(this.timings.heartbeatAfterRegisterMs, () => this.pd.updateStore(storeId, { lastHeartbeatMs: this.clock.now() }));
        });
      }
      if (!this.neverReady.has(podName)) {
        this.clock.schedule(this.timings.readyMs, () => {
          const current = this.pods.get(podName);
          if (current) current.ready = true;
          this.note(`pod-ready:${podName}`);
        });
      }
    });
  }

  #createPod(name: string, ready: boolean): void {
    this.#uidCounter++;
    this.pods.set(name, {
      name,
      namespace: 'ns',
      uid: `uid-${name}-${this.#uidCounter}`,
      phase: 'Running',
      ready,
      terminating: false,
      createdAtMs: this.clock.now(),
      image: 'pingcap/tikv:v8.5.0',
      restarts: 0,
      labels: {},
      annotations: {},
    });
  }
}
