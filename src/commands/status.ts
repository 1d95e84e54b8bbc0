import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.ts';
import { resolveGlobalOptions } from '../cli/global-options.ts';
import type { StatusOptions } from '../services/status-options.ts';
import { colors, shouldColor } from '../ui/color.ts';

/** `kubectl tikv status` (alias `stores`): topology, PD, every store ↔ pod, evictions, region health. */
export default class StatusCommand extends BaseCommand {
  static override usage = 'status [flags]';
  static override summary = 'Show the TiKV cluster: PD, every store and its pod, leaders, evictions, region health.';
  static override description = `Finds the TiKV cluster in the namespace (tidb-operator v1 or v2, tikv-operator, or plain StatefulSets), reaches PD through a port-forward and shows one screen: PD health, leader and version; every TiKV store with its pod, state, version, leaders, regions, readiness and start time; evict-leader schedulers (ours, the operator's or stray ones); regions with down, pending or missing peers.`;
  static override aliases = ['stores'];
  static override examples = [
    { description: 'The cluster in the current namespace', command: '<%= config.bin %> status' },
    { description: 'A cluster in another namespace, as JSON', command: '<%= config.bin %> status -n tidb -o json' },
    { description: 'Keep watching while something else restarts a store', command: '<%= config.bin %> status --watch' },
  ];
  static override flags = {
    watch: Flags.boolean({ char: 'w', description: 'Refresh until interrupted.' }),
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every start (--help, version) would otherwise evaluate them (test/dist/startup.test.ts).
    const [{ readStatus }, { renderStatus }, { isStructured, renderStructured }] = await Promise.all([
      import('../services/status.ts'),
      import('../ui/status-view.ts'),
      import('../ui/structured-output.ts'),
    ]);
    const { flags } = await this.parseInput(StatusCommand);
    const globals = resolveGlobalOptions(flags, this.runtime.env);
    const options: StatusOptions = { output: globals.output, watch: flags.watch, pollIntervalMs: globals.pollIntervalMs };
    const connection = await this.connect(globals);
    const { signal, stdout, env } = this.runtime;
    const palette = colors(shouldColor(stdout, env, globals.colorAllowed));
    try {
      for (let first = true; ; first = false) {
        const report = await readStatus(connection, { signal });
        if (isStructured(options.output)) {
          // --watch -o json prints one document per refresh, as `kubectl get -w -o json` does.
          this.out(renderStructured(report, options.output));
        } else {
          if (options.watch && !first && stdout.isTTY) stdout.write('\u001b[H\u001b[2J');
          else if (!first) this.out('');
          this.out(renderStatus(report, { wide: options.output === 'wide', colors: palette, nowMs: Date.now() }));
        }
        if (!options.watch) return;
        try {
          await sleep(Math.max(1_000, options.pollIntervalMs * 2), signal);
        } catch {
          return; // Ctrl+C ends --watch: that is how it is meant to stop.
        }
      }
    } finally {
      await connection.close();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
