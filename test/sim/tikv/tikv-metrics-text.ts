/** What a TiKV store's `/metrics` reports about itself, from the truth (never from PD's lagging view). */
export interface TikvMetricsInput {
  leaderCount: number;
  regionCount: number;
  /** Regions of this store whose leader it is missing (a follower that has not heard from a leader). */
  leaderMissing: number;
  processStartSec: number;
  capacityBytes: number;
  usedBytes: number;
}

/**
 * Prometheus text exposition (format 0.0.4) as TiKV's status server renders it: HELP/TYPE lines, families in
 * name order, label values quoted. Only a realistic handful of families is rendered.
 */
export function renderTikvMetrics(m: TikvMetricsInput): string {
  const lines: string[] = [];
  const family = (name: string, help: string, type: string, samples: [string, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${formatValue(value)}`);
  };
  family('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', [['', m.processStartSec]]);
  family('tikv_engine_size_bytes', 'Sizes of each column families', 'gauge', [
    ['{db="kv",type="default"}', Math.floor(m.usedBytes * 0.7)],
    ['{db="kv",type="lock"}', 0],
    ['{db="kv",type="write"}', Math.floor(m.usedBytes * 0.3)],
  ]);
  family('tikv_raftstore_leader_missing', 'Total leader missing region', 'gauge', [['', m.leaderMissing]]);
  family('tikv_raftstore_region_count', 'Number of regions collected in region_collector', 'gauge', [
    ['{type="buckets"}', 0],
    ['{type="leader"}', m.leaderCount],
    ['{type="region"}', m.regionCount],
  ]);
  family('tikv_store_size_bytes', 'Size of storage.', 'gauge', [
    ['{type="available"}', Math.max(0, m.capacityBytes - m.usedBytes)],
    ['{type="capacity"}', m.capacityBytes],
    ['{type="used"}', m.usedBytes],
  ]);
  return `${lines.join('\n')}\n`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
