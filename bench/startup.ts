import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { NODE, kubectlPath, type CliInstall } from './cli.ts';

/** Wall time of one command over repeated runs, ms. */
export interface CommandTiming {
  name: string;
  command: string[];
  runs: number;
  medianMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Mean user + system CPU per run, ms (as hyperfine reports it; our own timer leaves it out). */
  cpuMs?: number;
}

/** What start-up was measured with. */
export interface StartupResult {
  tool: string;
  runs: number;
  warmup: number;
  commands: CommandTiming[];
}

/** The commands measured, by name; the CLI ones both direct (`kubectl-tikv …`) and through kubectl's plugin lookup. */
export function startupCommands(install: CliInstall): { name: string; command: string[] }[] {
  const kubectl = kubectlPath();
  const commands = [
    { name: 'node -e 0', command: [NODE, '-e', '0'] },
    { name: 'kubectl-tikv --help', command: [NODE, install.runJs, '--help'] },
    { name: 'kubectl-tikv version', command: [NODE, install.runJs, 'version'] },
    { name: 'kubectl-tikv status', command: [NODE, install.runJs, 'status'] },
  ];
  if (kubectl) {
    commands.push(
      { name: 'kubectl version --client', command: [kubectl, 'version', '--client'] },
      { name: 'kubectl get pods', command: [kubectl, 'get', 'pods'] },
      { name: 'kubectl tikv --help', command: [kubectl, 'tikv', '--help'] },
      { name: 'kubectl tikv version', command: [kubectl, 'tikv', 'version'] },
      { name: 'kubectl tikv status', command: [kubectl, 'tikv', 'status'] },
    );
  }
  return commands;
}

/**
 * Times each command (or the `only` ones) `runs` times after `warmup` runs (the warm-up fills kubectl-tikv's V8 code cache and kubectl's
 * discovery cache, as any second run of a user has them). Uses hyperfine without a shell (`-N`) when installed,
 * otherwise its own timer (spawn to exit, medians).
 */
export function measureStartup(options: { install: CliInstall; kubeconfig: string; runs: number; warmup: number; scratchDir: string; only?: readonly string[] }): StartupResult {
  const env = options.install.env(options.kubeconfig);
  const commands = startupCommands(options.install).filter((c) => !options.only || options.only.includes(c.name));
  const hyperfine = spawnSync('sh', ['-c', 'command -v hyperfine'], { encoding: 'utf8' }).stdout.trim();
  if (hyperfine) {
    const exported = path.join(options.scratchDir, 'hyperfine.json');
    const args = ['-N', '--style', 'basic', '--warmup', String(options.warmup), '--runs', String(options.runs), '--export-json', exported];
    for (const c of commands) args.push('--command-name', c.name, c.command.join(' '));
    const result = spawnSync(hyperfine, args, { env, cwd: options.install.home, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`hyperfine failed (${result.status}):\n${result.stdout}${result.stderr}`);
    try {
      const json = JSON.parse(readFileSync(exported, 'utf8')) as { results: { command: string; times: number[]; mean: number; min: number; max: number; median: number; user: number; system: number }[] };
      const versionText = spawnSync(hyperfine, ['--version'], { encoding: 'utf8' }).stdout.trim();
      return {
        tool: versionText,
        runs: options.runs,
        warmup: options.warmup,
        commands: json.results.map((r, i) => ({
          name: commands[i].name,
          command: commands[i].command,
          runs: r.times.length,
          medianMs: r.median * 1000,
          meanMs: r.mean * 1000,
          minMs: r.min * 1000,
          maxMs: r.max * 1000,
          cpuMs: (r.user + r.system) * 1000,
        })),
      };
    } finally {
      rmSync(exported, { force: true });
    }
  }
  return {
    tool: 'own timer (spawnSync, hrtime)',
    runs: options.runs,
    warmup: options.warmup,
    commands: commands.map((c) => timeCommand(c.name, c.command, env, options.install.home, options.runs, options.warmup)),
  };
}

function timeCommand(name: string, command: string[], env: Record<string, string>, cwd: string, runs: number, warmup: number): CommandTiming {
  const once = () => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command[0], command.slice(1), { env, cwd, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${name} exited ${result.status ?? result.signal}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (let i = 0; i < warmup; i++) once();
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return {
    name,
    command,
    runs,
    medianMs: times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2,
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    minMs: times[0],
    maxMs: times[times.length - 1],
  };
}
