import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.ts';
import type { ClusterConnection } from '../cli/cluster-connection.ts';
import { type GlobalOptions, resolveGlobalOptions } from '../cli/global-options.ts';

/** What `kubectl tikv version` reports; `cluster`, `pd` and `tikv` only when a cluster was reached. */
export interface VersionReport {
  plugin: { version: string; node: string; platform: string };
  cluster?: { topology: string; namespace: string; name: string; context: string };
  pd?: { version: string };
  /** Every TiKV version among the cluster's stores (Tombstones left out), with how many stores run it. */
  tikv?: { versions: { version: string; stores: number }[] };
}

/** `kubectl tikv version`: the plugin's version, and PD's and TiKV's when a cluster is reachable. */
export default class VersionCommand extends BaseCommand {
  static override usage = 'version [--client] [flags]';
  static override summary = "Show kubectl-tikv's version, and PD's and TiKV's when a cluster is reachable.";
  static override description =
    'Without --client, finds the TiKV cluster as every command does (kubeconfig, namespace, topology) and asks its PD for PD and TiKV versions. With no kubeconfig at all it shows the plugin version alone.';
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
    let failure: unknown;
    if (!flags.client) {
      try {
        await this.#addClusterVersions(report, globals);
      } catch (error) {
        failure = error;
      }
    }
    await this.#render(report, globals);
    // The plugin's own version is printed either way; then the cluster's failure decides the exit code.
    if (failure !== undefined) throw failure;
  }

  async #addClusterVersions(report: VersionReport, globals: GlobalOptions): Promise<void> {
    const { NoKubeconfigError } = await import('../kube/kubeconfig.ts');
    let session: ClusterConnection;
    try {
      session = await this.connect(globals);
    } catch (error) {
      // No kubeconfig at all, and no flag asking for a cluster: a plugin-only answer, like `--client`.
      if (error instanceof NoKubeconfigError && !asksForCluster(globals)) {
        this.note(`note: no cluster versions: ${error.message}`);
        return;
      }
      throw error;
    }
    try {
      const signal = this.runtime.signal;
      const { ref } = session.cluster;
      report.cluster = { topology: ref.topology, namespace: ref.namespace, name: ref.name, context: session.kubeconfig.contextName };
      const [pdVersion, stores] = await Promise.all([session.pd.version({ signal }), session.pd.stores({ signal })]);
      report.pd = { version: pdVersion };
      const counts = new Map<string, number>();
      for (const store of stores) {
        if (store.stateName === 'Tombstone') continue;
        const version = store.version ? `v${store.version.replace(/^v/, '')}` : 'unknown';
        counts.set(version, (counts.get(version) ?? 0) + 1);
      }
      report.tikv = { versions: [...counts].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true })).map(([version, count]) => ({ version, stores: count })) };
    } finally {
      await session.close();
    }
  }

  async #render(report: VersionReport, globals: GlobalOptions): Promise<void> {
    if (globals.output === 'json' || globals.output === 'yaml') {
      // Loaded only for -o json|yaml: every start (version --client) would otherwise evaluate the YAML library.
      const { renderStructured } = await import('../ui/structured-output.ts');
      this.out(renderStructured(report, globals.output));
      return;
    }
    const { plugin, cluster, pd, tikv } = report;
    const lines: [string, string][] = [['Plugin', `kubectl-tikv ${plugin.version} (node ${plugin.node}, ${plugin.platform})`]];
    if (cluster) {
      const context = cluster.context ? `, context "${cluster.context}"` : '';
      lines.push(['Cluster', `${cluster.name} (${cluster.topology}) in namespace "${cluster.namespace}"${context}`]);
    }
    if (pd) lines.push(['PD', pd.version]);
    if (tikv) {
      const versions = tikv.versions.map((v) => `${v.version} (${v.stores} store${v.stores === 1 ? '' : 's'})`).join(', ');
      lines.push(['TiKV', versions || 'no stores']);
    }
    if (lines.length === 1 && globals.output !== 'wide') {
      this.out(lines[0][1]);
      return;
    }
    const width = Math.max(...lines.map(([label]) => label.length)) + 3;
    this.out(lines.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`).join('\n'));
  }
}

/** True when a flag names a kubeconfig, context, server or cluster: then a missing kubeconfig is an error. */
function asksForCluster(globals: GlobalOptions): boolean {
  const k = globals.kubeconfig;
  const s = globals.selection;
  return [k.kubeconfig, k.context, k.kubeCluster, k.user, k.server, k.namespace, s.clusterName, s.pdService, s.pdUrl, s.topology].some((v) => v !== undefined);
}
