import type { StatusReport, StatusStore } from '../services/status.ts';
import type { Colors } from './color.ts';
import { renderTable, type Column } from './table.ts';

/** `kubectl tikv status` as a screen: a header (cluster, PD, regions, evictions) and one row per store. */
export function renderStatus(report: StatusReport, options: { wide: boolean; colors: Colors; nowMs: number }): string {
  const c = options.colors;
  const lines: string[] = [];
  const { cluster, pd, regionHealth } = report;
  lines.push(`${c.bold('Cluster')}   ${cluster.name} in ${cluster.namespace} (${cluster.topology}: ${cluster.description})${report.operatorPhase ? `, operator phase ${report.operatorPhase === 'Normal' ? report.operatorPhase : c.yellow(report.operatorPhase)}` : ''}`);
  if (pd.error) {
    lines.push(`${c.bold('PD')}        ${c.red(pd.error)}`);
  } else {
    const healthy = pd.members.filter((m) => m.healthy !== false).length;
    const memberText = `${healthy}/${pd.members.length} member${pd.members.length === 1 ? '' : 's'} healthy`;
    lines.push(
      `${c.bold('PD')}        ${pd.version ?? '?'}, leader ${pd.leader ?? c.red('none')}, ${healthy === pd.members.length ? memberText : c.red(memberText)}${pd.maxReplicas !== undefined ? `, max-replicas ${pd.maxReplicas < 3 ? c.yellow(String(pd.maxReplicas)) : pd.maxReplicas}` : ''}`,
    );
  }
  const bad = regionHealth.downPeer + regionHealth.missPeer + regionHealth.pendingPeer + regionHealth.offlinePeer;
  const regionText = `${regionHealth.downPeer} down-peer, ${regionHealth.missPeer} miss-peer, ${regionHealth.pendingPeer} pending-peer, ${regionHealth.offlinePeer} offline-peer`;
  lines.push(`${c.bold('Regions')}   ${bad === 0 ? `healthy (${regionText})` : c.yellow(regionText)}`);
  if (report.evictions.length > 0) {
    const text = report.evictions.map((e) => `store ${e.storeId}${e.podName ? ` (${e.podName})` : ''} by ${e.owner === 'kubectl-tikv' ? 'kubectl-tikv' : e.owner === 'operator' ? 'the operator' : c.yellow('someone else (stray)')}`).join(', ');
    lines.push(`${c.bold('Evicting')}  ${text}`);
  }
  lines.push('');
  lines.push(renderTable(storeColumns(c, options.nowMs), report.stores, { wide: options.wide, emptyMessage: 'No TiKV pods or stores found.' }).trimEnd());
  for (const conflict of report.conflicts) lines.push(c.yellow(`warning: ${conflict.reason}`));
  for (const store of report.stores) {
    if (store.step) lines.push(`${c.cyan('note')}: kubectl-tikv ${store.step.command} of store ${store.storeId} is in phase ${store.step.phase}${store.step.holder ? ` (${store.step.holder})` : ''}; running the same command again resumes it, 'kubectl tikv evict --end --store ${store.storeId}' ends its eviction`);
  }
  for (const warning of report.warnings) lines.push(c.yellow(`warning: ${warning}`));
  return `${lines.join('\n')}\n`;
}

function storeColumns(c: Colors, nowMs: number): Column<StatusStore>[] {
  return [
    { header: 'STORE', value: (s) => (s.storeId === undefined ? '-' : String(s.storeId)), align: 'right' },
    { header: 'POD', value: (s) => s.podName ?? c.yellow('(no pod)') },
    { header: 'STATE', value: (s) => stateText(s, c) },
    { header: 'VERSION', value: (s) => s.version ?? '-' },
    { header: 'LEADERS', value: (s) => (s.leadersPd === undefined ? '-' : String(s.leadersPd)), align: 'right' },
    { header: 'TIKV-LEADERS', value: (s) => (s.leadersTikv === undefined ? '-' : s.leadersTikv === null ? c.yellow('?') : String(s.leadersTikv)), align: 'right' },
    { header: 'REGIONS', value: (s) => (s.regions === undefined ? '-' : String(s.regions)), align: 'right' },
    { header: 'POD-STATUS', value: (s) => podText(s, c) },
    { header: 'STARTED', value: (s) => (s.startTime ? `${age(nowMs - Date.parse(s.startTime))} ago` : '-') },
    { header: 'EVICTING', value: (s) => (s.eviction ? (s.eviction === 'stray' ? c.yellow('stray') : s.eviction) : '') },
    { header: 'RESTARTS', value: (s) => (s.restarts === undefined ? '-' : String(s.restarts)), align: 'right', wide: true },
    { header: 'ADDRESS', value: (s) => s.address ?? '-', wide: true },
    { header: 'IMAGE', value: (s) => s.image ?? '-', wide: true },
    { header: 'INSTANCE', value: (s) => s.instance ?? '-', wide: true },
  ];
}

function stateText(s: StatusStore, c: Colors): string {
  if (!s.state) return c.yellow('no store');
  if (s.state === 'Up') return c.green('Up');
  if (s.state === 'Tombstone' || s.state === 'Offline') return c.dim(s.state);
  return c.red(s.state);
}

function podText(s: StatusStore, c: Colors): string {
  if (s.podReady === undefined) return '-';
  if (s.podTerminating) return c.yellow('Terminating');
  if (s.podReady) return c.green('Ready');
  return c.yellow(s.podPhase === 'Running' ? 'NotReady' : (s.podPhase ?? 'Unknown'));
}

/** kubectl-style age: 45s, 3m12s, 2h5m, 4d3h. */
export function age(ms: number): string {
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m${sec % 60 ? `${sec % 60}s` : ''}`;
  const hours = Math.floor(min / 60);
  if (hours < 24) return `${hours}h${min % 60 ? `${min % 60}m` : ''}`;
  const days = Math.floor(hours / 24);
  return `${days}d${hours % 24 ? `${hours % 24}h` : ''}`;
}
