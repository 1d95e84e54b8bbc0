/**
 * `bench/results.json` (the schema) and the README section rendered from it. Pure: results in, Markdown out.
 */
import type { StartupResult } from './startup.ts';
import type { StatusPhases } from './status-phases.ts';
import type { Spread, UpgradeSummary } from './summary.ts';

/** Everything `npm run bench` writes to bench/results.json. */
export interface BenchResults {
  schema: 1;
  mode: 'full' | 'quick';
  generatedAt: string;
  environment: {
    cpuModel: string;
    cpus: number;
    memoryGiB: number;
    kernel: string;
    node: string;
    kubectl: string;
    commit: string;
    /** os.loadavg() (1, 5, 15 min) when the run began and ended. */
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  settings: {
    topology: string;
    timeScale: number;
    regionsPerStore: number;
    defaultPollIntervalMs: number;
    anchors: { name: string; pollMs: number }[];
    anchorStores: number;
  };
  upgrades: UpgradeSummary[];
  startup: StartupResult;
  /** `status` and `kubectl get pods` against the largest cluster (full runs). */
  statusLargeCluster?: StartupResult & { stores: number };
  /** Where `kubectl-tikv status` spends its time, per cluster size. */
  statusPhases: StatusPhases[];
  durationSeconds: number;
}

/** One goal of the issue, checked against the results. */
export interface GoalCheck {
  goal: string;
  measured: string;
  met: boolean;
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** The README with the text between the bench markers replaced (markers kept). */
export function replaceReadmeSection(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} section`);
  return `${readme.slice(0, start + README_START.length)}\n${section.trim()}\n${readme.slice(end)}`;
}

/** Upgrades at the default cadence, by size. */
function defaultRuns(results: BenchResults): UpgradeSummary[] {
  return results.upgrades.filter((u) => u.command !== 'restart' && u.pollIntervalRealMs === results.settings.defaultPollIntervalMs).sort((a, b) => a.stores - b.stores);
}

/** `restart --all` runs (default cadence). */
function restartRuns(results: BenchResults): UpgradeSummary[] {
  return results.upgrades.filter((u) => u.command === 'restart').sort((a, b) => a.stores - b.stores);
}

function startupMs(results: BenchResults, name: string): number | undefined {
  return results.startup?.commands.find((c) => c.name === name)?.medianMs;
}

/**
 * The run's real-pace ratio if its stores had taken as long as the smallest cluster's did. Every store has the same
 * leaders and timings whatever the cluster size, so a longer inherent time per store in a larger cluster is the
 * simulator process falling behind at this time scale, which flatters the ratio.
 */
export function ratioAtSmallClusterPace(run: UpgradeSummary, runs: readonly UpgradeSummary[]): number {
  const smallest = [...runs].sort((a, b) => a.stores - b.stores)[0] ?? run;
  const perStore = Math.min(smallest.projected.inherentSeconds / smallest.stores, run.projected.inherentSeconds / run.stores);
  const inherent = perStore * run.stores;
  return (inherent + run.projected.toolSeconds) / inherent;
}

/** Each goal of the issue against the measurements. */
export function checkGoals(results: BenchResults): GoalCheck[] {
  const goals: GoalCheck[] = [];
  const runs = defaultRuns(results);
  for (const run of [...runs, ...restartRuns(results)]) {
    const max = run.reactions.all.realMs.max ?? Number.NaN;
    const what = run.command === 'restart' ? `${run.stores} stores, restart --all` : `${run.stores} stores`;
    goals.push({ goal: `reaction ≤ 1 s (${what})`, measured: `median ${seconds(run.reactions.all.realMs.median)}, max ${seconds(max)}`, met: max <= 1000 });
  }
  for (const run of runs) {
    const paced = ratioAtSmallClusterPace(run, runs);
    const pacedNote = Math.abs(paced - run.projected.ratio) >= 0.0005 ? `, × ${paced.toFixed(3)} at the ${runs[0].stores}-store pace` : '';
    goals.push({
      goal: `upgrade ≤ 1.05 × inherent (${run.stores} stores)`,
      measured: `× ${run.projected.ratio.toFixed(3)} at real pace${pacedNote} (× ${run.ratioAtTimeScale.toFixed(2)} at time scale ${run.timeScale})`,
      met: Math.max(run.projected.ratio, paced) <= 1.05,
    });
  }
  const node = startupMs(results, 'node -e 0');
  const help = startupMs(results, 'kubectl-tikv --help');
  if (node !== undefined && help !== undefined) goals.push({ goal: 'start-up (--help) ≤ 1.3 × node -e 0', measured: `${ms(help)} vs ${ms(node)}: × ${(help / node).toFixed(2)}`, met: help / node <= 1.3 });
  const getPods = startupMs(results, 'kubectl get pods');
  const status = startupMs(results, 'kubectl tikv status');
  if (getPods !== undefined && status !== undefined) goals.push({ goal: 'status ≤ 2 × kubectl get pods', measured: `${ms(status)} vs ${ms(getPods)}: × ${(status / getPods).toFixed(2)}`, met: status / getPods <= 2 });
  const largest = runs[runs.length - 1];
  if (largest?.peakRssMiB !== undefined) goals.push({ goal: `peak RSS ≤ 150 MiB (${largest.stores}-store upgrade)`, measured: `${largest.peakRssMiB.toFixed(0)} MiB`, met: largest.peakRssMiB <= 150 });
  return goals;
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value >= 10 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

function seconds(valueMs: number | undefined): string {
  if (valueMs === undefined || Number.isNaN(valueMs)) return '–';
  return valueMs >= 100_000 ? `${(valueMs / 1000).toFixed(0)} s` : `${(valueMs / 1000).toFixed(2)} s`;
}

function medianMax(s: Spread, format: (v: number | undefined) => string): string {
  return `${format(s.median)} / ${format(s.max)}`;
}

function num(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** The README section: how it was measured, the tables, the goals. */
export function renderReport(results: BenchResults): string {
  const env = results.environment;
  const T = results.settings.timeScale;
  const runs = defaultRuns(results);
  const lines: string[] = [];
  const load = env.loadAverageBefore.map((l) => l.toFixed(2)).join(', ');
  const loadAfter = env.loadAverageAfter.length ? `, ${env.loadAverageAfter.map((l) => l.toFixed(2)).join(', ')} when it ended` : '';
  lines.push(
    `Measured by \`npm run bench\` (${results.mode} run, ${results.durationSeconds.toFixed(0)} s) on ${results.generatedAt.slice(0, 10)} at commit ${env.commit}: ` +
      `${env.cpus} × ${env.cpuModel}, ${env.kernel}, Node ${env.node}, kubectl ${env.kubectl}; load average ${load} (1/5/15 min) when it began${loadAfter} (other work shares the machine). ` +
      `Raw numbers: [bench/results.json](bench/results.json); method: [bench/README.md](bench/README.md).`,
    '',
    `The built CLI runs as its own process against a simulated cluster in another process (plain StatefulSet topology, ` +
      `${results.settings.regionsPerStore} region peers per store). Every simulated delay is real-world × ${T}, and so is the tool's poll interval. ` +
      `"Real pace" figures are projections: the wait for the tool's next poll is divided by ${T}, its own processing (HTTP round trips, ` +
      `deciding, bookkeeping writes, start-up) is counted as measured.`,
    '',
  );

  lines.push('**Reaction lag**: condition true in the simulator → the tool\'s next action (`upgrade`: the partition patch; `restart`: the pod deletion), real pace, median / max (wall ms at time scale in brackets)', '');
  lines.push('| stores | leaders 0 (PD and TiKV) → restart | pod Ready + store Up → scheduler removed | leaders back → next store evicted |', '|---:|---|---|---|');
  for (const run of [...runs, ...restartRuns(results)]) {
    const cell = (c: 'leaders-drained' | 'store-up' | 'leaders-back') =>
      `${medianMax(run.reactions[c].realMs, seconds)} (${medianMax(run.reactions[c].wallMs, (v) => (v === undefined ? '–' : v.toFixed(0)))})`;
    lines.push(`| ${run.stores}${run.command === 'restart' ? ' (`restart --all`: pod deletion)' : ''} | ${cell('leaders-drained')} | ${cell('store-up')} | ${cell('leaders-back')} |`);
  }
  lines.push('');

  lines.push('**Upgrade time**: the CLI\'s wall time over the inherent time (the simulator-driven phases: eviction, restart, leader return)', '');
  lines.push(
    `| stores | wall at × ${T} | inherent at × ${T} | ratio at × ${T} | real pace: inherent (per store) | real pace: the tool's share | of which poll waits / late polls / processing / start-up + finish | real pace: ratio | ratio at the ${runs[0]?.stores}-store pace |`,
    '|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const run of runs) {
    const b = run.projected.toolBreakdownSeconds;
    lines.push(
      `| ${run.stores} | ${num(run.wallMs / 1000)} s | ${num(run.inherentWallMs / 1000)} s | × ${run.ratioAtTimeScale.toFixed(2)} | ` +
        `${num(run.projected.inherentSeconds / 60)} min (${num(run.projected.inherentSeconds / run.stores)} s) | ${num(run.projected.toolSeconds)} s (${num(run.projected.toolPerStoreSeconds, 2)} s/store) | ` +
        `${num(b.pollWaits)} / ${num(b.latePolls)} / ${num(b.processing)} / ${num(b.startUp + b.finish)} s | × ${run.projected.ratio.toFixed(3)} | × ${ratioAtSmallClusterPace(run, runs).toFixed(3)} |`,
    );
  }
  lines.push(
    '',
    `Every store has the same leaders and timings at any cluster size, so a longer inherent time per store in a larger cluster is the simulator process ` +
      `falling behind at this time scale; the last column keeps each store at the ${runs[0]?.stores}-store pace.`,
    '',
  );

  const anchors = results.upgrades.filter((u) => u.stores === results.settings.anchorStores).sort((a, b) => a.pollIntervalRealMs - b.pollIntervalRealMs);
  if (anchors.length > 1) {
    const base = anchors.find((a) => a.pollIntervalRealMs === results.settings.defaultPollIntervalMs) ?? anchors[0];
    lines.push(`**What the reaction speed buys**: the same ${results.settings.anchorStores}-store upgrade with the poll interval at each anchor's cadence, real pace`, '');
    lines.push('| poll interval | reaction median / max | time per store | upgrade total | vs kubectl-tikv |', '|---|---|---:|---:|---:|');
    for (const a of anchors) {
      lines.push(
        `| ${a.pollIntervalRealMs / 1000} s (${a.label}) | ${medianMax(a.reactions.all.realMs, seconds)} | ${num(a.projected.perStoreSeconds)} s | ${num(a.projected.wallSeconds / 60)} min | ` +
          `${a === base ? '–' : `+${num((a.projected.wallSeconds - base.projected.wallSeconds) / 60)} min`} |`,
      );
    }
    lines.push('');
  }

  lines.push('**Cost while waiting**: the tool\'s requests per poll and per real-world second while a store is draining, restarting or taking leaders back', '');
  lines.push('| stores | polls | Kubernetes per poll | PD per poll | TiKV per poll | per real second (K8s / PD / TiKV) | between two stores (all requests) |', '|---:|---:|---:|---:|---:|---|---:|');
  for (const run of runs) {
    const c = run.cost;
    const between = Object.values(c.betweenStoresPerTransition).reduce((sum, v) => sum + v, 0);
    lines.push(
      `| ${run.stores} | ${c.polls} | ${num(c.perPoll.kube, 2)} | ${num(c.perPoll.pd, 2)} | ${num(c.perPoll.tikv, 2)} | ` +
        `${num(c.perRealSecond.kube, 2)} / ${num(c.perRealSecond.pd, 2)} / ${num(c.perRealSecond.tikv, 2)} | ${num(between, 1)} |`,
    );
  }
  lines.push('');

  if (results.startup) {
    const s = results.startup;
    const node = startupMs(results, 'node -e 0');
    const getPods = startupMs(results, 'kubectl get pods');
    lines.push(`**Start-up**: median wall time of ${s.runs} runs after ${s.warmup} warm-up runs (${s.tool}), against the 5-store cluster`, '');
    lines.push('| command | direct (`kubectl-tikv …`) | through kubectl (`kubectl tikv …`) | direct × `node -e 0` | through kubectl × `kubectl get pods` |', '|---|---:|---:|---:|---:|');
    for (const sub of ['--help', 'version', 'status']) {
      const direct = startupMs(results, `kubectl-tikv ${sub}`);
      const viaKubectl = startupMs(results, `kubectl tikv ${sub}`);
      lines.push(
        `| ${sub} | ${ms(direct)} | ${ms(viaKubectl)} | ${direct !== undefined && node ? `× ${(direct / node).toFixed(2)}` : '–'} | ` +
          `${viaKubectl !== undefined && getPods ? `× ${(viaKubectl / getPods).toFixed(2)}` : '–'} |`,
      );
    }
    lines.push('', `Reference: \`node -e 0\` ${ms(node)}, \`kubectl get pods\` ${ms(getPods)}, \`kubectl version --client\` ${ms(startupMs(results, 'kubectl version --client'))} (this kubectl is a dispatcher wrapper).`);
    const large = results.statusLargeCluster;
    if (large) {
      const at = (name: string) => large.commands.find((c) => c.name === name)?.medianMs;
      lines.push(
        `Against the ${large.stores}-store cluster (median of ${large.runs}): \`kubectl-tikv status\` ${ms(at('kubectl-tikv status'))}, \`kubectl tikv status\` ${ms(at('kubectl tikv status'))}, ` +
          `\`kubectl get pods\` ${ms(at('kubectl get pods'))}.`,
      );
    }
    lines.push('');
  }
  if (results.statusPhases?.length) {
    lines.push('Where `kubectl-tikv status` spends its wall time (median ms, from the simulator\'s History):', '');
    lines.push('| stores | runs | start-up to the first API request | discovery and detection | PD tunnels and reads | TiKV /metrics | render and exit | total | requests (API / PD / TiKV / port-forwards) |', '|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const p of results.statusPhases) {
      const m = (s: Spread) => (s.median === undefined ? '–' : s.median.toFixed(0));
      const r = p.requests;
      lines.push(`| ${p.stores} | ${p.runs} | ${m(p.phases.startUpMs)} | ${m(p.phases.detectionMs)} | ${m(p.phases.pdMs)} | ${m(p.phases.tikvMs)} | ${m(p.phases.exitMs)} | ${m(p.phases.totalMs)} | ${r.kube} / ${r.pd} / ${r.tikv} / ${r.portForwards} |`);
    }
    lines.push('');
  }

  const notBack = results.upgrades.filter((u) => u.leadersNotBack.length > 0);
  if (notBack.length > 0) {
    lines.push(
      `Leaders did not come back before the leader-return timeout for ${notBack.map((u) => `${u.leadersNotBack.length} store(s) of the ${u.stores}-store run at ${u.pollIntervalRealMs / 1000} s`).join(', ')}; ` +
        'those waits count as the tool\'s time and have no reaction.',
      '',
    );
  }
  lines.push(`**Memory**: peak RSS (VmHWM) of the CLI during the upgrade: ${runs.map((r) => `${r.stores} stores ${r.peakRssMiB === undefined ? '–' : `${r.peakRssMiB.toFixed(0)} MiB`}`).join(', ')}.`, '');

  lines.push('**Goals**', '', '| goal | measured | |', '|---|---|---|');
  for (const g of checkGoals(results)) lines.push(`| ${g.goal} | ${g.measured} | ${g.met ? 'met' : '**not met**'} |`);
  return lines.join('\n');
}
