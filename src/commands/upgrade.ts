import { Flags } from '@oclif/core';
import type { UpgradeResult } from '../services/upgrade.ts';
import { BaseCommand, helpSuggestion } from '../cli/base-command.ts';
import { operationFlags } from '../cli/global-flags.ts';
import { resolveGlobalOptions, resolveStepOptions } from '../cli/global-options.ts';
import { isInteractive, requireConfirmationPossible } from '../cli/interactive.ts';
import { formatDuration } from '../cli/duration.ts';
import { runHolder } from '../cli/run-holder.ts';
import { STORE_ORDERS, type StoreOrder } from '../core/plan.ts';
import { parseVersion } from '../core/version.ts';
import { UsageError } from '../errors.ts';
import { systemClock } from '../services/clock.ts';
import type { UpgradeOptions } from '../services/upgrade-options.ts';
import type { Colors } from '../ui/color.ts';
import { renderGateReport } from '../ui/gate-view.ts';
import { renderPlan } from '../ui/plan-view.ts';

/** `kubectl tikv upgrade --version vX.Y.Z`: rolling upgrade with leader eviction, resumable. */
export default class UpgradeCommand extends BaseCommand {
  static override usage = 'upgrade --version vX.Y.Z [--dry-run] [flags]';
  static override summary = 'Rolling upgrade of TiKV to a version, one store at a time, leaders evicted first.';
  static override description = `Shows the plan (instances, order, current → target versions, checks) and asks; then upgrades one store at a time the way the topology wants it (operator version change it follows live, instance version, or the StatefulSet image), evicting leaders first and waiting for the store to come back. Running the same command again resumes where it stopped.`;
  static override examples = [
    { description: 'Show the plan only', command: '<%= config.bin %> upgrade --version v8.5.1 --dry-run' },
    { description: 'Upgrade, confirming interactively', command: '<%= config.bin %> upgrade --version v8.5.1 -n tidb' },
  ];
  static override flags = {
    version: Flags.string({ required: true, helpValue: 'vX.Y.Z', description: 'Target TiKV version.' }),
    'dry-run': Flags.boolean({ description: 'Show the plan and the checks; change nothing.' }),
    order: Flags.string({ options: [...STORE_ORDERS], default: 'leaders', description: 'Which stores go first: fewest leaders, by ordinal, or highest ordinal first (a StatefulSet partition or the operator may dictate it).' }),
    'allow-downgrade': Flags.boolean({ description: 'Accept a target version older than a store runs.' }),
    ...operationFlags,
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every start (--help, version) would otherwise evaluate them (test/dist/startup.test.ts).
    const [{ openRollingUi }, { RollingRunError }, { runUpgrade }, { isStructured, renderStructured }] = await Promise.all([
      import('../cli/rolling-ui.ts'),
      import('../services/rolling-run.ts'),
      import('../services/upgrade.ts'),
      import('../ui/structured-output.ts'),
    ]);
    const { flags } = await this.parseInput(UpgradeCommand);
    const globals = resolveGlobalOptions(flags, this.runtime.env);
    const steps = resolveStepOptions(flags, globals.pollIntervalMs);
    if (!parseVersion(flags.version)) {
      throw new UsageError(`malformed version "${flags.version}": expected vMAJOR.MINOR.PATCH, e.g. v8.5.1`, {
        suggestions: [helpSuggestion('upgrade')],
      });
    }
    if (!flags['dry-run']) requireConfirmationPossible(this.runtime, steps.yes, 'upgrade TiKV');
    const options: UpgradeOptions = {
      ...steps,
      targetVersion: flags.version,
      dryRun: flags['dry-run'],
      interactive: isInteractive(this.runtime),
      output: globals.output,
      order: flags.order as StoreOrder,
      allowDowngrade: flags['allow-downgrade'],
    };
    const connection = await this.connect(globals);
    const ui = openRollingUi(this.runtime, globals, { interactive: options.interactive });
    let result: UpgradeResult | undefined;
    try {
      result = await runUpgrade(
        { session: connection, clock: systemClock, progress: ui.progress, prompter: ui.prompter, present: ui.present, signal: this.runtime.signal, holder: runHolder(connection.kubeconfig.contextName) },
        options,
      );
    } catch (error) {
      if (error instanceof RollingRunError) result = error.result as UpgradeResult;
      throw error;
    } finally {
      await ui.finish(result && !result.dryRun ? { stores: result.stores, warnings: [...result.cleanedUp], doneWord: 'upgraded' } : undefined);
      if (result && isStructured(globals.output)) this.out(renderStructured(result, globals.output));
      else if (result?.dryRun) this.out(renderDryRun(result, ui.colors));
      else if (result?.verified?.ok) this.note(`All ${result.plan.entries.length} stores are on v${result.targetVersion.replace(/^v/, '')}${result.totalMs !== undefined ? ` (${formatDuration(result.totalMs)})` : ''}.`);
      else if (result && !result.confirmed && !result.dryRun) this.note('Not confirmed; nothing changed.');
      await connection.close();
    }
  }
}

/** `--dry-run` output (stdout): the plan, how the topology changes, the health gates. */
function renderDryRun(result: UpgradeResult, colors: Colors): string {
  const parts = [`Upgrade of ${result.cluster.name} (${result.cluster.topology}) to ${result.targetVersion} — dry run, nothing changed.\n`, renderPlan(result.plan, { colors }), `How: ${result.how}\n`];
  if (result.gates) parts.push(renderGateReport(result.gates, { colors, subject: 'the cluster' }));
  return parts.join('\n');
}
