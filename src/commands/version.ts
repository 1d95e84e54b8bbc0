import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.ts';
import { resolveGlobalOptions } from '../cli/global-options.ts';
import { isStructured, renderStructured } from '../ui/structured-output.ts';

/** What `kubectl tikv version` reports. */
export interface VersionReport {
  plugin: { version: string; node: string; platform: string };
}

/** `kubectl tikv version`: the plugin's version, and PD's and TiKV's when a cluster is reachable. */
export default class VersionCommand extends BaseCommand {
  static override usage = 'version [--client] [flags]';
  static override summary = "Show kubectl-tikv's version, and PD's and TiKV's when a cluster is reachable.";
  static override examples = [
    { description: 'Plugin and cluster versions', command: '<%= config.bin %> version' },
    { description: 'Only the plugin, without contacting the cluster', command: '<%= config.bin %> version --client' },
    { description: 'For scripts', command: '<%= config.bin %> version -o json' },
  ];
  static override flags = {
    client: Flags.boolean({ description: 'Only the plugin version; do not contact the cluster.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parseInput(VersionCommand);
    const globals = resolveGlobalOptions(flags, this.runtime.env);
    const report: VersionReport = {
      plugin: { version: `v${this.config.version}`, node: process.version, platform: `${process.platform}/${process.arch}` },
    };
    if (isStructured(globals.output)) {
      this.out(renderStructured(report, globals.output));
      return;
    }
    this.out(`kubectl-tikv ${report.plugin.version} (node ${report.plugin.node}, ${report.plugin.platform})`);
  }
}
