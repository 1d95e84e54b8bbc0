import type { Plan } from '../core/plan.ts';
import { heartbeatSinceStart } from '../core/store-step.ts';
import { imageTag, sameVersion } from '../core/version.ts';
import { UserError } from '../errors.ts';
import { classifyEvictions, readStepRecords } from './evictions.ts';
import { readClusterSnapshot, type ClusterSnapshot } from './cluster-session.ts';
import { checkGates } from './gate-check.ts';
import type { PodWatch } from './pod-watch.ts';
import type { StoreAction } from './progress.ts';
import type { RollingDeps } from './rolling-run.ts';
import type { StoreResult } from './store-step-runner.ts';
import type { UpgradeOptions } from './upgrade-options.ts';
import { pauseV2, type UpgradeStrategy } from './upgrade-strategy.ts';
import { isTransientFailure, retryTransient } from './transient.ts';

interface Followed {
  podName: string;
  storeId: number;
  origUid: string;
  origStartSec: number;
  leadersBefore: number;
  result: StoreResult;
  marks: Partial<Record<StoreAction | 'started', number>>;
}

/**
 * Follows an operator's own rolling upgrade (tidb-operator v1 RollingUpdate, v2) store by store: when it begins
 * evicting, leaders reach 0, the pod is replaced and Ready, the store is Up on the new version, and the eviction
 * ends — reporting each as it happens. Between stores it re-checks the health gates; on tidb-operator v2 a failed
 * gate pauses the Cluster (and the next run unpauses it). It never touches the operator's schedulers.
 */
export async function followOperatorUpgrade(
  deps: RollingDeps,
  context: {
    snapshot: ClusterSnapshot;
    plan: Plan;
    pods: PodWatch;
    strategy: UpgradeStrategy;
    options: UpgradeOptions;
    signal: AbortSignal;
    onStoreDone: (podName: string) => Promise<void>;
  },
): Promise<StoreResult[]> {
  const { session, clock, progress } = deps;
  const { pd, cluster } = session;
  const { options, signal, pods } = context;
  const followed: Followed[] = context.plan.entries
    .filter((e) => e.action === 'upgrade')
    .map((entry) => {
      const member = context.snapshot.mapping.members.find((m) => m.podName === entry.podName)!;
      const now = clock.now();
      return {
        podName: entry.podName,
        storeId: member.store!.storeId,
        origUid: member.pod?.uid ?? '',
        origStartSec: member.store!.startTimestampSec,
        leadersBefore: member.store!.leaderCount,
        result: { podName: entry.podName, storeId: member.store!.storeId, outcome: 'failed', reason: '', warnings: [], actions: [], startedAtMs: now, endedAtMs: now, durationsMs: { total: 0 } },
        marks: {},
      };
    });
  const stallMs = options.evictTimeoutMs + options.readyTimeoutMs;
  let lastProgressMs = clock.now();
  let index = 0;
  let wasActive = false;

  const mark = (f: Followed, action: StoreAction | 'started', detail: string) => {
    if (f.marks[action] !== undefined) return;
    const atMs = clock.now();
    f.marks[action] = atMs;
    lastProgressMs = atMs;
    if (action === 'started') {
      f.result.startedAtMs = atMs;
      progress.emit({ type: 'store-start', podName: f.podName, storeId: f.storeId, index: index++, total: followed.length, atMs });
      return;
    }
    f.result.actions.push({ action, atMs, detail });
    progress.emit({ type: 'action', podName: f.podName, storeId: f.storeId, action, detail, atMs });
  };

  for (;;) {
    signal.throwIfAborted();
    const pollStartMs = clock.now();
    let stores: Awaited<ReturnType<typeof pd.stores>>;
    let evictState: Awaited<ReturnType<typeof pd.evictLeaderState>>;
    try {
      [stores, evictState] = await Promise.all([pd.stores({ signal }), pd.evictLeaderState({ signal })]);
    } catch (error) {
      // PD electing or briefly unreachable: the operator goes on regardless; keep following (the stall check bounds it).
      if (signal.aborted || !isTransientFailure(error)) throw error;
      if (clock.now() - lastProgressMs > stallMs) throw error;
      progress.emit({ type: 'warning', message: `${error instanceof Error ? error.message : String(error)}; retrying`, atMs: clock.now() });
      await clock.sleep(Math.max(options.pollIntervalMs, 200), signal);
      continue;
    }
    const evicting = new Set(evictState.storeIds);
    for (const f of followed.filter((x) => x.result.outcome !== 'done')) {
      const store = stores.find((s) => s.storeId === f.storeId);
      const pod = pods.get(f.podName);
      const replaced = pod !== undefined && pod.uid !== f.origUid;
      const started = evicting.has(f.storeId) || replaced || pod?.terminating === true || (store !== undefined && store.startTimestampSec !== f.origStartSec);
      if (!started) continue;
      mark(f, 'started', 'the operator began with this store');
      if (evicting.has(f.storeId)) mark(f, 'scheduler-added', `the operator is evicting store ${f.storeId}`);
      if (store && store.leaderCount === 0 && !replaced && f.marks['leaders-drained'] === undefined && pod && (pod.ready || pod.terminating)) {
        const tikv = await session.tikv.leaderCount(f.podName, { signal }).catch(() => null);
        if (tikv === 0) mark(f, 'leaders-drained', `store ${f.storeId} holds no leaders (PD and TiKV)`);
      }
      if (pod?.terminating && f.marks['restart-triggered'] === undefined) mark(f, 'restart-triggered', `the operator is replacing pod ${f.podName}`);
      if (replaced && !pod.terminating) mark(f, 'pod-replaced', `pod ${f.podName} recreated`);
      if (replaced && pod.ready && !pod.terminating) mark(f, 'pod-ready', `pod ${f.podName} is Ready`);
      const up = store !== undefined && store.stateName === 'Up' && store.startTimestampSec !== f.origStartSec && sameVersion(store.version, options.targetVersion) && heartbeatSinceStart(store);
      if (up) mark(f, 'store-up', `store ${f.storeId} is Up on ${store.version}`);
      if (up && !evicting.has(f.storeId) && f.marks['scheduler-added'] !== undefined) mark(f, 'scheduler-removed', `the operator ended its eviction of store ${f.storeId}`);
      const podOnTarget = pod !== undefined && replaced && pod.ready && sameVersion(imageTag(pod.image) ?? '', options.targetVersion);
      if (up && podOnTarget && !evicting.has(f.storeId)) {
        const now = clock.now();
        f.result.outcome = 'done';
        f.result.reason = `store ${f.storeId} upgraded by the operator to ${store!.version}`;
        f.result.endedAtMs = now;
        const m = f.marks;
        f.result.durationsMs = {
          eviction: m['scheduler-added'] !== undefined && m['leaders-drained'] !== undefined ? m['leaders-drained'] - m['scheduler-added'] : undefined,
          restart: m['restart-triggered'] !== undefined && m['store-up'] !== undefined ? m['store-up'] - m['restart-triggered'] : undefined,
          total: now - f.result.startedAtMs,
        };
        progress.emit({ type: 'store-end', podName: f.podName, storeId: f.storeId, outcome: 'done', reason: f.result.reason, atMs: now });
        await context.onStoreDone(f.podName);
      }
    }
    const remaining = followed.filter((f) => f.result.outcome !== 'done');
    if (remaining.length === 0) return followed.map((f) => f.result);
    const active = remaining.some((f) => f.marks.started !== undefined);
    if (wasActive && !active) {
      await retryTransient(async () => gateBetweenStores(await readClusterSnapshot(session, signal)), {
        budgetMs: stallMs,
        pollIntervalMs: options.pollIntervalMs,
        clock,
        signal,
        onRetry: (message) => progress.emit({ type: 'warning', message, atMs: clock.now() }),
      });
    }
    wasActive = active;
    if (clock.now() - lastProgressMs > stallMs) {
      const waiting = remaining[0];
      throw new UserError(`the operator made no progress for ${Math.round(stallMs / 1000)}s (next: store ${waiting.storeId}, pod ${waiting.podName}); kubectl-tikv stopped following, the operator may still go on`, {
        suggestions: [`Check the operator's logs and 'kubectl tikv status'; run the same upgrade command again to follow it.`],
      });
    }
    await pods.changed(Math.max(1, pollStartMs + options.pollIntervalMs - clock.now()), signal);
  }

  /** The health gates between two stores; on tidb-operator v2 a failure pauses the Cluster before the next instance. */
  async function gateBetweenStores(fresh: ClusterSnapshot): Promise<void> {
    const next = followed.find((f) => f.result.outcome !== 'done');
    const member = fresh.mapping.members.find((m) => m.podName === next?.podName);
    if (!member) return;
    const { records } = await readStepRecords(session.kube, cluster, fresh.mapping.members, signal);
    const evictions = classifyEvictions(await pd.evictLeaderState({ signal }), records, cluster, fresh).filter((e) => e.owner !== 'operator');
    const report = await checkGates(session, { ...fresh, v1: fresh.v1 ? { ...fresh.v1, phase: 'Normal' } : undefined }, member, evictions, { force: options.force, resuming: true, signal });
    for (const warning of report.warnings) progress.emit({ type: 'warning', message: warning, atMs: clock.now() });
    if (report.passed) return;
    const failure = report.results.find((r) => !r.ok)!;
    if (cluster.ref.topology === 'tidb-operator-v2') {
      await pauseV2(session.kube, cluster, failure.reason, signal);
      throw new UserError(`paused the upgrade between instances: ${failure.reason}`, {
        suggestions: [failure.suggestion ?? 'Fix it.', "Then run the same 'kubectl tikv upgrade' command again: it unpauses the Cluster and continues."],
      });
    }
    throw new UserError(`a health gate failed between stores: ${failure.reason}; tidb-operator goes on with its upgrade`, {
      suggestions: [failure.suggestion ?? 'Fix it.', 'Pause the TidbCluster (spec.paused: true) if the upgrade must stop.'],
    });
  }
}
