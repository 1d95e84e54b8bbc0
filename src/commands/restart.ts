import { Args, Flags } from '@oclif/core';
import type { RestartResult } from '../services/restart.ts';
import { BaseCommand, helpSuggestion } from '../cli/base-command.ts';
import { operationFlags } from '../cli/global-flags.ts';
import { resolveGlobalOptions, resolveStepOptions } from '../cli/global-options.ts';
import { isInteractive, requireConfirmationPossible } from '../cli/interactive.ts';
import { runHolder } from '../cli/run-holder.ts';
import { UsageError } from '../errors.ts';
import { systemClock } from '../services/clock.ts';
import type { RestartOptions } from '../services/restart-options.ts';

/** `kubectl tikv restart [POD …]`: graceful restart, one store at a time. */
export default class RestartCommand extends BaseCommand {
  static override usage = 'restart [POD...] [--all] [flags]';
  static override summary = 'Gracefully restart TiKV pods, one store at a time, leaders evicted first.';
  static override description = `For each pod: health gates → evict leaders → wait for 0 → delete the pod → pod Ready → store Up with a new start time → remove the scheduler → leaders come back. Without POD in a terminal, pick from a list; --all restarts the whole cluster (resumable: run the same command again to continue).`;
  static override examples = [
    { description: 'Restart one TiKV pod', command: '<%= config.bin %> restart basic-tikv-1' },
    { description: 'Rolling restart of every store, in CI', command: '<%= config.bin %> restart --all --yes -n tidb' },
    { description: 'Pick the pods from a list', command: '<%= config.bin %> restart' },
  ];
  static override args = {
    pods: Args.string({ multiple: true, description: 'TiKV pods to restart, in this order.' }),
  };
  static override flags = {
    all: Flags.boolean({ description: 'Restart every TiKV store of the cluster (rolling, resumable).' }),
    ...operationFlags,
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every start (--help, version) would otherwise evaluate them (test/dist/startup.test.ts).
    const [{ openRollingUi }, { runRestart }, { RollingRunError }, { isStructured, renderStructured }] = await Promise.all([
      import('../cli/rolling-ui.ts'),
      import('../services/restart.ts'),
      import('../services/rolling-run.ts'),
      import('../ui/structured-output.ts'),
    ]);
    const { flags, args } = await this.parseInput(RestartCommand);
    const globals = resolveGlobalOptions(flags, this.runtime.env);
    const steps = resolveStepOptions(flags, globals.pollIntervalMs);
    const podNames = args.pods ?? [];
    const interactive = isInteractive(this.runtime);
    if (flags.all && podNames.length > 0) {
      throw new UsageError('give POD names or --all, not both', { suggestions: [helpSuggestion('restart')] });
    }
    if (!flags.all && podNames.length === 0 && !interactive) {
      throw new UsageError('name the TiKV pods to restart, or pass --all (there is no terminal to pick them from)', {
        suggestions: ["'kubectl tikv status' lists the pods.", helpSuggestion('restart')],
      });
    }
    const duplicate = podNames.find((name, i) => podNames.indexOf(name) !== i);
    if (duplicate) throw new UsageError(`pod "${duplicate}" is named twice`, { suggestions: [helpSuggestion('restart')] });
    requireConfirmationPossible(this.runtime, steps.yes, 'restart TiKV');
    const options: RestartOptions = { ...steps, podNames, all: flags.all, interactive, output: globals.output };
    const connection = await this.connect(globals);
    const ui = openRollingUi(this.runtime, globals, { interactive });
    let result: RestartResult | undefined;
    try {
      result = await runRestart(
        { session: connection, clock: systemClock, progress: ui.progress, prompter: ui.prompter, present: ui.present, signal: this.runtime.signal, holder: runHolder(connection.kubeconfig.contextName) },
        options,
      );
    } catch (error) {
      if (error instanceof RollingRunError) result = error.result as RestartResult;
      throw error;
    } finally {
      await ui.finish(result && { stores: result.stores, warnings: [...result.cleanedUp], doneWord: 'restarted' });
      if (result && isStructured(globals.output)) this.out(renderStructured(result, globals.output));
      if (result && !result.confirmed && !isStructured(globals.output)) this.note('Not confirmed; nothing changed.');
      await connection.close();
    }
  }
}
