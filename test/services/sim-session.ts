import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClusterConnection, type ClusterConnection } from '../../src/cli/cluster-connection.ts';
import { resolveGlobalOptions, type RawGlobalFlags } from '../../src/cli/global-options.ts';
import type { HistoryEntry } from '../sim/history.ts';
import type { SimCluster } from '../sim/cluster.ts';

/** A connection to a simulated cluster made exactly as the CLI makes it (kubeconfig, detection, port-forwards). */
export async function openSimSession(sim: SimCluster, flags: RawGlobalFlags = {}, signal = new AbortController().signal): Promise<ClusterConnection & { dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-session-'));
  const kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig);
  const env = { KUBECONFIG: kubeconfig, HOME: dir };
  const sink = { write: () => true, isTTY: false };
  const connection = await openClusterConnection(resolveGlobalOptions(flags, env), { stdout: sink, stderr: sink, stdin: { isTTY: false }, env, signal });
  return Object.assign(connection, {
    async dispose() {
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The first entry at or after `fromMs` that matches, with its index, or undefined. */
export function firstEntry(entries: readonly HistoryEntry[], fromIndex: number, match: (e: HistoryEntry) => boolean): { entry: HistoryEntry; index: number } | undefined {
  for (let i = fromIndex; i < entries.length; i++) if (match(entries[i])) return { entry: entries[i], index: i };
  return undefined;
}

/**
 * Checks a graceful restart of `storeId` (pod `podName`) in the simulator's history, from `fromIndex` on, and
 * returns the indexes of its milestones. Throws naming the first milestone missing or out of order:
 * eviction begins → 0 leaders (PD and TiKV) → pod deleted → new pod Ready → store re-registered and Up → eviction
 * ends → leaders back.
 */
export function gracefulRestartMilestones(entries: readonly HistoryEntry[], fromIndex: number, storeId: number, podName: string, options: { evictedBy: 'plugin' | 'operator'; operatorMayEndIt?: boolean }): Record<string, number> {
  const marks: Record<string, number> = {};
  let at = fromIndex;
  const step = (name: string, match: (e: HistoryEntry) => boolean) => {
    const found = firstEntry(entries, at, match);
    if (!found) throw new Error(`${podName} (store ${storeId}): no "${name}" after the previous milestone (${Object.keys(marks).join(' → ') || 'start'})`);
    marks[name] = found.index;
    at = found.index;
  };
  step('scheduler-added', (e) => e.source === 'pd' && e.type === 'scheduler-added' && e.data.storeId === storeId && (options.evictedBy === 'operator' || e.data.by === 'http'));
  step('leaders-zero-truth', (e) => e.source === 'pd' && e.type === 'store-leaders-zero' && e.data.storeId === storeId && e.data.view === 'truth');
  const zeroPd = firstEntry(entries, marks['scheduler-added'], (e) => e.source === 'pd' && e.type === 'store-leaders-zero' && e.data.storeId === storeId && e.data.view === 'pd');
  if (!zeroPd) throw new Error(`${podName}: PD never saw 0 leaders`);
  at = Math.max(at, zeroPd.index);
  step('tikv-stopped', (e) => e.source === 'tikv' && e.type === 'store-stopped' && e.data.storeId === storeId);
  const stopped = at;
  // The new pod's Ready and the TiKV's re-registration (new start time) may come in either order.
  const ready = firstEntry(entries, stopped, (e) => e.source === 'kubelet' && e.type === 'pod-ready' && e.data.pod === podName);
  const registered = firstEntry(entries, stopped, (e) => e.source === 'pd' && e.type === 'store-registered' && e.data.storeId === storeId);
  if (!ready) throw new Error(`${podName}: the new pod never became Ready`);
  if (!registered) throw new Error(`${podName}: store ${storeId} never re-registered`);
  marks['pod-ready'] = ready.index;
  marks['store-registered'] = registered.index;
  const early = firstEntry(entries, stopped, (e) => e.source === 'pd' && e.type === 'scheduler-removed' && e.data.storeId === storeId);
  if (!early) throw new Error(`${podName}: the eviction of store ${storeId} never ended`);
  marks['scheduler-removed'] = early.index;
  // tidb-operator v2 ends its own eviction as soon as the new pod exists (it does not wait for the store to be Up);
  // kubectl-tikv cannot and must not change that, only verify the rest.
  if (options.evictedBy === 'operator' || options.operatorMayEndIt) return marks;
  if (early.index < Math.max(ready.index, registered.index)) throw new Error(`${podName}: the eviction of store ${storeId} ended before the pod was Ready and the store re-registered`);
  let lastState: unknown = 'Up';
  for (let i = registered.index; i < early.index; i++) {
    const e = entries[i];
    if (e.source === 'pd' && e.type === 'store-state' && e.data.storeId === storeId) lastState = e.data.to;
  }
  if (lastState !== 'Up') throw new Error(`${podName}: the eviction of store ${storeId} ended while it was ${String(lastState)}`);
  return marks;
}
