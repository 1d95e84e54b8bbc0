import type { Plan, PlanEntry } from '../core/plan.ts';
import type { Colors } from './color.ts';
import { renderTable, type Column } from './table.ts';

interface PlanRow {
  entry: PlanEntry;
  /** 1-based position among the stores that will be acted on; undefined for skipped ones. */
  position?: number;
}

/**
 * The plan shown before the confirmation (and printed by `--dry-run`): one row per store in the order they will be
 * done — position, pod, store, version now → after, leaders, action, note — then the order rule, the warnings and
 * anything that refuses the plan. kubectl's look: aligned columns, no boxes; colour only through `colors`.
 */
export function renderPlan(plan: Plan, options: { colors: Colors }): string {
  const c = options.colors;
  let position = 0;
  const rows: PlanRow[] = plan.entries.map((entry) => (entry.action === 'skip' ? { entry } : { entry, position: ++position }));
  const skipped = (row: PlanRow, text: string) => (row.entry.action === 'skip' ? c.dim(text) : text);
  const columns: Column<PlanRow>[] = [
    { header: '#', value: (row) => (row.position === undefined ? c.dim('-') : String(row.position)), align: 'right' },
    { header: 'POD', value: (row) => skipped(row, row.entry.podName) },
    { header: 'STORE', value: (row) => skipped(row, row.entry.storeId === undefined ? '?' : String(row.entry.storeId)), align: 'right' },
    { header: 'VERSION', value: (row) => skipped(row, versionChange(row.entry)) },
    { header: 'LEADERS', value: (row) => skipped(row, String(row.entry.leaders)), align: 'right' },
    { header: 'ACTION', value: (row) => (row.entry.action === 'skip' ? c.dim('skip') : c.bold(row.entry.action)) },
  ];
  if (plan.entries.some((entry) => entry.note)) columns.push({ header: 'NOTE', value: (row) => noteText(row.entry, c) });
  const parts: string[] = [renderTable(columns, rows, { emptyMessage: 'No TiKV stores in the plan.' })];
  const after: string[] = [];
  if (plan.orderRule && position > 1) after.push(`Order: ${plan.orderRule}.`);
  if (position === 0 && rows.length > 0) after.push('Nothing to do: every store is skipped.');
  for (const warning of plan.warnings) after.push(`${c.yellow('Warning:')} ${warning}`);
  for (const refusal of plan.refusals) {
    after.push(`${c.red('Refused:')} ${refusal.reason}`);
    if (refusal.suggestion) after.push(`  ${refusal.suggestion}`);
  }
  if (after.length > 0) parts.push(`\n${after.join('\n')}\n`);
  return parts.join('');
}

/** `v8.5.0 → v8.5.1`, or one version when it does not change (a restart). */
function versionChange(entry: PlanEntry): string {
  const from = entry.from === undefined ? '?' : withV(entry.from);
  const to = entry.to === undefined ? undefined : withV(entry.to);
  if (to === undefined || to === from || entry.action === 'skip') return from;
  return `${from} → ${to}`;
}

function noteText(entry: PlanEntry, c: Colors): string {
  if (!entry.note) return '';
  if (entry.action === 'skip') return c.dim(entry.note);
  return c.yellow(entry.note);
}

/** PD reports `8.5.0`; users write and read `v8.5.0`. */
function withV(version: string): string {
  return /^\d/.test(version) ? `v${version}` : version;
}
