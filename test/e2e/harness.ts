import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the built CLI as a user does: a child process with its own HOME (and so its own ~/.kube/config), either
 * straight (`bin/run.js`) or through the real kubectl's plugin discovery — a `kubectl-tikv` launcher in a
 * directory on PATH, found and exec'd by `kubectl tikv …`.
 */

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const BUNDLE = path.join(REPO, 'dist', 'kubectl-tikv.cjs');
const LAUNCHER = path.join(REPO, 'dist', 'launch.cjs');

/** What a run printed and how it ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A user's environment: HOME, a PATH with the plugin launcher and kubectl, nothing inherited that changes output. */
export interface UserEnvironment {
  home: string;
  /** Where `kubectl-tikv` lives. */
  binDir: string;
  /** `~/.kube/config`. */
  kubeconfigPath: string;
  env: Record<string, string>;
  dispose(): void;
}

/** Where this test process's installed copy of the build lives (see `ensureBuilt`). */
let installed: string | undefined;

/**
 * Builds dist/ when it is missing or older than a source file, then installs a private copy of the npm package's
 * runnable parts (bin/run.js, dist/*.cjs): other engineers rebuild the shared dist/ while tests run, and a user's
 * installed plugin does not change under a running command either.
 */
export function ensureBuilt(): void {
  for (let attempt = 1; ; attempt++) {
    const newest = newestMtime([path.join(REPO, 'src'), path.join(REPO, 'bin'), path.join(REPO, 'package.json')]);
    if (!existsSync(BUNDLE) || !existsSync(LAUNCHER) || statSync(BUNDLE).mtimeMs < newest) {
      const result = spawnSync(NODE, [path.join(REPO, 'scripts', 'build.ts')], { cwd: REPO, encoding: 'utf8' });
      if (result.status !== 0 && attempt >= 3) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
    }
    try {
      const target = mkdtempSync(path.join(tmpdir(), 'kt-install-'));
      mkdirSync(path.join(target, 'bin'));
      mkdirSync(path.join(target, 'dist'));
      copyFileSync(path.join(REPO, 'bin', 'run.js'), path.join(target, 'bin', 'run.js'));
      // The launcher and every file of the program it runs (scripts/build.ts).
      for (const file of readdirSync(path.join(REPO, 'dist')).filter((name) => name.endsWith('.cjs'))) {
        copyFileSync(path.join(REPO, 'dist', file), path.join(target, 'dist', file));
      }
      writeFileSync(path.join(target, 'package.json'), '{"type":"module"}\n');
      if (installed) rmSync(installed, { recursive: true, force: true });
      else process.once('exit', () => installed && rmSync(installed, { recursive: true, force: true }));
      installed = target;
      return;
    } catch (error) {
      // A concurrent build removed dist/ under us: build (or wait for it) again.
      if (attempt >= 3) throw error;
    }
  }
}

/** The installed copy's bin/run.js. */
function runJs(): string {
  if (!installed) throw new Error('call ensureBuilt() first (in a before hook)');
  return path.join(installed, 'bin', 'run.js');
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const entry of paths) {
    const stat = statSync(entry);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(entry).map((name) => path.join(entry, name))));
    else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

/** Where the real kubectl is (its directory goes on the user's PATH). */
export function kubectlPath(): string {
  const found = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('kubectl is not installed; the e2e suite runs the plugin through it (.ci/run installs it)');
  return found;
}

/** A fresh HOME with an empty ~/.kube, and a PATH holding the `kubectl-tikv` launcher, kubectl and the system. */
export function createUserEnvironment(): UserEnvironment {
  const root = mkdtempSync(path.join(tmpdir(), 'kt-e2e-'));
  const home = path.join(root, 'home');
  const binDir = path.join(root, 'bin');
  mkdirSync(path.join(home, '.kube'), { recursive: true });
  mkdirSync(binDir, { recursive: true });
  // What a krew install puts on PATH: a launcher running the bundled CLI with a supported Node.
  const launcher = path.join(binDir, 'kubectl-tikv');
  writeFileSync(launcher, `#!/bin/sh\nexec '${NODE}' '${runJs()}' "$@"\n`);
  chmodSync(launcher, 0o755);
  // kubectl's shell-completion hook for the plugin (kubectl ≥ 1.26).
  const completer = path.join(binDir, 'kubectl_complete-tikv');
  writeFileSync(completer, `#!/bin/sh\nexec '${NODE}' '${runJs()}' __complete "$@"\n`);
  chmodSync(completer, 0o755);
  const kubectlDir = path.dirname(kubectlPath());
  return {
    home,
    binDir,
    kubeconfigPath: path.join(home, '.kube', 'config'),
    env: {
      HOME: home,
      PATH: [binDir, kubectlDir, '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter),
      LANG: 'C.UTF-8',
      // kubectl keeps discovery caches here; never share them between tests.
      KUBECACHEDIR: path.join(home, '.kube', 'cache'),
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Runs `kubectl tikv ARGV` (or `kubectl-tikv ARGV` with `viaKubectl: false`, or `kubectl ARGV` with `rawKubectl`)
 * with no terminal: stdin is empty,
 * stdout/stderr are pipes. Resolves when the process exits; kills it after `timeoutMs`.
 */
export function runPlugin(
  user: UserEnvironment,
  argv: string[],
  options: { viaKubectl?: boolean; rawKubectl?: boolean; env?: Record<string, string>; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  const viaKubectl = options.viaKubectl ?? true;
  const command = viaKubectl || options.rawKubectl ? kubectlPath() : path.join(user.binDir, 'kubectl-tikv');
  // rawKubectl: argv goes to kubectl as is (e.g. `__complete tikv …`, kubectl's own completion entry point).
  const args = options.rawKubectl ? argv : viaKubectl ? ['tikv', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...user.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: user.home });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('spawn', () => options.onSpawn?.(child.pid as number));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
