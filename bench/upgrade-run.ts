import { runCli, type CliInstall } from './cli.ts';
import { analyseUpgrade, type UpgradeAnalysis } from './upgrade-analysis.ts';
import type { SimProcess } from './sim-process.ts';

/** One measured rolling run: `kubectl tikv upgrade --version V` or `kubectl tikv restart --all`. */
export interface UpgradeRun {
  command: 'upgrade' | 'restart';
  stores: number;
  /** The upgrade's version; undefined for a restart. */
  targetVersion: string | undefined;
  /** The tool's poll interval in real-world ms (the flag gets it × timeScale). */
  pollIntervalRealMs: number;
  timeScale: number;
  /** CLI process wall time, ms. */
  wallMs: number;
  cpuMs: number | undefined;
  peakRssKiB: number | undefined;
  rssSamples: number;
  analysis: UpgradeAnalysis;
}

/**
 * Runs `upgrade --version V --yes` (or, without a version, `restart --all --yes`) against the simulated cluster as a
 * separate process, with the poll interval scaled like the simulator's delays, then reads the run back out of the
 * simulator's History.
 */
export async function runUpgrade(options: {
  sim: SimProcess;
  install: CliInstall;
  stores: number;
  targetVersion: string | undefined;
  pollIntervalRealMs: number;
  timeScale: number;
  timeoutMs: number;
}): Promise<UpgradeRun> {
  const { sim, install } = options;
  const leaderCountsAtStart = await sim.mark();
  const pollMs = options.pollIntervalRealMs * options.timeScale;
  const cliStartAt = Date.now();
  // The tool's timeouts are its defaults scaled like every simulated delay, so a step that cannot finish (leaders
  // that never come back) costs what it would at real pace, not minutes of wall time.
  const scaled = (realMs: number) => formatMs(realMs * options.timeScale);
  const command = options.targetVersion === undefined ? 'restart' : 'upgrade';
  const argv = [
    ...(options.targetVersion === undefined ? ['restart', '--all'] : ['upgrade', '--version', options.targetVersion]),
    '--yes',
    `--poll-interval=${formatMs(pollMs)}`,
    `--evict-timeout=${scaled(10 * 60_000)}`,
    `--ready-timeout=${scaled(10 * 60_000)}`,
    `--leader-return-timeout=${scaled(5 * 60_000)}`,
  ];
  const run = await runCli(install, argv, {
    kubeconfig: sim.kubeconfig,
    timeoutMs: options.timeoutMs,
  });
  const cliEndAt = Date.now();
  const entries = await sim.history();
  if (run.code !== 0) {
    throw new Error(`kubectl tikv ${argv.slice(0, 3).join(' ')} exited ${run.code ?? run.signal}:\n${run.stderr.split('\n').slice(-25).join('\n')}`);
  }
  const analysis = analyseUpgrade({ entries, cliStartAt, cliEndAt, leaderCountsAtStart, kubeUser: 'admin', pollIntervalWallMs: pollMs });
  if (analysis.stores.length !== options.stores) throw new Error(`expected ${options.stores} stores in the ${command}, the History shows ${analysis.stores.length}`);
  return {
    command,
    stores: options.stores,
    targetVersion: options.targetVersion,
    pollIntervalRealMs: options.pollIntervalRealMs,
    timeScale: options.timeScale,
    wallMs: cliEndAt - cliStartAt,
    cpuMs: run.cpuMs,
    peakRssKiB: run.peakRssKiB,
    rssSamples: run.rssSamples,
    analysis,
  };
}

/** A duration flag value oclif/our parser accepts (`12.5ms`). */
function formatMs(ms: number): string {
  return `${Number(ms.toFixed(3))}ms`;
}
