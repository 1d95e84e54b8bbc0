import type { Member } from '../core/model.ts';
import { planRestart, resumeFirst, type Plan } from '../core/plan.ts';
import type { StepRecord } from '../core/step-record.ts';
import type { EvictionMode } from '../core/store-step.ts';
import { InterruptedError, UsageError, UserError } from '../errors.ts';
import { KINDS } from '../kube/kinds.ts';
import { readClusterSnapshot, type ClusterSnapshot } from './cluster-session.ts';
import { classifyEvictions, readStepRecords } from './evictions.ts';
import { awaitGates, checkGates } from './gate-check.ts';
import { kubeStepRecords } from './kube-step-records.ts';
import { PodWatch } from './pod-watch.ts';
import type { RestartOptions } from './restart-options.ts';
import { deletePodTrigger } from './restart-trigger.ts';
import { RunLease } from './run-lease.ts';
import { retryTransient } from './transient.ts';
import { RollingRunError, stepRunnerDeps, stepSettings, storeTarget, type RollingDeps } from './rolling-run.ts';
import { runStoreStep, StoreStepError, type StoreResult } from './store-step-runner.ts';
import type { RestartTrigger } from './step-ports.ts';

/** The outcome of `kubectl tikv restart`, for the summary and `-o json`. */
export interface RestartResult {
  cluster: { topology: string; namespace: string; name: string };
  plan: Plan;
  stores: StoreResult[];
  /** Pods a previous, interrupted `restart --all` had finished, skipped now. */
  resumedDone: string[];
  /** Leftovers of killed runs that were undone before starting. */
  cleanedUp: string[];
  warnings: string[];
  /** False when the user declined the confirmation. */
  confirmed: boolean;
}

/**
 * `kubectl tikv restart`: graceful restart of the chosen pods (or `--all`), one store at a time, each behind fresh
 * health gates, with the cluster's Lease held so no other run interferes. Bad input fails before anything changes.
 */
export async function runRestart(deps: RollingDeps, options: RestartOptions): Promise<RestartResult> {
  const { session, clock, progress } = deps;
  const { cluster } = session;
  const snapshot = await readClusterSnapshot(session, deps.signal);
  const chosen = await chooseMembers(deps, snapshot, options);
  const command = options.all ? 'restart-all' : 'restart';
  const result: RestartResult = {
    cluster: { topology: cluster.ref.topology, namespace: cluster.ref.namespace, name: cluster.ref.name },
    plan: planRestart(chosen, 'leaders', false),
    stores: [],
    resumedDone: [],
    cleanedUp: [],
    warnings: [],
    confirmed: false,
  };
  if (!options.all) {
    // Pods named on the command line run in the order given.
    result.plan.entries.sort((a, b) => chosen.findIndex((m) => m.podName === a.podName) - chosen.findIndex((m) => m.podName === b.podName));
    result.plan.orderRule = 'in the order given';
  }

  const lease = await RunLease.acquire(session.kube, cluster, { holder: deps.holder, command: `restart ${options.all ? '--all' : options.podNames.join(' ')}`.trim(), clock, timing: deps.leaseTiming, signal: deps.signal });
  const signal = AbortSignal.any([deps.signal, lease.lost]);
  let completed = false;
  let pods: PodWatch | undefined;
  try {
    if (lease.tookOverFrom) warn(`took over the Lease of a run that stopped renewing it (${lease.tookOverFrom})`);
    if (options.all && lease.previous?.command === command) {
      result.resumedDone = lease.previous.donePods.filter((p) => chosen.some((m) => m.podName === p));
      if (result.resumedDone.length > 0) {
        info(`resuming the rolling restart: ${result.resumedDone.length} of ${chosen.length} pods were restarted by the interrupted run (${result.resumedDone.join(', ')})`);
        for (const entry of result.plan.entries) if (result.resumedDone.includes(entry.podName)) {
          entry.action = 'skip';
          entry.note = 'restarted by the interrupted run';
        }
      }
    }
    const { records } = await readStepRecords(session.kube, cluster, snapshot.mapping.members, signal);
    await undoLeftovers(records.filter((r) => !chosen.some((m) => m.store?.storeId === r.storeId)));
    // A store an interrupted run left mid-restart is finished first: until then it is the one store not Up.
    resumeFirst(result.plan, records.map((r) => r.podName));

    result.confirmed = await confirm(deps, options, result);
    if (!result.confirmed) return result;

    // Not stopped by an interrupt: the cleanup that follows still watches the pod (`finally` stops it).
    pods = await PodWatch.start(session.kube, cluster, lease.lost);
    const stepDeps = stepRunnerDeps(deps, pods, restartTrigger(deps));
    const todo = result.plan.entries.filter((e) => e.action !== 'skip');
    const done = [...result.resumedDone];
    for (const [index, entry] of todo.entries()) {
      signal.throwIfAborted();
      // Between stores: a passing PD or API failure is waited out, not fatal.
      const fresh = await retryTransient(() => readClusterSnapshot(session, signal), { budgetMs: Math.min(options.readyTimeoutMs, 120_000), pollIntervalMs: options.pollIntervalMs, clock, signal });
      const member = fresh.mapping.members.find((m) => m.podName === entry.podName);
      if (!member?.store) {
        throw new UserError(`pod ${entry.podName} has no store in PD any more`, { suggestions: ["Check 'kubectl tikv status'."] });
      }
      const storeId = member.store.storeId;
      progress.emit({ type: 'store-start', podName: member.podName, storeId, index: index + result.resumedDone.length, total: result.plan.entries.length, atMs: clock.now() });
      let eviction: EvictionMode;
      try {
        eviction = await gate(fresh, member, index === 0 ? 0 : Math.min(options.readyTimeoutMs, 120_000));
      } catch (error) {
        progress.emit({ type: 'store-end', podName: member.podName, storeId, outcome: 'failed', reason: error instanceof Error ? error.message : String(error), atMs: clock.now() });
        throw error;
      }
      const storeResult = await runStoreStep(stepDeps, storeTarget(member, eviction, options), member, stepSettings(deps, 'restart', options, signal));
      result.stores.push(storeResult);
      result.warnings.push(...storeResult.warnings);
      done.push(member.podName);
      if (options.all) await lease.saveProgress({ command, donePods: done, startedAtMs: result.stores[0]?.startedAtMs ?? clock.now() }, signal);
    }
    completed = true;
    return result;
  } catch (error) {
    if (error instanceof StoreStepError) {
      result.stores.push(error.result);
      throw new RollingRunError(error, result);
    }
    if (deps.signal.aborted) throw new RollingRunError(new InterruptedError('interrupted before the next store was touched; nothing is left half-done', { suggestions: [resumeHint(options)], cause: error }), result);
    if (lease.lost.aborted && lease.lost.reason instanceof UserError) throw new RollingRunError(lease.lost.reason, result);
    if (error instanceof UserError) throw new RollingRunError(error, result);
    throw error;
  } finally {
    await pods?.stop();
    // A completed run (or one that never started) leaves no Lease; an interrupted one leaves its progress to resume.
    await lease.release({ completed: completed || !result.confirmed || !options.all });
  }

  function info(message: string): void {
    progress.emit({ type: 'info', message, atMs: clock.now() });
  }

  function warn(message: string): void {
    result.warnings.push(message);
    progress.emit({ type: 'warning', message, atMs: clock.now() });
  }

  /** Gates for one member; returns how its leaders leave. Throws when a gate fails (nothing changed). */
  async function gate(first: ClusterSnapshot, member: Member, patienceMs: number): Promise<EvictionMode> {
    let reused: ClusterSnapshot | undefined = first;
    const report = await awaitGates(
      async () => {
        // The first evaluation uses the snapshot just read; each later one reads the cluster again.
        const fresh = reused ?? (await readClusterSnapshot(session, signal));
        reused = undefined;
        const current = fresh.mapping.members.find((m) => m.podName === member.podName) ?? member;
        const { records } = await readStepRecords(session.kube, cluster, fresh.mapping.members, signal);
        const state = await session.pd.evictLeaderState({ signal });
        const evictions = classifyEvictions(state, records, cluster, fresh);
        const resuming = records.some((r) => r.storeId === member.store?.storeId);
        return checkGates(session, fresh, current, evictions, { force: options.force, resuming, signal });
      },
      { patienceMs, pollIntervalMs: options.pollIntervalMs, clock, signal, onWaiting: info },
    );
    for (const warning of report.warnings) warn(warning);
    if (!report.passed) {
      const failure = report.results.find((r) => !r.ok)!;
      throw new UserError(`not restarting ${member.podName}: ${failure.reason}`, { suggestions: [failure.suggestion ?? 'Fix it and run again.', 'Pass --force to skip the health gates (loudly, at your own risk).'] });
    }
    if (report.skipEviction) return 'none';
    return cluster.ref.topology === 'tidb-operator-v2' ? 'operator' : 'scheduler';
  }

  /** Records of killed runs for stores this run does not touch: end their eviction and remove them. */
  async function undoLeftovers(leftovers: StepRecord[]): Promise<void> {
    const records = kubeStepRecords(session.kube, cluster);
    for (const record of leftovers) {
      const member = snapshot.mapping.members.find((m) => m.podName === record.podName) ?? { podName: record.podName };
      if (record.ownsScheduler) await session.pd.removeEvictLeader(record.storeId, { signal });
      await records.clear(member, record.storeId, signal);
      const note = `undid a step a killed run left on store ${record.storeId} (pod ${record.podName}, phase ${record.phase})${record.ownsScheduler ? ': its evict-leader scheduler was removed' : ''}`;
      result.cleanedUp.push(note);
      warn(note);
    }
  }
}

/** The members to restart: the pods named, all of them, or the ones picked in a terminal. */
async function chooseMembers(deps: RollingDeps, snapshot: ClusterSnapshot, options: RestartOptions): Promise<Member[]> {
  const { cluster } = deps.session;
  const { members, conflicts } = snapshot.mapping;
  const tikvNames = members.map((m) => m.podName);
  let chosen: Member[];
  if (options.all) {
    chosen = members;
  } else if (options.podNames.length > 0) {
    chosen = [];
    for (const name of options.podNames) {
      const member = members.find((m) => m.podName === name);
      if (member) {
        chosen.push(member);
        continue;
      }
      const pod = await deps.session.kube.get({ ...KINDS.pod, namespace: cluster.ref.namespace, name }, { signal: deps.signal });
      const list = tikvNames.length > 0 ? `TiKV pods of ${cluster.ref.name}: ${tikvNames.join(', ')}` : `${cluster.ref.name} has no TiKV pods`;
      if (pod) {
        const component = pod.metadata.labels?.['app.kubernetes.io/component'] ?? pod.metadata.labels?.['pingcap.com/component'];
        throw new UsageError(`pod "${name}" is not a TiKV pod of cluster ${cluster.ref.name}${component ? ` (it is a ${component} pod)` : ''}`, { suggestions: [list] });
      }
      throw new UsageError(`pod "${name}" not found in namespace "${cluster.ref.namespace}"`, { suggestions: [list] });
    }
  } else if (deps.prompter) {
    if (members.length === 0) throw new UsageError(`cluster ${cluster.ref.name} has no TiKV pods to restart`);
    const picked = await deps.prompter.checkbox(
      `Which TiKV pods of ${cluster.ref.name} should be restarted (one at a time)?`,
      members.map((m) => ({
        value: m.podName,
        name: `${m.podName}  store ${m.store?.storeId ?? '?'}  ${m.store?.stateName ?? 'no store'}  ${m.store?.leaderCount ?? 0} leaders${m.pod?.ready ? '' : '  (not Ready)'}`,
        disabled: m.store ? undefined : 'PD has no store for this pod',
      })),
    );
    chosen = members.filter((m) => picked.includes(m.podName));
  } else {
    throw new UsageError('name the TiKV pods to restart, or pass --all', { suggestions: ["'kubectl tikv status' lists them."] });
  }
  if (chosen.length === 0) throw new UsageError('no TiKV pods chosen', { suggestions: ['Name at least one pod, or pass --all.'] });
  for (const member of chosen) {
    const conflict = conflicts.find((c) => c.podName === member.podName);
    if (conflict) throw new UserError(`cannot tell which store pod ${member.podName} is: ${conflict.reason}`, { suggestions: ['Resolve the disagreement first; kubectl-tikv will not act on a store it cannot identify.'] });
    if (!member.store) throw new UserError(`PD has no store for pod ${member.podName}`, { suggestions: [`Check that its TiKV registered with PD ('kubectl tikv status').`] });
  }
  return chosen;
}

async function confirm(deps: RollingDeps, options: RestartOptions, result: RestartResult): Promise<boolean> {
  deps.present?.({ plan: result.plan });
  if (options.yes) return true;
  if (!deps.prompter) throw new UsageError('refusing to restart without confirmation: there is no terminal to ask on', { suggestions: ['Pass --yes to confirm in advance.'] });
  const count = result.plan.entries.filter((e) => e.action !== 'skip').length;
  return deps.prompter.confirm(`Restart ${count} TiKV pod${count === 1 ? '' : 's'} of ${result.cluster.name}, one at a time?`, false);
}

function restartTrigger(deps: RollingDeps): RestartTrigger {
  return deletePodTrigger(deps.session.kube, deps.session.cluster);
}

function resumeHint(options: RestartOptions): string {
  return options.all ? "Run 'kubectl tikv restart --all' again to continue." : 'Run the same command again.';
}
