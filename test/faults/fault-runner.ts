import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderError } from '../../src/cli/render-error.ts';
import { ExitCode, type ExitCodeValue } from '../../src/errors.ts';
import { systemClock } from '../../src/services/clock.ts';
import type { ProgressEvent } from '../../src/services/progress.ts';
import { runRestart } from '../../src/services/restart.ts';
import type { RestartOptions } from '../../src/services/restart-options.ts';
import type { RollingDeps } from '../../src/services/rolling-run.ts';
import { runUpgrade } from '../../src/services/upgrade.ts';
import type { UpgradeOptions } from '../../src/services/upgrade-options.ts';
import { startSimCluster, type SimCluster } from '../sim/cluster.ts';
import { openSimSession } from '../services/sim-session.ts';
import { recordingPd, type CaseShape, type FaultNotes, type FaultSpec, type InjectContext, type RunOutcome, type SimSession, type StoreRef } from './fault-case.ts';
import { readClusterAfterRun, runInvariantViolations, waitStoresBack } from './invariants.ts';
import { drive } from './fault-table.ts';

/**
 * Time scale of the matrix: small enough for the suite's budget, large enough that event-loop lag on two busy cores
 * never fakes a missed heartbeat (PD's 20 s Disconnected threshold is 500 ms here).
 */
export const FAULT_TIME_SCALE = 0.025;

/** The version upgrades go to (the clusters start on v8.5.0 with PD on v8.5.1). */
export const UPGRADE_TARGET = 'v8.5.1';

/** Step options of every case: fast polling, timeouts a healthy step never reaches but a stuck one soon does. */
export function caseOptions(spec: FaultSpec): RestartOptions & UpgradeOptions {
  return {
    podNames: [],
    all: false,
    interactive: false,
    yes: true,
    evictTimeoutMs: 30_000,
    onEvictTimeout: 'abort',
    readyTimeoutMs: 30_000,
    leaderReturnTimeoutMs: 10_000,
    skipLeaderReturn: false,
    force: false,
    pollIntervalMs: 50,
    targetVersion: UPGRADE_TARGET,
    dryRun: false,
    order: 'leaders',
    allowDowngrade: false,
    ...spec.options,
  };
}

/** One run of the command as the CLI runs it in-process, its error rendered as the user reads it. */
export async function runCommand(
  session: SimSession,
  command: 'restart' | 'upgrade',
  options: RestartOptions & UpgradeOptions,
  deps: Omit<RollingDeps, 'session' | 'clock'> & { pd?: SimSession['pd'] },
): Promise<RunOutcome> {
  const warnings: string[] = [];
  const infos: string[] = [];
  const progress = {
    emit: (event: ProgressEvent) => {
      if (event.type === 'warning') warnings.push(event.message);
      if (event.type === 'info') infos.push(event.message);
      deps.progress.emit(event);
    },
  };
  const rolling: RollingDeps = { ...deps, session: deps.pd ? { ...session, pd: deps.pd } : session, clock: systemClock, progress, cleanupTimeoutMs: deps.cleanupTimeoutMs ?? 10_000 };
  try {
    if (command === 'restart') await runRestart(rolling, options);
    else await runUpgrade(rolling, options);
    return { code: deps.signal.aborted ? ExitCode.interrupted : ExitCode.ok, text: '', warnings, infos };
  } catch (error) {
    const rendered = renderError(error, { verbose: false, interrupted: deps.signal.aborted });
    return { code: rendered.code as ExitCodeValue, text: rendered.text, warnings, infos, error };
  }
}

/** The first line of a rendered error without `error: `, and the suggestion lines after it. */
export function splitRendered(text: string): { message: string; suggestions: string[] } {
  const [first = '', ...rest] = text.trimEnd().split('\n');
  return { message: first.replace(/^error: /, ''), suggestions: rest };
}

/** Restores every fault knob the matrix uses, so the next run sees a healthy cluster. */
export function clearAllFaults(sim: SimCluster): void {
  sim.faults.kube.clear();
  sim.faults.pd.requestFaults.length = 0;
  sim.faults.pd.noPdLeader = false;
  sim.faults.pd.stuckTransfers = false;
  sim.faults.pd.leadersNeverDrain.clear();
  sim.faults.pd.pdLeaderChangeView = 'fresh';
  for (const pod of sim.tikvPodNames()) {
    const fault = sim.faults.tikv(pod);
    for (const key of Object.keys(fault) as (keyof typeof fault)[]) delete fault[key];
  }
}

/** A store of the simulated cluster by pod. */
function storeRefs(sim: SimCluster): StoreRef[] {
  return sim.tikvPodNames().map((podName) => {
    const store = sim.pd.storeOfPod(podName);
    assert.ok(store, `PD has no store for ${podName}`);
    return { podName, storeId: store.storeId };
  });
}

/** Where each action a service reports comes in a store's step. */
const STEP_RANK: Record<string, number> = {
  'store-start': 0,
  'record-written': 1,
  'scheduler-added': 2,
  'leaders-drained': 3,
  'restart-triggered': 4,
  'pod-replaced': 4.5,
  'pod-ready': 5,
  'store-up': 6,
  'scheduler-removed': 7,
  'leaders-returned': 8,
  'record-cleared': 9,
};

/** Report of one case, for the suite's summary. */
export interface CaseReport {
  first: RunOutcome;
  next?: RunOutcome;
  injectedAt?: string;
}

/**
 * Runs one case of the matrix: a fresh simulated cluster; the command with the fault injected when the target store
 * reaches the step; the expectation and the invariants checked; the faults healed; and — when the run did not finish —
 * the same command again, which must finish whatever the first left and keep the invariants too.
 */
export async function runFaultCase(spec: FaultSpec, shape: CaseShape): Promise<CaseReport> {
  const { topology, command, step } = shape;
  const sim = await startSimCluster({ topology, stores: 3, timeScale: FAULT_TIME_SCALE, regionsPerStore: 20, tikvVersion: 'v8.5.0', pdVersion: 'v8.5.1', ...spec.sim });
  const heals: (() => void | Promise<void>)[] = [];
  const healAll = async () => {
    for (const heal of heals.splice(0)) await heal();
    clearAllFaults(sim);
  };
  let session: SimSession | undefined;
  try {
    session = await openSimSession(sim);
    const recording = recordingPd(session.pd);
    const stores = storeRefs(sim);
    const options = caseOptions(spec);
    if (command === 'restart') options.podNames = stores.slice(1, 1 + (spec.restartPods ?? 1)).map((s) => s.podName);
    const startSec = new Map(stores.map((s) => [s.storeId, sim.pd.storeView(s.storeId)!.startTimestampSec]));
    await spec.prepare?.(sim);

    const notes: FaultNotes = { downedStores: new Map(), foreignEvictions: new Set(), leadersAtStopAllowed: false };
    const controller = new AbortController();
    const from = sim.history.entries.length;
    let target: StoreRef | undefined;
    const started: StoreRef[] = [];
    let storeStarts = 0;
    let injected: string | undefined;
    let injection: Promise<void> | undefined;
    let injectedAfterRollout = false;
    const wantedStart = command === 'upgrade' ? 2 : 1;
    const context = (t: StoreRef): InjectContext => ({
      sim,
      session: session!,
      topology,
      command,
      step,
      target: t,
      others: stores.filter((s) => s.storeId !== t.storeId),
      started: [...started],
      notes,
      interrupt: () => controller.abort(new Error('SIGINT')),
      onHeal: (heal) => heals.push(heal),
      startConcurrentRun: () => runCommand(session!, command, options, { pd: recording.pd, progress: { emit: () => {} }, signal: new AbortController().signal, holder: 'second-run (pid 2)' }),
    });
    const progress = {
      emit: (event: ProgressEvent) => {
        if (injected) return;
        if (event.type === 'store-start') {
          storeStarts++;
          started.push({ podName: event.podName, storeId: event.storeId });
          if (storeStarts === wantedStart) target = { podName: event.podName, storeId: event.storeId };
        }
        if (!target) return;
        // At the step, or (a followed operator's steps are observed by polling, and one may pass unseen) the first
        // one after it.
        const hit = step === 'store-start' ? event.type === 'store-start' && event.podName === target.podName : event.type === 'action' && event.podName === target.podName && (STEP_RANK[event.action] ?? 0) >= STEP_RANK[step];
        if (!hit) return;
        injected = `${step}${event.type === 'action' && event.action !== step ? ` (first seen: ${event.action})` : ''} of ${target.podName} (store ${target.storeId})`;
        // A followed operator's step seen late, under load: the operator may have restarted every store already.
        injectedAfterRollout = drive(topology, command) === 'followed' && stores.every((s) => sim.pd.storeView(s.storeId)?.startTimestampSec !== startSec.get(s.storeId));
        if (injectedAfterRollout) injected += ', after the operator had restarted every store';
        injection = Promise.resolve(spec.inject(context(target)));
      },
    };

    const first = await runCommand(session, command, options, { pd: recording.pd, progress, signal: controller.signal, holder: 'first-run (pid 1)' });
    await injection;
    const concurrent = notes.concurrentRun ? await notes.concurrentRun : undefined;
    await healAll();
    const report: CaseReport = { first, injectedAt: injected };
    const detail = () => `\n  injected at: ${injected ?? 'never'}\n  first run: exit ${first.code}\n${indent(first.text)}  warnings: ${first.warnings.join(' | ') || '(none)'}${first.code === 1 ? `\n  at:\n${indent(rootStack(first.error))}` : ''}`;
    assert.ok(injected, `the fault was never injected: ${step} never happened for the target store${detail()}`);

    const declared = spec.expect(shape);
    const refused = declared.orRefused !== undefined && first.code === ExitCode.failed;
    // A followed operator may have begun before the refusal: only a driven run is held to "nothing changed".
    // A fault that came after the operator's rollout had restarted every store may find the run done: it succeeds.
    const lateButDone = injectedAfterRollout && first.code === ExitCode.ok;
    const expectation = refused ? { exit: 1 as const, message: declared.orRefused, nothingChanged: drive(topology, command) !== 'followed' } : lateButDone ? { exit: 0 as const } : declared;
    if (first.code !== expectation.exit) dumpHistory(sim, from, `${spec.name}-${topology}-${command}-${step}`);
    assert.equal(first.code, expectation.exit, `exit code${detail()}`);
    if (expectation.exit !== 0) {
      const { message, suggestions } = splitRendered(first.text);
      if (expectation.message) assert.match(message, expectation.message, `message${detail()}`);
      assert.ok(suggestions.length > 0 && suggestions.every((s) => s.trim() !== ''), `a suggestion follows the message${detail()}`);
    }
    if (expectation.warning) assert.ok(first.warnings.some((w) => expectation.warning!.test(w)), `warning ${expectation.warning}${detail()}`);
    // The second run is refused naming the first — unless the first had already finished (an operator upgrading on
    // its own can be done by then), in which case the second found nothing left to do.
    if (concurrent && !(concurrent.code === ExitCode.ok && concurrent.infos?.some((m) => /nothing to do/.test(m)))) {
      assert.equal(concurrent.code, ExitCode.failed, `the concurrent run must be refused${detail()}\n  concurrent: ${concurrent.text}`);
      assert.match(splitRendered(concurrent.text).message, /another kubectl-tikv run is working on cluster \S+: first-run \(pid 1\)/, `the concurrent run names the holder${detail()}`);
    }

    const afterFirst = await readClusterAfterRun(sim, session);
    const firstViolations = runInvariantViolations({
      sim,
      entries: sim.history.entries.slice(from),
      outcome: first,
      after: afterFirst,
      notes,
      addedByUs: recording.added,
      recordMayRemain: expectation.recordMayRemain ?? false,
    });
    if (firstViolations.length) dumpHistory(sim, from, `${spec.name}-${topology}-${command}-${step}`);
    assert.deepEqual(firstViolations, [], `invariants after the first run${detail()}`);
    if (expectation.nothingChanged) {
      assert.equal(recording.added.size, 0, `no scheduler may have been added${detail()}`);
      for (const s of stores) assert.equal(sim.pd.storeView(s.storeId)!.startTimestampSec, startSec.get(s.storeId), `store ${s.storeId} must not have restarted${detail()}`);
    }
    if (first.code === ExitCode.ok) {
      assertDone(sim, command, options.podNames, stores, startSec, detail);
      return report;
    }

    // The user fixed what was wrong and runs the same command again: it must finish what the first run left.
    await waitStoresBack(sim, 15_000);
    const nextFrom = sim.history.entries.length;
    const nextRecording = recordingPd(session.pd);
    // The user runs the same command again, with the default bounds of the matrix (not the fault's short ones).
    const nextOptions = { ...caseOptions({ ...spec, options: {} }), podNames: options.podNames };
    const next = await runCommand(session, command, nextOptions, { pd: nextRecording.pd, progress: { emit: () => {} }, signal: new AbortController().signal, holder: 'next-run (pid 3)' });
    report.next = next;
    const nextDetail = () => `${detail()}\n  next run: exit ${next.code}\n${indent(next.text)}`;
    assert.equal(next.code, ExitCode.ok, `the next run finishes${nextDetail()}`);
    const afterNext = await readClusterAfterRun(sim, session);
    const nextViolations = runInvariantViolations({
      sim,
      entries: sim.history.entries.slice(nextFrom),
      outcome: next,
      after: afterNext,
      notes: { ...notes, downedStores: new Map(), foreignEvictions: notes.foreignEvictions },
      addedByUs: new Set([...recording.added, ...nextRecording.added]),
      recordMayRemain: false,
    });
    assert.deepEqual(nextViolations, [], `invariants after the next run${nextDetail()}`);
    for (const record of afterFirst.records) {
      const store = sim.pd.storeView(record.storeId);
      assert.ok(store && store.stateName === 'Up' && store.startTimestampSec !== record.startTimestampSec, `the next run finished store ${record.storeId} left by the first${nextDetail()}`);
    }
    assertDone(sim, command, options.podNames, stores, startSec, nextDetail);
    return report;
  } finally {
    await healAll().catch(() => undefined);
    await session?.dispose().catch(() => undefined);
    await sim.stop();
  }
}

/** The command's work is done: every named store (restart) or every store (upgrade) restarted, Up, on the version. */
function assertDone(sim: SimCluster, command: 'restart' | 'upgrade', podNames: string[], stores: StoreRef[], startSec: Map<number, number>, detail: () => string): void {
  const wanted = command === 'restart' ? stores.filter((s) => podNames.includes(s.podName)) : stores;
  for (const s of wanted) {
    const view = sim.pd.storeView(s.storeId)!;
    assert.notEqual(view.startTimestampSec, startSec.get(s.storeId), `store ${s.storeId} (${s.podName}) was restarted${detail()}`);
    if (command === 'upgrade') assert.equal(view.version.replace(/^v/, ''), UPGRADE_TARGET.slice(1), `store ${s.storeId} runs ${UPGRADE_TARGET}${detail()}`);
  }
}

/**
 * With KT_FAULT_DUMP=DIR, a failing case writes the cluster's History since the run began (requests left out) to
 * DIR/<case>.jsonl: the order of what the operator, PD, the kubelet and kubectl-tikv did, to read a failure by.
 */
function dumpHistory(sim: SimCluster, from: number, name: string): void {
  const dir = process.env.KT_FAULT_DUMP;
  if (!dir) return;
  const lines = sim.history.entries.slice(from).filter((e) => !e.type.endsWith('-request')).map((e) => JSON.stringify(e));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.jsonl`), `${lines.join('\n')}\n`);
}

/** The stack of the deepest cause (where a failure came from), a few frames. */
function rootStack(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  return root instanceof Error && root.stack ? root.stack.split('\n').slice(0, 6).join('\n') : '';
}

function indent(text: string): string {
  return text ? text.split('\n').filter(Boolean).map((line) => `    ${line}\n`).join('') : '';
}
