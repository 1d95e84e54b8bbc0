import type { Eviction, Member } from '../core/model.ts';
import { UsageError, UserError } from '../errors.ts';
import { PdStoreNotFoundError } from '../pd/pd-errors.ts';
import { readClusterSnapshot, type ClusterSnapshot } from './cluster-session.ts';
import { classifyEvictions, readStepRecords } from './evictions.ts';
import type { EvictOptions } from './evict-options.ts';
import { checkGates } from './gate-check.ts';
import { kubeStepRecords } from './kube-step-records.ts';
import { PodWatch } from './pod-watch.ts';
import { deletePodTrigger } from './restart-trigger.ts';
import { stepRunnerDeps, stepSettings, storeTarget, type RollingDeps } from './rolling-run.ts';
import { RunLease } from './run-lease.ts';
import { runStoreStep, type StoreResult } from './store-step-runner.ts';

/** One store being evicted, as `evict --list` shows it. */
export interface EvictionRow extends Eviction {
  podName?: string;
  leadersPd?: number;
  leadersTikv?: number | null;
  /** When kubectl-tikv began it (its step record), if it did. */
  sinceMs?: number;
  command?: string;
}

/** The outcome of `kubectl tikv evict`. */
export type EvictResult =
  | { action: 'list'; evictions: EvictionRow[] }
  | { action: 'begin'; storeId: number; podName?: string; store: StoreResult; warnings: string[] }
  | { action: 'end'; storeId: number; podName?: string; removed: boolean; message: string; warnings: string[] };

/**
 * `kubectl tikv evict`: begin leader eviction of one store and wait for 0 (the eviction stays until `--end`), end
 * it, or list what is being evicted and by whom. A failed, timed-out or interrupted wait removes the scheduler it
 * added. On tidb-operator v2 it refuses to begin unless `--force`: that operator removes schedulers it did not ask for.
 */
export async function runEvict(deps: RollingDeps, options: EvictOptions): Promise<EvictResult> {
  const { session } = deps;
  const { cluster, pd } = session;
  const signal = deps.signal;
  const snapshot = await readClusterSnapshot(session, signal);
  const { records } = await readStepRecords(session.kube, cluster, snapshot.mapping.members, signal);
  const state = await pd.evictLeaderState({ signal });
  const evictions = classifyEvictions(state, records, cluster, snapshot);

  if (options.list) {
    const rows: EvictionRow[] = evictions.map((e) => {
      const member = snapshot.mapping.members.find((m) => m.store?.storeId === e.storeId);
      const record = records.find((r) => r.storeId === e.storeId);
      const store = member?.store ?? snapshot.stores.find((s) => s.storeId === e.storeId);
      return { ...e, podName: member?.podName, leadersPd: store?.leaderCount, sinceMs: record?.phaseSinceMs, command: record?.command };
    });
    await Promise.all(
      rows.map(async (row) => {
        if (!row.podName) return;
        row.leadersTikv = await session.tikv.leaderCount(row.podName, { signal }).catch((error: unknown) => {
          if (signal.aborted) throw error;
          return null;
        });
      }),
    );
    return { action: 'list', evictions: rows };
  }

  // `--end --store N` works for any store PD evicts, even one whose pod is gone.
  const orphanEnd = options.end && options.storeId !== undefined && !snapshot.mapping.members.some((m) => m.store?.storeId === options.storeId) && evictions.some((e) => e.storeId === options.storeId);
  const member: Member = orphanEnd ? { podName: `(store ${options.storeId})` } : await resolveMember(deps, snapshot, options);
  const storeId = orphanEnd ? options.storeId! : member.store!.storeId;
  const existing = evictions.find((e) => e.storeId === storeId);
  // Refused before the Lease is taken: bad input changes nothing in the cluster, not even the Lease.
  const refused = refusal(member, existing);
  if (refused) throw refused;
  const lease = await RunLease.acquire(session.kube, cluster, { holder: deps.holder, command: `evict ${options.end ? '--end ' : ''}${member.podName}`, clock: deps.clock, timing: deps.leaseTiming, signal });
  try {
    if (options.end) return await end(member, existing);
    return await begin(member);
  } finally {
    await lease.release({ completed: true });
  }

  /** Why the request must be refused as it stands (without --force), if it must. */
  function refusal(target: Member, eviction: Eviction | undefined): UsageError | undefined {
    if (options.force) return undefined;
    if (options.end) {
      if (eviction?.owner !== 'operator') return undefined;
      return new UsageError(`the eviction of store ${storeId} belongs to the operator (${cluster.ref.topology}); ending it would interfere with its own work`, {
        suggestions: ['Let the operator finish, or pass --force to remove it anyway.'],
      });
    }
    if (cluster.ref.topology === 'tidb-operator-v2') {
      return new UsageError('tidb-operator v2 removes every evict-leader scheduler it did not ask for (within ~30 s), so an eviction by kubectl-tikv would not last', {
        suggestions: [`To restart the pod gracefully, use 'kubectl tikv restart ${target.podName}': the operator evicts its leaders first.`, 'Pass --force to add the scheduler anyway.'],
      });
    }
    if (eviction && eviction.owner !== 'kubectl-tikv') {
      return new UsageError(`store ${storeId} is already being evicted (${eviction.owner})`, { suggestions: ["'kubectl tikv evict --list' shows who evicts what."] });
    }
    return undefined;
  }

  async function end(target: Member, eviction: Eviction | undefined): Promise<EvictResult> {
    const warnings: string[] = [];
    const records = kubeStepRecords(session.kube, cluster);
    const record = await records.read(target, storeId, signal);
    if (!eviction) {
      if (record) await records.clear(target, storeId, signal);
      return { action: 'end', storeId, podName: target.podName, removed: false, message: `store ${storeId} is not being evicted; nothing to end`, warnings };
    }
    if (eviction.owner !== 'kubectl-tikv') warnings.push(`store ${storeId}'s eviction was not started by kubectl-tikv (${eviction.owner}); removed as asked`);
    const outcome = await pd.removeEvictLeader(storeId, { signal });
    if (record) await records.clear(target, storeId, signal);
    const message = outcome === 'removed' ? `store ${storeId} left the evict-leader scheduler; PD will move leaders back to it gradually` : `store ${storeId} was already out of the evict-leader scheduler`;
    return { action: 'end', storeId, podName: target.podName, removed: outcome === 'removed', message, warnings };
  }

  async function begin(target: Member): Promise<EvictResult> {
    const warnings: string[] = [];
    if (cluster.ref.topology === 'tidb-operator-v2') warnings.push('--force on tidb-operator v2: the operator will remove this eviction on its next poll (~30 s)');
    const report = await checkGates(session, snapshot, target, evictions, { force: options.force, resuming: true, signal });
    // Eviction moves leaders, it does not take the store down: only the gates about where leaders can go apply.
    const relevant = report.results.filter((r) => !r.ok && ['pd-healthy', 'other-stores-up', 'max-replicas', 'no-foreign-eviction', 'store-known'].includes(r.gate));
    if (relevant.length > 0 && !options.force) {
      throw new UserError(`not evicting store ${storeId}: ${relevant[0].reason}`, { suggestions: [relevant[0].suggestion ?? 'Fix it first.', 'Pass --force to evict anyway.'] });
    }
    warnings.push(...report.warnings);
    if (report.skipEviction) throw new UserError(`store ${storeId} is the only store: its leaders have nowhere to go`, { suggestions: ['Add stores first, or restart it with downtime.'] });
    if (!options.yes) {
      if (!deps.prompter) throw new UsageError('refusing to evict without confirmation: there is no terminal to ask on', { suggestions: ['Pass --yes.'] });
      const ok = await deps.prompter.confirm(`Move all leaders off store ${storeId} (pod ${target.podName}) and keep them off until 'kubectl tikv evict --end'?`, false);
      if (!ok) throw new UserError('not confirmed; nothing changed');
    }
    const pods = await PodWatch.start(session.kube, cluster, signal);
    try {
      const store = await runStoreStep(
        stepRunnerDeps(deps, pods, deletePodTrigger(session.kube, cluster)),
        { ...storeTarget(target, 'scheduler', options), onEvictTimeout: 'abort', skipLeaderReturn: true },
        target,
        stepSettings(deps, 'evict', options, signal, { evictOnly: { noWait: !options.wait } }),
      );
      return { action: 'begin', storeId, podName: target.podName, store, warnings: [...warnings, ...store.warnings] };
    } finally {
      await pods.stop();
    }
  }
}

/** The member a POD or --store names; bad names are usage errors that list what exists. */
async function resolveMember(deps: RollingDeps, snapshot: ClusterSnapshot, options: EvictOptions): Promise<Member> {
  const { cluster, pd } = deps.session;
  const members = snapshot.mapping.members;
  if (options.storeId !== undefined) {
    const member = members.find((m) => m.store?.storeId === options.storeId);
    if (member) return member;
    try {
      const store = await pd.store(options.storeId, { signal: deps.signal });
      throw new UsageError(`store ${options.storeId} (${store.address}, ${store.stateName}) does not belong to a TiKV pod of cluster ${cluster.ref.name}`, {
        suggestions: [`Stores of ${cluster.ref.name}: ${members.flatMap((m) => (m.store ? [`${m.store.storeId} (${m.podName})`] : [])).join(', ') || 'none'}`],
      });
    } catch (error) {
      if (error instanceof PdStoreNotFoundError) {
        throw new UsageError(`store ${options.storeId} does not exist in PD`, {
          suggestions: [`Stores of ${cluster.ref.name}: ${members.flatMap((m) => (m.store ? [`${m.store.storeId} (${m.podName})`] : [])).join(', ') || 'none'}`],
        });
      }
      throw error;
    }
  }
  const member = members.find((m) => m.podName === options.podName);
  if (!member) {
    throw new UsageError(`pod "${options.podName}" is not a TiKV pod of cluster ${cluster.ref.name} in namespace "${cluster.ref.namespace}"`, {
      suggestions: [`TiKV pods: ${members.map((m) => m.podName).join(', ') || 'none'}`],
    });
  }
  const conflict = snapshot.mapping.conflicts.find((c) => c.podName === member.podName);
  if (conflict) throw new UserError(`cannot tell which store pod ${member.podName} is: ${conflict.reason}`);
  if (!member.store) throw new UserError(`PD has no store for pod ${member.podName}`, { suggestions: ["Check 'kubectl tikv status'."] });
  return member;
}
