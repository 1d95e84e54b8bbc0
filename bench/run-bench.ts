/**
 * `npm run bench [-- --quick] [--out FILE] [--no-readme] [--no-build] [--render-only]`: measures what users feel, side by side in
 * one run, and writes `bench/results.json` and the README's benchmark section (between `<!-- bench:start -->` and
 * `<!-- bench:end -->`). Nothing here asserts a time.
 *
 * 1. Reaction lag and upgrade time: `kubectl tikv upgrade` (the built CLI, its own process) rolls a plain-StatefulSet
 *    TiKV cluster of 5, 20, 50 and 200 stores simulated in another process; the simulator's History says when each
 *    condition became true and when the tool acted. On the 20-store cluster the same upgrade is run again with the
 *    poll interval at the anchors' cadences (TiUP 2 s, tidb-operator 15 s and 30 s).
 * 2. Cost per poll: the tool's Kubernetes, PD and TiKV requests while it waits, per poll and per real-world second.
 * 3. Start-up: `--help`, `version`, `status` (direct and through kubectl) against `node -e 0` and `kubectl get pods`
 *    on the 5-store cluster; status also on the 200-store one, and where its time goes (from the History).
 * 4. Memory: peak RSS (VmHWM) of the CLI during every upgrade, the 200-store one for the goal.
 * `--quick` (CI): 5 stores at one cadence, three start-up runs, results to `--out` only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NODE, REPO, installCli, kubectlPath } from './cli.ts';
import { renderReport, replaceReadmeSection, type BenchResults } from './report.ts';
import { SimProcess } from './sim-process.ts';
import { measureStartup, type StartupResult } from './startup.ts';
import { measureStatusPhases, type StatusPhases } from './status-phases.ts';
import { summarizeUpgrade, type UpgradeSummary } from './summary.ts';
import { runUpgrade } from './upgrade-run.ts';
import { DEFAULT_POLL_INTERVAL_MS } from '../src/cli/global-options.ts';

/** What one harness run does. */
export interface BenchOptions {
  quick: boolean;
  /** Where results.json goes. */
  out: string;
  /** Rewrite the README section from the results. */
  readme: boolean;
  /** Build the CLI first (`npm run build`); 'if-stale' only when dist/ is older than the sources. */
  build: boolean | 'if-stale';
  /** Scratch directory (the installed CLI copy, kubeconfigs, History dumps). */
  workDir: string;
  log: (line: string) => void;
}

/** Simulated delays × this for every upgrade run; the tool's poll interval is scaled the same way. */
export const TIME_SCALE = 0.02;
/**
 * Peers per store (a third of them leaders, ~20 per store): eviction and leader return are real phases, and PD's
 * balance-leader (tolerance of 5 leaders each side) gives an emptied store its leaders back, which it does not
 * reliably do with ~10 leaders per store.
 */
export const REGIONS_PER_STORE = 60;
/** The tool's default poll interval (real-world ms): the CLI's own default. */
export const DEFAULT_POLL_MS = DEFAULT_POLL_INTERVAL_MS;
/** The anchors' cadences: TiUP polls every 2 s, tidb-operator reconciles every 15 s / 30 s. */
export const ANCHOR_POLLS = [
  { name: 'TiUP', pollMs: 2000 },
  { name: 'tidb-operator (15 s)', pollMs: 15_000 },
  { name: 'tidb-operator (30 s)', pollMs: 30_000 },
] as const;
/** Cluster size of the cadence comparison (kept small so `npm run bench` fits in 10 minutes on two cores). */
export const ANCHOR_STORES = 20;
const VERSIONS = ['v8.1.0', 'v8.1.1', 'v8.1.2', 'v8.1.3', 'v8.1.4', 'v8.1.5'];

/** Runs everything the options ask for and returns the results (also written to `options.out`); removes `workDir`. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  mkdirSync(options.workDir, { recursive: true });
  try {
    return await measure(options);
  } finally {
    rmSync(options.workDir, { recursive: true, force: true });
  }
}

async function measure(options: BenchOptions): Promise<BenchResults> {
  const started = Date.now();
  const log = options.log;
  const loadBefore = os.loadavg();
  log(`bench: ${options.quick ? 'quick' : 'full'} run, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  const install = installCli(options.workDir, { build: options.build });

  const sizes = options.quick ? [5] : [5, ANCHOR_STORES, 50, 200];
  const upgrades: UpgradeSummary[] = [];
  let startup: StartupResult | undefined;
  let largeStatus: StartupResult | undefined;
  const statusPhases: StatusPhases[] = [];
  for (const stores of sizes) {
    const t0 = Date.now();
    const sim = await SimProcess.start(
      { topology: 'statefulset', stores, regionsPerStore: REGIONS_PER_STORE, timeScale: TIME_SCALE, tikvVersion: VERSIONS[0], kubeconfig: path.join(options.workDir, `kubeconfig-${stores}`) },
      options.workDir,
    );
    log(`bench: ${stores}-store cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    try {
      if (stores === 5) {
        // Start-up is measured against the small cluster while nothing else of ours runs.
        startup = measureStartup({ install, kubeconfig: sim.kubeconfig, runs: options.quick ? 3 : 15, warmup: options.quick ? 1 : 3, scratchDir: options.workDir });
        for (const c of startup.commands) log(`bench: ${c.name.padEnd(26)} median ${c.medianMs.toFixed(0)} ms`);
      }
      if (stores === 5 || stores === 200) {
        const phases = await measureStatusPhases(sim, install, stores, options.quick ? 2 : stores === 5 ? 7 : 3);
        statusPhases.push(phases);
        log(`bench: ${stores} stores: status ${phases.phases.totalMs.median?.toFixed(0)} ms (start-up ${phases.phases.startUpMs.median?.toFixed(0)}, detection ${phases.phases.detectionMs.median?.toFixed(0)}, PD ${phases.phases.pdMs.median?.toFixed(0)}, TiKV ${phases.phases.tikvMs.median?.toFixed(0)}, exit ${phases.phases.exitMs.median?.toFixed(0)})`);
      }
      if (stores === 200) {
        // How status scales: one list of pods and of stores, and one TiKV /metrics read per store.
        largeStatus = measureStartup({ install, kubeconfig: sim.kubeconfig, runs: 5, warmup: 1, scratchDir: options.workDir, only: ['kubectl get pods', 'kubectl-tikv status', 'kubectl tikv status'] });
        for (const c of largeStatus.commands) log(`bench: ${stores} stores: ${c.name.padEnd(19)} median ${c.medianMs.toFixed(0)} ms`);
      }
      const cadences = [{ label: 'kubectl-tikv', pollMs: DEFAULT_POLL_MS }];
      if (stores === ANCHOR_STORES && !options.quick) cadences.push(...ANCHOR_POLLS.map((a) => ({ label: a.name, pollMs: a.pollMs })));
      for (const [index, cadence] of cadences.entries()) {
        if (index > 0) await sim.settle();
        const run = await runUpgrade({
          sim,
          install,
          stores,
          targetVersion: VERSIONS[index + 1],
          pollIntervalRealMs: cadence.pollMs,
          timeScale: TIME_SCALE,
          timeoutMs: 900_000,
        });
        const summary = summarizeUpgrade(cadence.label, run);
        upgrades.push(summary);
        logRun(summary);
      }
      if (stores === 5) {
        // The rolling restart drives the same step machine; its trigger is the pod's deletion.
        await sim.settle();
        const run = await runUpgrade({ sim, install, stores, targetVersion: undefined, pollIntervalRealMs: DEFAULT_POLL_MS, timeScale: TIME_SCALE, timeoutMs: 900_000 });
        const summary = summarizeUpgrade('kubectl-tikv restart --all', run);
        upgrades.push(summary);
        logRun(summary);
      }
    } finally {
      await sim.stop();
    }
  }

  function logRun(summary: UpgradeSummary): void {
    log(
      `bench: ${summary.command} ${summary.stores} stores, poll ${summary.pollIntervalRealMs / 1000} s: wall ${(summary.wallMs / 1000).toFixed(1)} s, inherent ${(summary.inherentWallMs / 1000).toFixed(1)} s, ` +
        `projected ×${summary.projected.ratio.toFixed(3)}, lag median ${fmt(summary.reactions.all.realMs.median)} ms / max ${fmt(summary.reactions.all.realMs.max)} ms (real pace), ` +
        `peak RSS ${summary.peakRssMiB?.toFixed(0) ?? '?'} MiB`,
    );
  }

  const results: BenchResults = {
    schema: 1,
    mode: options.quick ? 'quick' : 'full',
    generatedAt: new Date().toISOString(),
    environment: environment(loadBefore),
    settings: {
      topology: 'statefulset',
      timeScale: TIME_SCALE,
      regionsPerStore: REGIONS_PER_STORE,
      defaultPollIntervalMs: DEFAULT_POLL_MS,
      anchors: ANCHOR_POLLS.map((a) => ({ ...a })),
      anchorStores: ANCHOR_STORES,
    },
    upgrades,
    startup: startup!,
    ...(largeStatus ? { statusLargeCluster: { stores: 200, ...largeStatus } } : {}),
    statusPhases,
    durationSeconds: (Date.now() - started) / 1000,
  };
  results.environment.loadAverageAfter = os.loadavg();
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  log(`bench: wrote ${path.relative(process.cwd(), options.out) || options.out} in ${results.durationSeconds.toFixed(0)} s`);
  if (options.readme) {
    const readme = path.join(REPO, 'README.md');
    writeFileSync(readme, replaceReadmeSection(readFileSync(readme, 'utf8'), renderReport(results)));
    log('bench: README.md benchmark section updated');
  }
  return results;
}

function fmt(value: number | undefined): string {
  return value === undefined ? '?' : value.toFixed(0);
}

function environment(loadBefore: number[]): BenchResults['environment'] {
  const text = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const kubectl = kubectlPath();
  let kubectlVersion: string | undefined;
  if (kubectl) {
    try {
      kubectlVersion = (JSON.parse(text(kubectl, ['version', '--client', '-o', 'json']) ?? '{}') as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
    } catch {
      kubectlVersion = undefined;
    }
  }
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    node: text(NODE, ['--version']) ?? 'unknown',
    kubectl: kubectlVersion ?? (kubectl ? 'unknown' : 'not installed'),
    commit: text('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']) ?? 'unknown',
    loadAverageBefore: loadBefore,
    loadAverageAfter: [],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      readme: { type: 'boolean' },
      'no-readme': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'render-only': { type: 'boolean', default: false },
    },
  });
  if (values['render-only']) {
    // Re-render the README section from existing results (after a change to the report), measuring nothing.
    const results = JSON.parse(readFileSync(path.resolve(values.out ?? path.join(REPO, 'bench', 'results.json')), 'utf8')) as BenchResults;
    const readme = path.join(REPO, 'README.md');
    writeFileSync(readme, replaceReadmeSection(readFileSync(readme, 'utf8'), renderReport(results)));
    process.stderr.write('bench: README.md benchmark section rendered from the results\n');
    return;
  }
  const quick = values.quick ?? false;
  const workDir = path.join(REPO, 'bench', 'out', `run-${process.pid}`);
  await runBench({
    quick,
    out: path.resolve(values.out ?? (quick ? path.join(REPO, 'bench', 'out', 'results-quick.json') : path.join(REPO, 'bench', 'results.json'))),
    // The README reports a full run only, unless asked.
    readme: values['no-readme'] ? false : (values.readme ?? !quick),
    build: values['no-build'] ? false : true,
    workDir,
    log: (line) => process.stderr.write(`${line}\n`),
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(REPO, 'bench', 'run-bench.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
