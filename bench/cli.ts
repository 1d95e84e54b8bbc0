import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The pinned Node (node_modules/.bin/node), the one the CLI runs on. */
export const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

/** A private installed copy of the built CLI and the user environment it runs in. */
export interface CliInstall {
  /** The copy's bin/run.js. */
  runJs: string;
  /** Directory with the `kubectl-tikv` launcher (what krew puts on PATH). */
  binDir: string;
  /** HOME of the runs (holds the V8 code cache, as a user's does after the first run). */
  home: string;
  /** Environment of every run: HOME, PATH with the launcher and kubectl, KUBECONFIG. */
  env(kubeconfig: string): Record<string, string>;
}

/**
 * Builds the CLI (`npm run build`) when `build` is true (or 'if-stale' and dist/ is older than the sources), then copies bin/run.js and dist/*.cjs into
 * `dir/install`: other engineers rebuild the shared dist/ while a benchmark runs, and the measurement must be of
 * one build. Writes a `kubectl-tikv` launcher (exec of the pinned Node on the copy, as scripts/dev-bin does) that
 * the real kubectl finds on PATH.
 */
export function installCli(dir: string, options: { build: boolean | 'if-stale' }): CliInstall {
  if (options.build === true || (options.build === 'if-stale' && buildIsStale())) {
    const built = spawnSync(NODE, [path.join(REPO, 'scripts', 'build.ts')], { cwd: REPO, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  }
  const root = path.join(dir, 'install');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  copyFileSync(path.join(REPO, 'bin', 'run.js'), path.join(root, 'bin', 'run.js'));
  // Every bundle file the launcher may load (the build may split the program into several). Someone else's build
  // may be rewriting dist/ right now: wait for it (up to a minute) rather than copy half a build.
  for (let attempt = 1; ; attempt++) {
    try {
      for (const file of ['launch.cjs', 'kubectl-tikv.cjs']) {
        if (!existsSync(path.join(REPO, 'dist', file))) throw new Error(`dist/${file} is missing: run 'npm run build' first`);
      }
      for (const name of readdirSync(path.join(REPO, 'dist'))) {
        if (name.endsWith('.cjs') && statSync(path.join(REPO, 'dist', name)).isFile()) copyFileSync(path.join(REPO, 'dist', name), path.join(root, 'dist', name));
      }
      break;
    } catch (error) {
      if (attempt >= 30) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    }
  }
  writeFileSync(path.join(root, 'package.json'), '{"type":"module"}\n');
  const runJs = path.join(root, 'bin', 'run.js');
  const binDir = path.join(root, 'path');
  mkdirSync(binDir, { recursive: true });
  const launcher = path.join(binDir, 'kubectl-tikv');
  writeFileSync(launcher, `#!/bin/sh\nexec '${NODE}' '${runJs}' "$@"\n`);
  chmodSync(launcher, 0o755);
  const home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const kubectlDir = path.dirname(kubectlPath() ?? '/usr/bin/kubectl');
  return {
    runJs,
    binDir,
    home,
    env: (kubeconfig) => ({
      HOME: home,
      PATH: [binDir, kubectlDir, '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
      LANG: 'C.UTF-8',
      KUBECONFIG: kubeconfig,
      KUBECACHEDIR: path.join(home, '.kube', 'cache'),
      NO_COLOR: '1',
    }),
  };
}

/** dist/ is missing or older than a source file of the CLI. */
function buildIsStale(): boolean {
  const bundle = path.join(REPO, 'dist', 'kubectl-tikv.cjs');
  if (!existsSync(bundle) || !existsSync(path.join(REPO, 'dist', 'launch.cjs'))) return true;
  const built = statSync(bundle).mtimeMs;
  const newer = (entry: string): boolean => {
    const stat = statSync(entry);
    if (!stat.isDirectory()) return stat.mtimeMs > built;
    return readdirSync(entry).some((name) => newer(path.join(entry, name)));
  };
  return ['src', 'bin', 'package.json'].some((entry) => newer(path.join(REPO, entry)));
}

/** The real kubectl on PATH, if any. */
export function kubectlPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  return found || undefined;
}

/** How one CLI run ended, with what was measured of it. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set of the CLI process (VmHWM), KiB; undefined when /proc could not be read. */
  peakRssKiB: number | undefined;
  /** CPU time of the CLI process (user + system), ms, from /proc/PID/stat just before it exited. */
  cpuMs: number | undefined;
  /** How many times /proc/PID/status was sampled. */
  rssSamples: number;
}

/**
 * Runs the CLI (`node run.js ARGV`, a separate process) and samples its peak RSS: `VmHWM` in /proc/PID/status is
 * the kernel's high-water mark of the resident set, so the last successful read before exit is the peak up to
 * then (sampled every `sampleMs`; the child is the Node process itself, no shell in between).
 */
export function runCli(install: CliInstall, argv: string[], options: { kubeconfig: string; timeoutMs: number; sampleMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(NODE, [install.runJs, ...argv], { env: install.env(options.kubeconfig), stdio: ['ignore', 'pipe', 'pipe'], cwd: install.home });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let peakRssKiB: number | undefined;
    let cpuMs: number | undefined;
    let rssSamples = 0;
    const ticksPerSecond = clockTicks();
    const sample = () => {
      if (!child.pid) return;
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
        if (hwm) {
          peakRssKiB = Math.max(peakRssKiB ?? 0, Number(hwm[1]));
          rssSamples++;
        }
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime and stime are fields 14 and 15 of stat; fields[0] here is field 3 (state).
        cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
      } catch {
        // The process is gone (or not yet started): the last sample stands.
        return;
      }
    };
    const sampler = setInterval(sample, options.sampleMs ?? 20);
    child.once('spawn', sample);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearInterval(sampler);
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', () => clearInterval(sampler));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallMs: Number(process.hrtime.bigint() - started) / 1e6, peakRssKiB, cpuMs, rssSamples });
    });
  });
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticks;
}
