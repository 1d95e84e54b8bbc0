import type { GateReport } from '../core/gates.ts';
import type { Member } from '../core/model.ts';
import { planUpgrade, resumeFirst, type Plan } from '../core/plan.ts';
import { imageTag, sameVersion } from '../core/version.ts';
import { InterruptedError, UsageError, UserError } from '../errors.ts';
import { readClusterSnapshot, type ClusterSnapshot } from './cluster-session.ts';
import { classifyEvictions, readStepRecords } from './evictions.ts';
import { awaitGates, checkGates } from './gate-check.ts';
import { PodWatch } from './pod-watch.ts';
import { RollingRunError, stepRunnerDeps, stepSettings, storeTarget, type RollingDeps } from './rolling-run.ts';
import { RunLease } from './run-lease.ts';
import { runStoreStep, StoreStepError, type StoreResult } from './store-step-runner.ts';
import { followOperatorUpgrade } from './upgrade-follow.ts';
import type { UpgradeOptions } from './upgrade-options.ts';
import { upgradeStrategyFor, type UpgradeStrategy } from './upgrade-strategy.ts';
import { retryTransient } from './transient.ts';

/** The outcome of `kubectl tikv upgrade`, for the summary and `-o json`. */
export interface UpgradeResult {
  cluster: { topology: string; namespace: string; name: string };
  targetVersion: string;
  mode: 'driven' | 'followed';
  /** What changes, in words (the strategy). */
  how: string;
  plan: Plan;
  /** Gates as they were before the first store (the dry run shows them). */
  gates?: GateReport;
  dryRun: boolean;
  confirmed: boolean;
  /** True when a previous, interrupted run had started this upgrade. */
  resumed: boolean;
  stores: StoreResult[];
  cleanedUp: string[];
  warnings: string[];
  /** Every store on the target version in PD and every pod on the target image, checked at the end. */
  verified?: { ok: boolean; mismatches: string[] };
  startedAtMs: number;
  totalMs?: number;
}

/**
 * `kubectl tikv upgrade --version`: plan (refusing bad versions and downgrades before anything changes), confirm,
 * then upgrade one store at a time — driven with kubectl-tikv's own eviction, or following the operator's own
 * rolling upgrade — and verify every store and pod at the end. Resumable: the same command continues.
 */
export async function runUpgrade(deps: RollingDeps, options: UpgradeOptions): Promise<UpgradeResult> {
  const { session, clock, progress } = deps;
  const { cluster, pd } = session;
  const startedAtMs = clock.now();
  const snapshot = await readClusterSnapshot(session, deps.signal);
  const strategy = await upgradeStrategyFor(session, clock, options.targetVersion, deps.signal);
  const pdVersion = await pd.version({ signal: deps.signal });
  const plan = planUpgrade({
    members: snapshot.mapping.members,
    targetVersion: options.targetVersion,
    pdVersion,
    order: options.order,
    forcedReverseOrdinal: strategy.forcedReverseOrdinal,
    allowDowngrade: options.allowDowngrade,
  });
  const { records: leftovers } = await readStepRecords(session.kube, cluster, snapshot.mapping.members, deps.signal);
  for (const entry of plan.entries) {
    // A store an interrupted run left mid-step may already run the target version: it still has to be finished
    // (scheduler gone, leaders back, record cleared), not skipped.
    if (entry.action === 'skip' && strategy.mode === 'driven' && leftovers.some((r) => r.podName === entry.podName)) {
      entry.action = 'upgrade';
      entry.note = 'finishing the step an interrupted run left';
    }
  }
  if (!strategy.forcedReverseOrdinal) resumeFirst(plan, leftovers.map((r) => r.podName));
  if (strategy.mode === 'followed') plan.orderRule = cluster.ref.topology === 'tidb-operator-v1' ? 'the operator\'s order: highest ordinal first' : 'the operator\'s order: one instance at a time';
  const result: UpgradeResult = {
    cluster: { topology: cluster.ref.topology, namespace: cluster.ref.namespace, name: cluster.ref.name },
    targetVersion: plan.target?.text ?? options.targetVersion,
    mode: strategy.mode,
    how: strategy.describe,
    plan,
    dryRun: options.dryRun,
    confirmed: false,
    resumed: false,
    stores: [],
    cleanedUp: [],
    warnings: [...plan.warnings],
    startedAtMs,
  };
  if (plan.refusals.length > 0) throw new RollingRunError(new UsageError(plan.refusals[0].reason, { suggestions: [plan.refusals[0].suggestion] }), result);
  for (const conflict of snapshot.mapping.conflicts) {
    throw new RollingRunError(new UserError(`cannot tell which store pod ${conflict.podName} is: ${conflict.reason}`, { suggestions: ['Resolve the disagreement first.'] }), result);
  }
  for (const member of snapshot.mapping.members) {
    if (!member.store) throw new RollingRunError(new UserError(`PD has no store for pod ${member.podName}`, { suggestions: ["Check 'kubectl tikv status'; every TiKV must be registered before an upgrade."] }), result);
  }
  const todo = plan.entries.filter((e) => e.action === 'upgrade');
  // Another run at work makes the gates fail on what it is doing: name that run first.
  if (!options.dryRun) {
    await RunLease.assertFree(session.kube, cluster, { holder: deps.holder, clock, timing: deps.leaseTiming, signal: deps.signal }).catch((error: unknown) => {
      throw error instanceof UserError ? new RollingRunError(error, result) : error;
    });
  }
  const first = snapshot.mapping.members.find((m) => m.podName === todo[0]?.podName) ?? snapshot.mapping.members[0];
  if (first) {
    const records = leftovers;
    const evictions = classifyEvictions(await pd.evictLeaderState({ signal: deps.signal }), records, cluster, snapshot);
    const resumingUpgrade = snapshot.v1?.phase === 'Upgrade' && snapshot.mapping.members.some((m) => m.store && sameVersion(m.store.version, options.targetVersion));
    result.gates = await checkGates(session, resumingUpgrade ? { ...snapshot, v1: { ...snapshot.v1!, phase: 'Normal' } } : snapshot, first, strategy.mode === 'followed' ? evictions.filter((e) => e.owner !== 'operator') : evictions, {
      force: options.force,
      resuming: records.some((r) => r.storeId === first.store?.storeId) || strategy.mode === 'followed',
      signal: deps.signal,
    });
  }
  if (options.dryRun) return result;
  if (todo.length === 0) {
    result.confirmed = true;
    result.verified = verify(snapshot, options.targetVersion);
    result.totalMs = clock.now() - startedAtMs;
    progress.emit({ type: 'info', message: `every store is already on ${result.targetVersion}; nothing to do`, atMs: clock.now() });
    // A run killed during an upgrade the operator then finished leaves its expired Lease: nothing resumes from it now.
    await RunLease.clearStale(session.kube, cluster, { holder: deps.holder, clock, timing: deps.leaseTiming, signal: deps.signal });
    return result;
  }
  if (result.gates && !result.gates.passed) {
    const failure = result.gates.results.find((r) => !r.ok)!;
    throw new RollingRunError(new UserError(`not upgrading: ${failure.reason}`, { suggestions: [failure.suggestion ?? 'Fix it and run again.', 'Pass --force to skip the health gates (loudly).'] }), result);
  }

  const lease = await RunLease.acquire(session.kube, cluster, { holder: deps.holder, command: `upgrade --version ${result.targetVersion}`, clock, timing: deps.leaseTiming, signal: deps.signal });
  const signal = AbortSignal.any([deps.signal, lease.lost]);
  let completed = false;
  let pods: PodWatch | undefined;
  try {
    if (lease.tookOverFrom) warn(`took over the Lease of a run that stopped renewing it (${lease.tookOverFrom})`);
    const previous = lease.previous;
    result.resumed = previous?.command === 'upgrade' && previous.targetVersion === result.targetVersion;
    if (result.resumed) info(`resuming the upgrade to ${result.targetVersion} started by an earlier run: ${plan.entries.filter((e) => e.action === 'skip').length} of ${plan.entries.length} stores are already on it`);
    for (const warning of result.gates?.warnings ?? []) warn(warning);
    deps.present?.({ plan, gates: result.gates, how: result.how });
    if (!options.yes) {
      if (!deps.prompter) throw new UsageError('refusing to upgrade without confirmation: there is no terminal to ask on', { suggestions: ['Pass --yes to confirm in advance.'] });
      result.confirmed = await deps.prompter.confirm(`Upgrade ${todo.length} TiKV store${todo.length === 1 ? '' : 's'} of ${cluster.ref.name} to ${result.targetVersion}, one at a time?`, false);
      if (!result.confirmed) return result;
    }
    result.confirmed = true;
    const progressRecord = { command: 'upgrade', targetVersion: result.targetVersion, donePods: plan.entries.filter((e) => e.action === 'skip').map((e) => e.podName), startedAtMs };
    await lease.saveProgress(progressRecord, signal);
    await strategy.prepare(options.targetVersion, signal);
    // Not stopped by an interrupt: the cleanup that follows still watches the pod (`finally` stops it).
    pods = await PodWatch.start(session.kube, cluster, lease.lost);
    if (strategy.mode === 'followed') {
      result.stores = await followOperatorUpgrade(deps, { snapshot, plan, pods, strategy, options, signal, onStoreDone: async (podName) => {
        progressRecord.donePods.push(podName);
        await lease.saveProgress(progressRecord, signal);
      } });
    } else {
      await driveStores(strategy, pods, signal, async (podName) => {
        progressRecord.donePods.push(podName);
        await lease.saveProgress(progressRecord, signal);
      });
    }
    result.warnings.push(...(await strategy.finish(options.targetVersion, signal)));
    // PD may show stores Disconnected for a moment (an election, a heartbeat late): look again, within the gates'
    // patience, before calling the upgrade unfinished.
    const verifyUntil = clock.now() + Math.min(options.readyTimeoutMs, 120_000);
    for (;;) {
      const final = await retryTransient(() => readClusterSnapshot(session, signal), { budgetMs: Math.min(options.readyTimeoutMs, 120_000), pollIntervalMs: options.pollIntervalMs, clock, signal });
      result.verified = verify(final, options.targetVersion);
      if (result.verified.ok || clock.now() >= verifyUntil) break;
      await clock.sleep(Math.max(options.pollIntervalMs, 200), signal);
    }
    result.totalMs = clock.now() - startedAtMs;
    if (!result.verified.ok) {
      throw new UserError(`the upgrade ran, but ${result.verified.mismatches[0]}${result.verified.mismatches.length > 1 ? ` (and ${result.verified.mismatches.length - 1} more)` : ''}`, {
        suggestions: ["Check 'kubectl tikv status'; run the same upgrade command again to retry the stores that are not on the target."],
      });
    }
    completed = true;
    return result;
  } catch (error) {
    result.totalMs = clock.now() - startedAtMs;
    if (error instanceof StoreStepError) {
      result.stores.push(error.result);
      throw new RollingRunError(withSuggestion(error, "Run the same 'kubectl tikv upgrade' command again to continue where it stopped."), result);
    }
    if (deps.signal.aborted && !(error instanceof UserError && error.code === 130)) {
      throw new RollingRunError(new InterruptedError(`interrupted; ${strategy.mode === 'followed' ? 'the operator carries on with the upgrade by itself' : 'no store was left half-done'}`, { suggestions: ["Run the same 'kubectl tikv upgrade' command again to continue."], cause: error }), result);
    }
    if (lease.lost.aborted && lease.lost.reason instanceof UserError) throw new RollingRunError(lease.lost.reason, result);
    if (error instanceof UserError) throw new RollingRunError(error, result);
    throw error;
  } finally {
    await pods?.stop();
    await lease.release({ completed: completed || !result.confirmed });
  }

  async function driveStores(strategy: UpgradeStrategy, podWatch: PodWatch, runSignal: AbortSignal, onDone: (podName: string) => Promise<void>): Promise<void> {
    const stepDeps = stepRunnerDeps(deps, podWatch, strategy.trigger);
    const entries = result.plan.entries.filter((e) => e.action === 'upgrade');
    for (const [index, entry] of entries.entries()) {
      runSignal.throwIfAborted();
      // Between stores: a passing PD or API failure is waited out, not fatal.
      const fresh = await retryTransient(() => readClusterSnapshot(session, runSignal), { budgetMs: Math.min(options.readyTimeoutMs, 120_000), pollIntervalMs: options.pollIntervalMs, clock, signal: runSignal });
      const member = fresh.mapping.members.find((m) => m.podName === entry.podName);
      if (!member?.store) throw new UserError(`pod ${entry.podName} has no store in PD any more`, { suggestions: ["Check 'kubectl tikv status'."] });
      const storeId = member.store.storeId;
      const { records } = await retryTransient(() => readStepRecords(session.kube, cluster, fresh.mapping.members, runSignal), { budgetMs: Math.min(options.readyTimeoutMs, 120_000), pollIntervalMs: options.pollIntervalMs, clock, signal: runSignal });
      const resuming = records.some((r) => r.storeId === storeId);
      if (!resuming && onTarget(member, options.targetVersion)) {
        info(`store ${storeId} (pod ${member.podName}) is already on ${result.targetVersion}`);
        await onDone(member.podName);
        continue;
      }
      progress.emit({ type: 'store-start', podName: member.podName, storeId, index, total: entries.length, atMs: clock.now() });
      let reused: ClusterSnapshot | undefined = fresh;
      const report = await awaitGates(
        async () => {
          // The first evaluation uses the snapshot just read; each later one reads the cluster again.
          const current = reused ?? (await readClusterSnapshot(session, runSignal));
          reused = undefined;
          const { records: now } = await readStepRecords(session.kube, cluster, current.mapping.members, runSignal);
          const evictions = classifyEvictions(await pd.evictLeaderState({ signal: runSignal }), now, cluster, current);
          // tidb-operator v1 (OnDelete) reports phase Upgrade because of this very upgrade: that is not someone else's.
          const gated = current.v1?.phase === 'Upgrade' ? { ...current, v1: { ...current.v1, phase: 'Normal' } } : current;
          const currentMember = current.mapping.members.find((m) => m.podName === member.podName) ?? member;
          return checkGates(session, gated, currentMember, evictions, { force: options.force, resuming, signal: runSignal });
        },
        { patienceMs: index === 0 ? 0 : Math.min(options.readyTimeoutMs, 120_000), pollIntervalMs: options.pollIntervalMs, clock, signal: runSignal, onWaiting: info },
      );
      for (const warning of report.warnings) warn(warning);
      if (!report.passed) {
        const failure = report.results.find((r) => !r.ok)!;
        const reason = `stopped before ${member.podName}: ${failure.reason}`;
        progress.emit({ type: 'store-end', podName: member.podName, storeId, outcome: 'failed', reason, atMs: clock.now() });
        throw new UserError(reason, { suggestions: [failure.suggestion ?? 'Fix it.', "Then run the same 'kubectl tikv upgrade' command again to continue."] });
      }
      const target = storeTarget(member, report.skipEviction ? 'none' : 'scheduler', options, options.targetVersion);
      const storeResult = await runStoreStep(stepDeps, target, member, stepSettings(deps, 'upgrade', options, runSignal));
      result.stores.push(storeResult);
      result.warnings.push(...storeResult.warnings);
      await onDone(member.podName);
    }
  }

  function info(message: string): void {
    progress.emit({ type: 'info', message, atMs: clock.now() });
  }

  function warn(message: string): void {
    result.warnings.push(message);
    progress.emit({ type: 'warning', message, atMs: clock.now() });
  }
}

/** The store reports the version in PD and its pod runs an image with that tag. */
export function onTarget(member: Member, version: string): boolean {
  const tag = member.pod ? imageTag(member.pod.image) : undefined;
  return member.store !== undefined && sameVersion(member.store.version, version) && (tag === undefined || sameVersion(tag, version));
}

function verify(snapshot: ClusterSnapshot, version: string): { ok: boolean; mismatches: string[] } {
  const mismatches: string[] = [];
  for (const member of snapshot.mapping.members) {
    if (!member.store) mismatches.push(`pod ${member.podName} has no store in PD`);
    else if (!sameVersion(member.store.version, version)) mismatches.push(`store ${member.store.storeId} (pod ${member.podName}) reports version ${member.store.version}`);
    else if (member.store.stateName !== 'Up') mismatches.push(`store ${member.store.storeId} (pod ${member.podName}) is ${member.store.stateName}`);
    const tag = member.pod ? imageTag(member.pod.image) : undefined;
    if (member.pod && (!tag || !sameVersion(tag, version))) mismatches.push(`pod ${member.podName} runs image ${member.pod.image}`);
  }
  return { ok: mismatches.length === 0, mismatches };
}

function withSuggestion(error: UserError, suggestion: string): UserError {
  return new UserError(error.message, { code: error.code, suggestions: [...error.suggestions, suggestion], cause: error.cause ?? error });
}
