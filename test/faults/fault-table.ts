import type { Topology } from '../../src/core/model.ts';
import type { SimCluster } from '../sim/cluster.ts';
import { ALL_STEPS, type CaseShape, type FaultCommand, type FaultExpectation, type FaultSpec, type FaultStep, type InjectContext } from './fault-case.ts';

/**
 * The fault matrix of simulator.md as a table: each row is one fault, the topologies and commands it applies to, the
 * steps it is injected at, how it is injected, and what kubectl-tikv must do about it. `fault-matrix.test.ts` makes
 * one case per (fault, topology, command, step); adding a row or a step adds its cases.
 */

const ALL_TOPOLOGIES: readonly Topology[] = ['statefulset', 'tidb-operator-v1', 'tikv-operator', 'tidb-operator-v2'];
/** Topologies where kubectl-tikv evicts with its own scheduler (everything but tidb-operator v2). */
const SCHEDULER_TOPOLOGIES: readonly Topology[] = ['statefulset', 'tidb-operator-v1', 'tikv-operator'];

/** How kubectl-tikv moves a store on this topology for this command. */
export function drive(topology: Topology, command: FaultCommand): 'scheduler' | 'operator' | 'followed' {
  if (command === 'upgrade' && (topology === 'tidb-operator-v1' || topology === 'tidb-operator-v2')) return 'followed';
  return topology === 'tidb-operator-v2' ? 'operator' : 'scheduler';
}

/** The steps a store goes through on a topology, as the services report them. */
export function stepsOf(topology: Topology, command: FaultCommand): readonly FaultStep[] {
  switch (drive(topology, command)) {
    case 'scheduler':
      return ALL_STEPS;
    case 'operator':
      // tidb-operator v2 evicts by itself once the pod is deleted: no scheduler of ours, no drained step of ours.
      return ['store-start', 'record-written', 'restart-triggered', 'pod-ready', 'store-up'];
    case 'followed':
      // The operator's own rolling upgrade, as kubectl-tikv follows it (no record of ours).
      return ['store-start', 'scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-ready', 'store-up', 'scheduler-removed'];
  }
}

/**
 * Where a fault's handling differs by topology it runs on all four; where only the drive mode matters (PD's answers
 * reach the same PD client and step runner on every scheduler-driven topology), on one topology per drive mode:
 * restart on a StatefulSet (kubectl-tikv's scheduler) and on tidb-operator v2 (the operator evicts); upgrade driven
 * on the tikv-operator (instance versions) and followed on tidb-operator v1.
 */
function representative(topology: Topology, command: FaultCommand): boolean {
  return command === 'restart' ? topology === 'statefulset' || topology === 'tidb-operator-v2' : topology === 'tikv-operator' || topology === 'tidb-operator-v1';
}

/** `stepsOf` on the representative topologies only. */
function onRepresentative(topology: Topology, command: FaultCommand): readonly FaultStep[] {
  return representative(topology, command) ? stepsOf(topology, command) : [];
}

/** `stepsOf` where kubectl-tikv drives the stores itself (every restart, driven upgrades). */
function whereDriven(topology: Topology, command: FaultCommand): readonly FaultStep[] {
  return drive(topology, command) === 'followed' ? [] : stepsOf(topology, command);
}

/** A transient PD fault as the run begins may make the first store's gates fail: refused, nothing changed. */
function survivesOrRefusedAtStart({ step }: CaseShape): FaultExpectation {
  return step === 'store-start' ? { exit: 0, orRefused: /not (restarting|upgrading)[^:]*: .*(not Up|no leader|unhealthy)|paused the upgrade/ } : { exit: 0 };
}

/**
 * tidb-operator v2 evicts a terminating pod's leaders itself, through PD: a PD fault while it does so can let the
 * pod's grace period run out with leaders still on it. Nothing kubectl-tikv can do once the pod is deleted.
 */
function operatorEvictsThroughFaultyPd(context: InjectContext): void {
  if (context.topology === 'tidb-operator-v2' && ['store-start', 'record-written', 'scheduler-added', 'leaders-drained', 'restart-triggered'].includes(context.step)) {
    context.notes.leadersMayBeLost = new Set([context.target.storeId]);
  }
}

/**
 * A PD leader change right after the pod was deleted on tidb-operator v2: the operator then evicts by PD's wrong
 * count. kubectl-tikv checked PD against the TiKV before deleting; after that it is the operator's eviction.
 */
function leaderChangeAfterOperatorRestart(context: InjectContext, options: { unprepared: boolean }): void {
  if (context.topology !== 'tidb-operator-v2') return;
  // With a stale cache the new PD leader also schedules nothing until its regions are loaded ("prepared"): the
  // operator's eviction of a pod deleted meanwhile may not finish within the pod's grace period. kubectl-tikv's own
  // check (PD's count against the TiKV's) covers the zero view before the restart, so that one stays checked.
  if (context.step === 'restart-triggered' || (options.unprepared && context.step !== 'store-up' && context.step !== 'scheduler-removed')) {
    context.notes.leadersMayBeLost = new Set([context.target.storeId]);
  }
}

/** Steps before the target's pod is restarted (the pod still runs the old process). */
const BEFORE_TRIGGER: readonly FaultStep[] = ['store-start', 'record-written', 'scheduler-added', 'leaders-drained'];

function before(step: FaultStep): boolean {
  return BEFORE_TRIGGER.includes(step);
}

/** `steps` filtered by what the topology and command go through. */
function only(...steps: FaultStep[]): (topology: Topology, command: FaultCommand) => readonly FaultStep[] {
  return (topology, command) => stepsOf(topology, command).filter((s) => steps.includes(s));
}

/** Runs `clear` after `realMs` of wall-clock time, or when the case heals, whichever comes first (once). */
function transient(context: InjectContext, realMs: number, clear: () => void): void {
  let cleared = false;
  const once = () => {
    if (cleared) return;
    cleared = true;
    clearTimeout(timer);
    clear();
  };
  const timer = setTimeout(once, realMs);
  context.onHeal(once);
}

/** Crashes the process running in a pod now (the kubelet restarts it, with back-off). */
function crashPod(sim: SimCluster, podName: string): void {
  const process = sim.kubelet.process(sim.namespace, podName) as { crash?: () => void } | undefined;
  process?.crash?.();
}

/** Whether the store's TiKV re-registered during the case and PD has since seen it heartbeat after its start. */
function restartedAndSeenRunning(sim: SimCluster, storeId: number): boolean {
  const startSec = sim.pd.storeView(storeId)?.startTimestampSec;
  const of = (type: string) => sim.history.entries.some((e) => e.source === 'pd' && e.type === type && e.data.storeId === storeId && e.data.startTimestampSec === startSec && e.data.newStore !== true);
  return of('store-registered') && of('store-heartbeat-after-start');
}

/** A transient fault is survived: the run finishes, the fault shows as a warning at most. */
const survives = (): { exit: 0 } => ({ exit: 0 });

/** How long transient faults last (wall-clock ms): several polls, well within every timeout of a case. */
const OUTAGE_MS = 1_500;

export const FAULTS: readonly FaultSpec[] = [
  {
    name: 'pd-down',
    description: 'PD down (its process crash-looping) for 1.5 s',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: onRepresentative,
    inject(context) {
      const { sim } = context;
      operatorEvictsThroughFaultyPd(context);
      for (const pod of sim.pdPodNames()) sim.faults.kube.crashLoop(sim.namespace, pod);
      for (const pod of sim.pdPodNames()) crashPod(sim, pod);
      transient(context, OUTAGE_MS, () => {
        for (const pod of sim.pdPodNames()) sim.faults.kube.clearPod(sim.namespace, pod);
      });
    },
    expect: survivesOrRefusedAtStart,
  },
  {
    name: 'pd-no-leader',
    description: 'PD without a leader for 1.5 s',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: onRepresentative,
    sim: { pdReplicas: 3 },
    inject(context) {
      operatorEvictsThroughFaultyPd(context);
      context.sim.faults.pd.noPdLeader = true;
      transient(context, OUTAGE_MS, () => {
        context.sim.faults.pd.noPdLeader = false;
      });
    },
    expect: survivesOrRefusedAtStart,
  },
  {
    name: 'pd-500',
    description: 'PD answering 500 to every API request for 1.5 s',
    appliesTo: ['statefulset', 'tidb-operator-v1'],
    commands: ['restart', 'upgrade'],
    // The same 5xx path as PD without a leader: on the driven restart and the followed upgrade.
    steps: onRepresentative,
    inject(context) {
      operatorEvictsThroughFaultyPd(context);
      const clear = context.sim.faults.pd.failRequests({ path: /^\/pd\/api\//, status: 500 });
      transient(context, OUTAGE_MS, clear);
    },
    expect: survivesOrRefusedAtStart,
  },
  {
    name: 'pd-slow',
    description: 'PD answering every request 0.5–1 s late for 3 s',
    appliesTo: ['statefulset', 'tikv-operator'],
    commands: ['restart', 'upgrade'],
    steps: onRepresentative,
    inject(context) {
      operatorEvictsThroughFaultyPd(context);
      // Real-world 30 s, i.e. 750 ms at the matrix's time scale.
      const clear = context.sim.faults.pd.slowRequests({ path: /^\/pd\/api\//, delayMs: 30_000 });
      transient(context, 2 * OUTAGE_MS, clear);
    },
    expect: survives,
  },
  {
    name: 'pd-leader-change-zero',
    description: 'PD leader change whose new leader reports 0 leaders for every store until region heartbeats',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    // Dangerous before the restart: a count of 0 that is not true would restart a store holding leaders.
    steps: (topology, command) => (drive(topology, command) === 'followed' && topology === 'tidb-operator-v2' ? [] : only('store-start', 'record-written', 'scheduler-added', 'restart-triggered')(topology, command)),
    sim: { pdReplicas: 3 },
    inject(context) {
      leaderChangeAfterOperatorRestart(context, { unprepared: false });
      context.sim.faults.pd.pdLeaderChangeView = 'zero';
      context.sim.faults.pd.transferPdLeader();
    },
    expect: survives,
  },
  {
    name: 'pd-leader-change-stale',
    description: 'PD leader change whose new leader serves the leader counts of before the run',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: (topology, command) => (drive(topology, command) === 'followed' && topology === 'tidb-operator-v2' ? [] : only('record-written', 'scheduler-added', 'leaders-drained', 'restart-triggered')(topology, command)),
    sim: { pdReplicas: 3 },
    prepare(sim) {
      sim.faults.pd.snapshotPdView();
    },
    inject(context) {
      leaderChangeAfterOperatorRestart(context, { unprepared: true });
      context.sim.faults.pd.pdLeaderChangeView = 'stale';
      context.sim.faults.pd.transferPdLeader();
    },
    expect: survives,
  },
  {
    name: 'port-forward-drop',
    description: 'the port-forward WebSockets to PD and TiKV dropped mid-request (the next 6)',
    appliesTo: ['statefulset', 'tidb-operator-v2', 'tidb-operator-v1'],
    commands: ['restart', 'upgrade'],
    steps: onRepresentative,
    inject(context) {
      const clear = context.sim.faults.kube.dropPortForward({ afterBytes: 10, times: 6 });
      context.onHeal(clear);
    },
    expect: survives,
  },
  {
    name: 'api-500',
    description: 'the Kubernetes API answering 500 to the next 4 requests',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    // Step records live on a different object per topology: every topology's restart, and both upgrade modes.
    steps: (topology, command) => (command === 'restart' ? stepsOf(topology, command) : onRepresentative(topology, command)),
    inject(context) {
      context.onHeal(context.sim.faults.kube.failRequests({ status: 500, times: 4, user: 'admin' }));
    },
    expect: survives,
  },
  {
    name: 'api-429',
    description: 'the Kubernetes API throttling (429, Retry-After 1 s) the next 4 requests',
    appliesTo: ['statefulset', 'tidb-operator-v2', 'tidb-operator-v1'],
    commands: ['restart', 'upgrade'],
    steps: onRepresentative,
    inject(context) {
      context.onHeal(context.sim.faults.kube.failRequests({ status: 429, times: 4, retryAfterSeconds: 1, user: 'admin' }));
    },
    expect: survives,
  },
  {
    name: 'api-409',
    description: 'the Kubernetes API answering 409 Conflict to the next 2 writes (patch, update)',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    // Writes: the step records (one object per topology) and the driven upgrades' triggers.
    steps: whereDriven,
    inject(context) {
      const { kube } = context.sim.faults;
      context.onHeal(kube.failRequests({ status: 409, times: 1, verb: 'patch', user: 'admin' }));
      context.onHeal(kube.failRequests({ status: 409, times: 1, verb: 'update', user: 'admin' }));
    },
    expect: survives,
  },
  {
    name: 'pod-never-ready',
    description: 'the restarted pod never becoming Ready',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: only('record-written', 'leaders-drained', 'restart-triggered'),
    options: { readyTimeoutMs: 2_500, evictTimeoutMs: 3_000 },
    inject(context) {
      const { sim, target } = context;
      sim.faults.kube.neverReady(sim.namespace, target.podName);
    },
    expect: ({ command, topology }) =>
      drive(topology, command) === 'followed'
        ? { exit: 1, message: /the operator made no progress|not Ready|within the ready timeout/, recordMayRemain: true }
        : { exit: 1, message: /pod \S+ did not become Ready within the ready timeout/, recordMayRemain: true },
  },
  {
    name: 'pod-crash-loop',
    description: 'the restarted pod crash-looping',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    // Where kubectl-tikv drives the restart (a followed operator may see the store Up between two crashes and move
    // on: the operator's call; pod-never-ready and store-never-up cover a followed store that never comes back).
    steps: (topology, command) => whereDriven(topology, command).filter((s) => s === 'leaders-drained' || s === 'restart-triggered'),
    options: { readyTimeoutMs: 2_500, evictTimeoutMs: 3_000 },
    inject(context) {
      const { sim, target, notes } = context;
      sim.faults.kube.crashLoop(sim.namespace, target.podName);
      // The crashes of the new process (leaders that came back lost again) are the fault's, not the plugin's.
      if (context.step === 'restart-triggered') notes.downedStores.set(target.storeId, Date.now());
      else {
        void sim.history.waitFor((e) => e.source === 'kubelet' && e.type === 'container-exited' && e.data.pod === target.podName).then((e) => notes.downedStores.set(target.storeId, e.at), () => undefined);
      }
    },
    expect: ({ command, topology }) =>
      drive(topology, command) === 'followed'
        ? { exit: 1, message: /the operator made no progress|not Ready|within the ready timeout/, recordMayRemain: true }
        : { exit: 1, message: /(did not become Ready|is (Disconnected|Down)|has not re-registered|has not sent a heartbeat).* within the ready timeout|did not become Ready within the ready timeout/, recordMayRemain: true },
  },
  {
    name: 'store-never-up',
    description: 'the restarted TiKV registering but never heartbeating (never Up again)',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: only('record-written', 'leaders-drained', 'restart-triggered'),
    options: { readyTimeoutMs: 2_500, evictTimeoutMs: 3_000 },
    inject(context) {
      const { sim, target } = context;
      sim.faults.tikv(target.podName).neverHeartbeat = true;
      // A followed operator's steps are seen by polling, so under load the injection can come after the operator's
      // restart already brought a TiKV that PD saw running: restart that one too, so the TiKV that comes back hangs.
      if (drive(context.topology, context.command) === 'followed' && restartedAndSeenRunning(sim, target.storeId)) crashPod(sim, target.podName);
      // Healing it is what a user would do: restart the TiKV that does not heartbeat.
      context.onHeal(() => {
        delete sim.faults.tikv(target.podName).neverHeartbeat;
        // The restart that heals it is the fault's, not the plugin's (leaders it took back in between are lost).
        context.notes.downedStores.set(target.storeId, Date.now());
        crashPod(sim, target.podName);
      });
    },
    expect: ({ command, topology }) =>
      drive(topology, command) === 'followed'
        ? { exit: 1, message: /the operator made no progress/, recordMayRemain: true }
        : { exit: 1, message: /store \d+ (is Disconnected|is Down|re-registered but has not sent a heartbeat|has not re-registered).* within the ready timeout/, recordMayRemain: true },
  },
  {
    name: 'leaders-never-drain',
    description: 'the target store\'s leaders never leaving (stuck transfers), --on-evict-timeout abort',
    appliesTo: SCHEDULER_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: (topology, command) => (drive(topology, command) === 'scheduler' ? ['store-start', 'record-written'] : []),
    options: { evictTimeoutMs: 1_500 },
    inject(context) {
      context.sim.faults.pd.leadersNeverDrain.add(context.target.storeId);
    },
    expect: () => ({ exit: 1, message: /store \d+ still holds \d+ leader\(s\) after the eviction timeout .*; pod \S+ was not restarted/ }),
  },
  {
    name: 'leaders-never-drain-restart',
    description: 'the target store\'s leaders never leaving, --on-evict-timeout restart',
    appliesTo: SCHEDULER_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: (topology, command) => (drive(topology, command) === 'scheduler' ? ['store-start', 'record-written'] : []),
    options: { evictTimeoutMs: 1_500, onEvictTimeout: 'restart' },
    inject(context) {
      context.sim.faults.pd.leadersNeverDrain.add(context.target.storeId);
      context.notes.leadersAtStopAllowed = true;
    },
    expect: () => ({ exit: 0, warning: /store \d+ still held \d+ leader\(s\) when pod \S+ was restarted/ }),
  },
  {
    name: 'other-store-down',
    description: 'another store going Down (its TiKV never registering again)',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    // A followed upgrade is the operator's to stop before its own restart: there, from its restart on (and not at its
    // last step, where the operator may already be done with the store the fault takes down).
    steps: (topology, command) => (drive(topology, command) === 'followed' ? only('restart-triggered', 'pod-ready', 'store-up')(topology, command) : stepsOf(topology, command)),
    restartPods: 2,
    options: { readyTimeoutMs: 3_000 },
    inject(context) {
      const { sim, notes } = context;
      // A store the run has not reached yet (restart names pods 1 and 2; an upgrade's last store). It stays down: its
      // TiKV restarts but never registers again, until the case heals.
      const victim = context.others.find((o) => !context.started.some((s) => s.storeId === o.storeId)) ?? context.others[0];
      notes.downedStores.set(victim.storeId, Date.now());
      // tidb-operator v2 evicts a terminating pod's leaders only while no other store has down peers.
      if (context.topology === 'tidb-operator-v2' && context.step === 'restart-triggered') notes.leadersMayBeLost = new Set([context.target.storeId]);
      sim.faults.tikv(victim.podName).neverRegister = true;
      crashPod(sim, victim.podName);
      context.onHeal(() => {
        delete sim.faults.tikv(victim.podName).neverRegister;
        crashPod(sim, victim.podName);
      });
    },
    expect: ({ step, topology, command }) => {
      if (drive(topology, command) === 'followed') return { exit: 1, message: /not Up|not Ready|made no progress|health gate failed|paused the upgrade|the upgrade ran, but store \d+ .* is (Disconnected|Down)/, recordMayRemain: true };
      // Before the restart: refused at the last check (or at the next gate); after it: the next store's gate refuses.
      return { exit: 1, message: /(store \d+ \((Disconnected|Down)\) (is|are) not Up|(TiKV )?pods? \S+ (is|are) not Ready)/, recordMayRemain: !before(step) };
    },
  },
  {
    name: 'scheduler-removed-behind-back',
    description: 'the target store removed from the evict-leader scheduler by someone else',
    appliesTo: SCHEDULER_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: (topology, command) => (drive(topology, command) === 'scheduler' ? ['scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-ready'] : []),
    inject(context) {
      context.sim.pd.removeEvictLeader(context.target.storeId, 'a person');
    },
    expect: ({ step }) => (step === 'scheduler-added' ? { exit: 0, warning: /was removed from the evict-leader scheduler by someone else; added it again/ } : { exit: 0 }),
  },
  {
    name: 'scheduler-added-behind-back',
    description: 'someone else evicting another store\'s leaders mid-run',
    appliesTo: SCHEDULER_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: (topology, command) => (drive(topology, command) === 'scheduler' ? ['store-start', 'scheduler-added', 'restart-triggered', 'store-up', 'scheduler-removed'] : []),
    restartPods: 2,
    options: { readyTimeoutMs: 2_500, evictTimeoutMs: 3_000 },
    inject(context) {
      const { sim, notes } = context;
      const other = context.others.find((o) => !context.started.some((s) => s.storeId === o.storeId)) ?? context.others[0];
      notes.foreignEvictions.add(other.storeId);
      sim.pd.addEvictLeader(other.storeId, 'a person');
      context.onHeal(() => {
        sim.pd.removeEvictLeader(other.storeId, 'a person');
      });
    },
    expect: () => ({ exit: 1, message: /leader eviction already in progress on store \d+ \(stray\)/ }),
  },
  {
    name: 'concurrent-run',
    description: 'a second run of the same command started mid-run',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: onRepresentative,
    inject(context) {
      context.notes.concurrentRun = context.startConcurrentRun();
    },
    expect: survives,
  },
  {
    name: 'interrupt',
    description: 'SIGINT (the run\'s signal aborted)',
    appliesTo: ALL_TOPOLOGIES,
    commands: ['restart', 'upgrade'],
    steps: stepsOf,
    inject(context) {
      context.interrupt();
    },
    expect: ({ step }) => ({ exit: 130, message: /interrupted/, recordMayRemain: !before(step) }),
  },
];

/** Every case of the table, in table order. */
export function faultCases(): { spec: FaultSpec; shape: CaseShape }[] {
  const cases: { spec: FaultSpec; shape: CaseShape }[] = [];
  for (const spec of FAULTS) {
    for (const command of spec.commands) {
      for (const topology of spec.appliesTo) {
        for (const step of spec.steps(topology, command)) cases.push({ spec, shape: { topology, command, step } });
      }
    }
  }
  return cases;
}
