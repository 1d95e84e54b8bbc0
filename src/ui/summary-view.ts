import { formatDuration } from '../cli/duration.ts';
import type { StoreOutcome } from '../services/progress.ts';
import type { StoreResult } from '../services/store-step-runner.ts';
import type { Colors } from './color.ts';
import { renderTable, type Column } from './table.ts';

/** What the end-of-run summary shows. */
export interface SummaryInput {
  /** The stores this run worked on, in order. */
  stores: StoreResult[];
  /** Planned stores this run did not work on, with what to say about each (`not started`, `restarted earlier`). */
  others?: { podName: string; storeId?: number; result: string }[];
  /** Run-level warnings (gates, leftovers undone, Lease); the stores' own warnings are taken from their results. */
  warnings?: string[];
  /** The word for a store that is done: `restarted` (default), `upgraded`. */
  doneWord?: string;
}

type Row = { kind: 'store'; result: StoreResult } | { kind: 'other'; podName: string; storeId?: number; result: string };

/**
 * The end-of-run summary: per store the outcome and how long the eviction, the restart and the leaders' return took
 * (kubectl-style columns), a closing sentence with the counts and the run's length, and every warning of the run
 * again at the end, where it is not scrolled away. Reasons of failures are not repeated: the task list and the
 * command's error say them.
 */
export function renderSummary(input: SummaryInput, options: { colors: Colors }): string {
  const c = options.colors;
  const doneWord = input.doneWord ?? 'restarted';
  const rows: Row[] = [...input.stores.map((result): Row => ({ kind: 'store', result })), ...(input.others ?? []).map((o): Row => ({ kind: 'other', ...o }))];
  const duration = (pick: (r: StoreResult) => number | undefined) => (row: Row) => {
    if (row.kind !== 'store') return '';
    const ms = pick(row.result);
    return ms === undefined ? c.dim('-') : formatDuration(ms);
  };
  const columns: Column<Row>[] = [
    { header: 'POD', value: (row) => (row.kind === 'store' ? row.result.podName : row.podName) },
    { header: 'STORE', value: (row) => storeText(row.kind === 'store' ? row.result.storeId : row.storeId), align: 'right' },
    { header: 'RESULT', value: (row) => (row.kind === 'store' ? outcomeText(row.result.outcome, doneWord, c) : c.dim(row.result)) },
    { header: 'EVICTION', value: duration((r) => r.durationsMs.eviction) },
    { header: 'RESTART', value: duration((r) => r.durationsMs.restart) },
    { header: 'LEADERS BACK', value: duration((r) => r.durationsMs.leaderReturn) },
    { header: 'TOTAL', value: duration((r) => r.durationsMs.total) },
  ];
  const parts = [renderTable(columns, rows, { emptyMessage: 'No TiKV stores were touched.' })];

  const count = (outcome: StoreOutcome) => input.stores.filter((s) => s.outcome === outcome).length;
  const total = rows.length;
  if (total > 0) {
    const started = input.stores.length > 0 ? Math.min(...input.stores.map((s) => s.startedAtMs)) : undefined;
    const ended = input.stores.length > 0 ? Math.max(...input.stores.map((s) => s.endedAtMs)) : undefined;
    const took = started !== undefined && ended !== undefined ? ` in ${formatDuration(Math.max(0, ended - started))}` : '';
    const extras = [
      count('failed') > 0 ? c.red(`${count('failed')} failed`) : '',
      count('interrupted') > 0 ? c.yellow(`${count('interrupted')} interrupted`) : '',
      count('skipped') > 0 ? `${count('skipped')} skipped` : '',
      (input.others ?? []).length > 0 ? `${input.others!.length} not done by this run` : '',
    ].filter(Boolean);
    parts.push(`\n${count('done')} of ${total} ${total === 1 ? 'store' : 'stores'} ${doneWord}${took}${extras.length > 0 ? `; ${extras.join(', ')}` : ''}.\n`);
  }

  const warnings = unique([...(input.warnings ?? []), ...input.stores.flatMap((s) => s.warnings)]);
  if (warnings.length > 0) parts.push(`\n${warnings.map((w) => `${c.yellow('Warning:')} ${w}`).join('\n')}\n`);
  return parts.join('');
}

function outcomeText(outcome: StoreOutcome, doneWord: string, c: Colors): string {
  switch (outcome) {
    case 'done':
      return c.green(doneWord);
    case 'failed':
      return c.red('failed');
    case 'interrupted':
      return c.yellow('interrupted');
    case 'skipped':
      return c.dim('skipped');
  }
}

function storeText(storeId: number | undefined): string {
  return storeId === undefined ? '?' : String(storeId);
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
