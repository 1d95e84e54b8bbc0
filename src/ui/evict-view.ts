import type { EvictResult, EvictionRow } from '../services/evict.ts';
import { renderTable } from './table.ts';

/** `kubectl tikv evict` for humans: the list as a table, or one sentence about what changed. */
export function renderEvictResult(result: EvictResult): string {
  switch (result.action) {
    case 'list':
      return renderTable<EvictionRow>(
        [
          { header: 'STORE', value: (r) => String(r.storeId), align: 'right' },
          { header: 'POD', value: (r) => r.podName ?? '-' },
          { header: 'BY', value: (r) => r.owner },
          { header: 'LEADERS', value: (r) => (r.leadersPd === undefined ? '-' : String(r.leadersPd)), align: 'right' },
          { header: 'TIKV-LEADERS', value: (r) => (r.leadersTikv === undefined ? '-' : r.leadersTikv === null ? '?' : String(r.leadersTikv)), align: 'right' },
          { header: 'SCHEDULER', value: (r) => r.schedulerName },
        ],
        result.evictions,
        { emptyMessage: 'No store is being evicted.' },
      );
    case 'begin':
      return [`store ${result.storeId}${result.podName ? ` (pod ${result.podName})` : ''}: ${result.store.reason}`, ...result.warnings.map((w) => `warning: ${w}`)].join('\n') + '\n';
    case 'end':
      return [`${result.message}`, ...result.warnings.map((w) => `warning: ${w}`)].join('\n') + '\n';
  }
}
