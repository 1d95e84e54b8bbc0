import { Args, Flags } from '@oclif/core';
import { BaseCommand, helpSuggestion } from '../cli/base-command.ts';
import { evictionFlags } from '../cli/global-flags.ts';
import { resolveGlobalOptions, resolveStepOptions } from '../cli/global-options.ts';
import { isInteractive, requireConfirmationPossible } from '../cli/interactive.ts';
import { runHolder } from '../cli/run-holder.ts';
import { UsageError } from '../errors.ts';
import { systemClock } from '../services/clock.ts';
import type { EvictOptions } from '../services/evict-options.ts';

/** `kubectl tikv evict POD|--store ID`: begin (or `--end`) leader eviction of one store; `--list` shows them. */
export default class EvictCommand extends BaseCommand {
  static override usage = ['evict (POD | --store ID) [--end] [flags]', 'evict --list [flags]'];
  static override summary = "Move a store's leaders away (PD evict-leader scheduler), or end that.";
  static override description = `Adds the store of a TiKV pod (or --store ID) to PD's evict-leader scheduler and waits until it holds 0 leaders, with a live count. --end removes it again; --list shows every store being evicted and who asked. On a tidb-operator v2 cluster the operator removes schedulers it did not add, so evict refuses there unless --force.`;
  static override examples = [
    { description: 'Evict the leaders of a pod\'s store and wait for 0', command: '<%= config.bin %> evict basic-tikv-1' },
    { description: 'Evict by store id without waiting', command: '<%= config.bin %> evict --store 5 --no-wait' },
    { description: 'Let the store take leaders again', command: '<%= config.bin %> evict basic-tikv-1 --end' },
    { description: 'What is being evicted', command: '<%= config.bin %> evict --list' },
  ];
  static override args = {
    pod: Args.string({ description: 'The TiKV pod whose store to evict.' }),
  };
  static override flags = {
    store: Flags.string({ helpValue: 'ID', description: 'The PD store id (instead of POD).' }),
    end: Flags.boolean({ description: 'Remove the store from the evict-leader scheduler.' }),
    list: Flags.boolean({ description: 'List the stores being evicted; changes nothing.' }),
    wait: Flags.boolean({ allowNo: true, default: true, description: 'Wait until the store holds 0 leaders (--no-wait: return at once).' }),
    ...evictionFlags,
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every start (--help, version) would otherwise evaluate them (test/dist/startup.test.ts).
    const [{ openRollingUi }, { runEvict }, { isStructured, renderStructured }, { renderEvictResult }] = await Promise.all([
      import('../cli/rolling-ui.ts'),
      import('../services/evict.ts'),
      import('../ui/structured-output.ts'),
      import('../ui/evict-view.ts'),
    ]);
    const { flags, args } = await this.parseInput(EvictCommand);
    const globals = resolveGlobalOptions(flags, this.runtime.env);
    const steps = resolveStepOptions(flags, globals.pollIntervalMs);
    let storeId: number | undefined;
    if (flags.store !== undefined) {
      if (!/^[1-9]\d*$/.test(flags.store)) {
        throw new UsageError(`invalid --store "${flags.store}": a store id is a positive integer`, { suggestions: [helpSuggestion('evict')] });
      }
      storeId = Number(flags.store);
    }
    if (flags.list) {
      if (args.pod !== undefined || storeId !== undefined || flags.end) {
        throw new UsageError('--list takes no POD, --store or --end', { suggestions: [helpSuggestion('evict')] });
      }
    } else {
      if (args.pod === undefined && storeId === undefined) {
        throw new UsageError('name the store to evict: a TiKV POD or --store ID', {
          suggestions: ["'kubectl tikv status' lists the pods and their stores.", helpSuggestion('evict')],
        });
      }
      if (args.pod !== undefined && storeId !== undefined) {
        throw new UsageError('give either a POD or --store, not both', { suggestions: [helpSuggestion('evict')] });
      }
      requireConfirmationPossible(this.runtime, steps.yes || flags.end, flags.end ? 'end the eviction' : 'evict leaders');
    }
    const options: EvictOptions = {
      ...steps,
      podName: args.pod,
      storeId,
      end: flags.end,
      list: flags.list,
      wait: flags.wait,
      output: globals.output,
    };
    const connection = await this.connect(globals);
    const ui = openRollingUi(this.runtime, globals, { interactive: isInteractive(this.runtime) });
    try {
      let result;
      try {
        result = await runEvict(
          { session: connection, clock: systemClock, progress: ui.progress, prompter: ui.prompter, signal: this.runtime.signal, holder: runHolder(connection.kubeconfig.contextName) },
          options,
        );
      } finally {
        await ui.finish();
      }
      if (isStructured(globals.output)) this.out(renderStructured(result, globals.output));
      else this.out(renderEvictResult(result));
    } finally {
      await connection.close();
    }
  }
}
