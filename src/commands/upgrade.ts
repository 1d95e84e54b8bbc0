import { Flags } from '@oclif/core';
import { BaseCommand, helpSuggestion } from '../cli/base-command.ts';
import { operationFlags } from '../cli/global-flags.ts';
import { resolveGlobalOptions, resolveStepOptions } from '../cli/global-options.ts';
import { isInteractive, requireConfirmationPossible } from '../cli/interactive.ts';
import { serviceNotImplemented } from '../cli/service-not-implemented.ts';
import { parseVersion } from '../core/version.ts';
import { UsageError } from '../errors.ts';
import type { UpgradeOptions } from '../services/upgrade-options.ts';

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
    ...operationFlags,
  };

  async run(): Promise<void> {
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
    };
    const connection = await this.connect(globals);
    try {
      throw serviceNotImplemented('upgrade', options);
    } finally {
      await connection.close();
    }
  }
}
