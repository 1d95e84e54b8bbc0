import type { GateName, GateReport } from '../core/gates.ts';
import type { Colors } from './color.ts';
import { visibleWidth } from './table.ts';

/** The name users read for each health gate. */
export function gateLabel(gate: GateName): string {
  switch (gate) {
    case 'store-known':
      return 'store known';
    case 'pd-healthy':
      return 'PD healthy';
    case 'other-stores-up':
      return 'other stores Up';
    case 'region-health':
      return 'regions healthy';
    case 'max-replicas':
      return 'max-replicas';
    case 'no-foreign-eviction':
      return 'no other eviction';
    case 'operator-idle':
      return 'operator idle';
    case 'pod-ready':
      return 'pod Ready';
  }
}

/**
 * A gate report: a heading that says whether the store may be touched, then ✓/✗ per gate with its reason and, for a
 * failed one, what to do. Gates that `--force` overrode are marked loudly on their line and in the heading; the
 * report's other warnings (a single-store cluster) follow.
 */
export function renderGateReport(report: GateReport, options: { colors: Colors; subject: string }): string {
  const c = options.colors;
  const failed = report.results.filter((r) => !r.ok);
  const forced = report.passed && failed.length > 0;
  const heading = `Health checks for ${options.subject}: `;
  let verdict: string;
  if (failed.length === 0) verdict = c.green('all passed');
  else if (forced) verdict = c.bold(c.red(`${failed.length} failed, overridden by --force`));
  else verdict = c.red(`${failed.length} failed`);
  const lines = [`${heading}${verdict}`];

  const labelWidth = Math.max(...report.results.map((r) => visibleWidth(gateLabel(r.gate))));
  const indent = ' '.repeat(2 + 1 + 2 + labelWidth + 3);
  for (const result of report.results) {
    const mark = result.ok ? c.green('✓') : c.red('✗');
    const label = gateLabel(result.gate).padEnd(labelWidth);
    const override = !result.ok && forced ? ` ${c.bold(c.red('(ignored: --force)'))}` : '';
    lines.push(`  ${mark}  ${result.ok ? label : c.bold(label)}   ${result.reason}${override}`);
    if (!result.ok && result.suggestion) lines.push(`${indent}${c.dim(result.suggestion)}`);
  }
  // The per-gate "--force: ignoring failed gate …" warnings are already on the gate lines above.
  const overridden = new Set(failed.map((r) => `--force: ignoring failed gate ${r.gate}: ${r.reason}`));
  for (const warning of report.warnings) {
    if (!overridden.has(warning)) lines.push(`${c.yellow('Warning:')} ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}
