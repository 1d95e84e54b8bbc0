import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Topology } from '../../src/core/model.ts';
import { startSimCluster, type SimCluster } from '../sim/cluster.ts';
import type { HistoryEntry } from '../sim/history.ts';
import { openSimSession } from '../services/sim-session.ts';
import type { FaultCommand, FaultNotes, RunOutcome, SimSession } from './fault-case.ts';
import { FAULT_TIME_SCALE, UPGRADE_TARGET } from './fault-runner.ts';
import { readClusterAfterRun, runInvariantViolations, waitStoresBack } from './invariants.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const DEV = path.join(REPO, 'bin', 'dev.js');

/** The steps a killed run can be caught at, each recognised in the simulator's History (the CLI runs elsewhere). */
export type SignalStep = 'record-written' | 'scheduler-added' | 'leaders-drained' | 'restart-triggered' | 'pod-ready' | 'store-up' | 'scheduler-removed';

/** Which signal, when, where. */
export interface SignalShape {
  signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL';
  command: FaultCommand;
  topology: Topology;
  step: SignalStep;
}

/** What the CLI printed and how it ended. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `kubectl-tikv ARGV` from the sources (bin/dev.js) with a kubeconfig; `onSpawn` gets the child. */
export function runCli(argv: string[], env: Record<string, string>, onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [DEV, ...argv], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('spawn', () => onSpawn?.((signal) => child.kill(signal)));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The resource the step record of a topology lives on (a patch of it is the record being written). */
function recordResource(topology: Topology): string {
  switch (topology) {
    case 'statefulset':
      return 'statefulsets';
    case 'tidb-operator-v1':
      return 'tidbclusters';
    default:
      return 'tikvs';
  }
}

/**
 * A History predicate for the moment the target store reaches `step`, as the simulator sees it (the CLI runs in
 * another process). `target` is known once the run picked its store.
 */
function stepReached(shape: SignalShape, target: () => { podName: string; storeId: number } | undefined): (e: HistoryEntry) => boolean {
  let deleting = false;
  let evicting = false;
  return (e) => {
    if (shape.step === 'record-written') {
      return e.source === 'kube' && e.type === 'kube-request' && e.data.verb === 'patch' && e.data.resource === recordResource(shape.topology) && e.data.user === 'admin' && e.data.status === 200;
    }
    const t = target();
    if (!t) return false;
    if (e.type === 'pod-deleting' && e.data.name === t.podName) deleting = true;
    if (e.source === 'pd' && e.type === 'scheduler-added' && e.data.storeId === t.storeId) evicting = true;
    switch (shape.step) {
      case 'scheduler-added':
        return e.source === 'pd' && e.type === 'scheduler-added' && e.data.storeId === t.storeId && e.data.by === 'http';
      case 'leaders-drained':
        return evicting && e.source === 'pd' && e.type === 'store-leaders-zero' && e.data.storeId === t.storeId && e.data.view === 'pd';
      case 'restart-triggered':
        return e.type === 'pod-deleting' && e.data.name === t.podName;
      case 'pod-ready':
        return deleting && e.source === 'kubelet' && e.type === 'pod-ready' && e.data.pod === t.podName;
      case 'store-up':
        return deleting && e.source === 'pd' && e.type === 'store-registered' && e.data.storeId === t.storeId;
      case 'scheduler-removed':
        return e.source === 'pd' && e.type === 'scheduler-removed' && e.data.storeId === t.storeId && e.data.by === 'http';
    }
  };
}

/** The CLI's arguments for the command of a case. */
function argvOf(command: FaultCommand, podName: string): string[] {
  const common = ['-y', '--poll-interval', '50ms', '--evict-timeout', '30s', '--ready-timeout', '30s', '--leader-return-timeout', '10s'];
  return command === 'restart' ? ['restart', podName, ...common] : ['upgrade', '--version', UPGRADE_TARGET, ...common];
}

/** Makes the Lease of a killed run look as old as its duration: what waiting for it to expire would do. */
function expireLease(sim: SimCluster, session: SimSession): void {
  const kind = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' };
  const name = `kubectl-tikv-${session.cluster.ref.name}`;
  const old = new Date(Date.now() - 3_600_000).toISOString().replace('Z', '000Z');
  sim.store.mutate(kind, sim.namespace, name, (lease: { spec?: { renewTime?: string; acquireTime?: string } } & import('../../src/kube/kube.ts').KubeObject) => {
    lease.spec = { ...lease.spec, renewTime: old, acquireTime: old };
  });
}

function outcomeOf(result: ChildResult): RunOutcome {
  return { code: (result.code ?? 137) as RunOutcome['code'], text: result.stderr, warnings: [] };
}

/**
 * One signal case: the CLI (a child process running the sources) restarts or upgrades; when the simulator's History
 * shows the target store at the step, the process gets the signal. SIGINT/SIGTERM: it must exit 130 after its cleanup,
 * leaving no scheduler of ours and its Lease released. SIGKILL: whatever it left, a second run right away is refused
 * (the Lease names the killed run); once the Lease expired the same command finishes or undoes the step. Every run
 * keeps the invariants of the fault matrix.
 */
export async function runSignalCase(shape: SignalShape): Promise<void> {
  const { topology, command } = shape;
  const sim = await startSimCluster({ topology, stores: 3, timeScale: FAULT_TIME_SCALE, regionsPerStore: 20, tikvVersion: 'v8.5.0', pdVersion: 'v8.5.1' });
  const dir = mkdtempSync(path.join(tmpdir(), 'kt-signal-'));
  let session: SimSession | undefined;
  try {
    const kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    const env = { KUBECONFIG: kubeconfig, HOME: dir };
    session = await openSimSession(sim);
    const pods = sim.tikvPodNames();
    const storeOf = (podName: string) => sim.pd.storeOfPod(podName)!.storeId;
    const startSec = new Map(pods.map((p) => [p, sim.pd.storeOfPod(p)!.startTimestampSec]));

    // Restart: the second pod. Upgrade: the first store the run (or the operator it follows) begins with.
    let target: { podName: string; storeId: number } | undefined = command === 'restart' ? { podName: pods[1], storeId: storeOf(pods[1]) } : undefined;
    const stopFollowing = sim.history.subscribe((e) => {
      if (target) return;
      if (e.source === 'pd' && e.type === 'scheduler-added' && e.data.by === 'http' && typeof e.data.storeId === 'number') {
        const store = sim.pd.storeView(e.data.storeId);
        if (store?.podName && pods.includes(store.podName)) target = { podName: store.podName, storeId: store.storeId };
      } else if (e.type === 'pod-deleting' && pods.includes(String(e.data.name))) {
        target = { podName: String(e.data.name), storeId: storeOf(String(e.data.name)) };
      }
    });

    const from = sim.history.entries.length;
    const matcher = stepReached(shape, () => target);
    let kill: ((signal: NodeJS.Signals) => void) | undefined;
    let killedAt: string | undefined;
    const reached = sim.history.waitFor((e) => sim.history.entries.indexOf(e) >= from && matcher(e), AbortSignal.timeout(60_000)).then((e) => {
      killedAt = `${shape.step} (${e.source} ${e.type} ${JSON.stringify(e.data)})`;
      kill?.(shape.signal);
    });
    reached.catch(() => undefined);
    const first = await runCli(argvOf(command, pods[1]), env, (k) => (kill = k));
    stopFollowing();
    const detail = () => `\n  signal ${shape.signal} at: ${killedAt ?? 'never'}\n  first run: code ${first.code} signal ${first.signal}\n${indent(first.stderr)}`;
    assert.ok(killedAt, `the step was never reached${detail()}`);

    const notes: FaultNotes = { downedStores: new Map(), foreignEvictions: new Set(), leadersAtStopAllowed: false };
    // Stores the killed run added to the scheduler (History: added over HTTP, i.e. by the plugin or no one else here).
    const addedByRun = new Set(sim.history.entries.slice(from).filter((e) => e.source === 'pd' && e.type === 'scheduler-added' && e.data.by === 'http' && e.data.storeId !== undefined).map((e) => Number(e.data.storeId)));
    // The operators' own evictions go over HTTP too: on v2 and in the upgrades kubectl-tikv follows, none is ours.
    const operatorEvicts = topology === 'tidb-operator-v2' || (command === 'upgrade' && topology === 'tidb-operator-v1');
    if (operatorEvicts) addedByRun.clear();
    const killed = shape.signal === 'SIGKILL';
    if (killed) {
      assert.equal(first.signal, 'SIGKILL', `killed outright${detail()}`);
    } else {
      assert.equal(first.code, 130, `exit 130 after ${shape.signal}${detail()}`);
      assert.match(first.stderr, new RegExp(`${shape.signal === 'SIGINT' ? 'Interrupted' : 'Terminated'}: stopping and cleaning up`), `says it is cleaning up${detail()}`);
      assert.match(first.stderr, /\nerror: [^\n]*interrupted[^\n]*\n(.+\n)+$/, `names the interruption and what to do${detail()}`);
    }
    const afterFirst = await readClusterAfterRun(sim, session);
    const firstViolations = runInvariantViolations({ sim, entries: sim.history.entries.slice(from), outcome: outcomeOf(first), after: afterFirst, notes, addedByUs: addedByRun, recordMayRemain: true, killed });
    assert.deepEqual(firstViolations, [], `invariants after the first run${detail()}`);

    if (killed && afterFirst.leaseHolder !== undefined) {
      // Right away, the killed run's Lease still looks alive: the next run is refused, naming it, and changes nothing.
      const refusedFrom = sim.history.entries.length;
      const refused = await runCli(argvOf(command, pods[1]), env);
      assert.equal(refused.code, 1, `a run while the killed run's Lease is fresh is refused${detail()}\n  refused run:\n${indent(refused.stderr)}`);
      assert.match(refused.stderr, /(^|\n)error: another kubectl-tikv run is working on cluster \S+: .*\(pid \d+, context sim\)/, `names the holder${detail()}\n${indent(refused.stderr)}`);
      assert.match(refused.stderr, /its Lease expires within \d+s; run this command again then/, `says when to try again${detail()}\n${indent(refused.stderr)}`);
      const refusedWrites = sim.history.entries.slice(refusedFrom).filter((e) => e.type === 'kube-request' && e.data.user === 'admin' && ['create', 'update', 'patch', 'delete'].includes(String(e.data.verb)) && e.data.subresource !== 'portforward');
      assert.deepEqual(refusedWrites.map((e) => `${String(e.data.verb)} ${String(e.data.resource)}`), [], 'the refused run wrote nothing');
      if (!operatorEvicts) {
        const touched = sim.history.entries.slice(refusedFrom).filter((e) => e.source === 'pd' && (e.type === 'scheduler-added' || e.type === 'scheduler-removed') && e.data.by === 'http');
        assert.deepEqual(touched.map((e) => e.type), [], 'the refused run changed no scheduler');
      }
      expireLease(sim, session);
    }

    await waitStoresBack(sim, 15_000);
    const nextFrom = sim.history.entries.length;
    const next = await runCli(argvOf(command, pods[1]), env);
    const nextDetail = () => `${detail()}\n  next run: code ${next.code}\n${indent(next.stderr)}`;
    assert.equal(next.code, 0, `the same command again finishes${nextDetail()}`);
    const afterNext = await readClusterAfterRun(sim, session);
    const nextAdded = new Set(sim.history.entries.slice(nextFrom).filter((e) => e.source === 'pd' && e.type === 'scheduler-added' && e.data.by === 'http').map((e) => Number(e.data.storeId)));
    if (operatorEvicts) nextAdded.clear();
    const nextViolations = runInvariantViolations({ sim, entries: sim.history.entries.slice(nextFrom), outcome: outcomeOf(next), after: afterNext, notes, addedByUs: new Set([...addedByRun, ...nextAdded]), recordMayRemain: false });
    assert.deepEqual(nextViolations, [], `invariants after the next run${nextDetail()}`);
    assert.deepEqual(afterNext.evicting, [], `no evict-leader scheduler is left${nextDetail()}`);
    for (const record of afterFirst.records) {
      const store = sim.pd.storeView(record.storeId);
      assert.ok(store && store.stateName === 'Up' && store.startTimestampSec !== record.startTimestampSec, `store ${record.storeId} left mid-step was finished${nextDetail()}`);
    }
    const wanted = command === 'restart' ? [pods[1]] : pods;
    for (const podName of wanted) {
      const view = sim.pd.storeOfPod(podName)!;
      assert.notEqual(view.startTimestampSec, startSec.get(podName), `${podName} was restarted${nextDetail()}`);
      if (command === 'upgrade') assert.equal(view.version, UPGRADE_TARGET.slice(1), `${podName} runs ${UPGRADE_TARGET}${nextDetail()}`);
    }
  } finally {
    await session?.dispose().catch(() => undefined);
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function indent(text: string): string {
  return text ? text.split('\n').filter(Boolean).map((line) => `    ${line}\n`).join('') : '';
}
