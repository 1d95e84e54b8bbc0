// Measures the start-up of the released plugin, side by side in one hyperfine run: the host platform's archive from
// dist/release (npm run package) unpacked into a temporary directory, `kubectl-tikv --help`, `version --client` and
// — against a simulated cluster (test/sim) — plain `version`, each over `node -e 0` of the very Node the archive
// ships. Also lists the archives' sizes. Needs hyperfine (Debian: apt-get install hyperfine).
//
// Usage: node scripts/measure-startup.ts [--runs N] [--no-cluster]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, 'no-cluster': { type: 'boolean', default: false } } });
const release = path.join(root, 'dist', 'release');
const host = `${process.platform === 'win32' ? 'windows' : process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
const archive = existsSync(release) ? readdirSync(release).find((name) => name.endsWith(`_${host}.tar.gz`)) : undefined;
if (!archive) fail(`no ${host} archive in dist/release: run 'npm run package -- --platform ${host.replace('_', '/')}' first`);
if (spawnSync('hyperfine', ['--version']).status !== 0) fail('hyperfine is not installed (Debian: apt-get install hyperfine)');

const work = mkdtempSync(path.join(tmpdir(), 'kt-measure-'));
try {
  const untar = spawnSync('tar', ['-xzf', path.join(release, archive), '-C', work]);
  if (untar.status !== 0) fail(`cannot unpack ${archive}`);
  const node = path.join(work, 'node', 'bin', 'node');
  const plugin = path.join(work, 'kubectl-tikv');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: work, XDG_CACHE_HOME: path.join(work, 'cache') };
  const commands: [string, string][] = [
    ['node -e 0', `${node} -e 0`],
    ['kubectl tikv --help', `${plugin} --help`],
    ['kubectl tikv version --client', `${plugin} version --client`],
  ];
  let stop: (() => Promise<void>) | undefined;
  if (!values['no-cluster']) {
    const { startSimCluster } = await import('../test/sim/cluster.ts');
    const sim = await startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.01 });
    stop = () => sim.stop();
    env.KUBECONFIG = path.join(work, 'kubeconfig');
    sim.writeKubeconfig(env.KUBECONFIG, { namespace: 'tidb' });
    commands.push(['kubectl tikv version (simulated cluster)', `${plugin} version`]);
  }
  try {
    const json = path.join(work, 'hyperfine.json');
    const args = ['-N', '--warmup', '3', '--runs', values.runs, '--export-json', json, ...commands.flatMap(([name, command]) => ['-n', name, command])];
    // Asynchronously: the simulated cluster answers from this process while hyperfine runs.
    const code = await new Promise<number | null>((resolve) => spawn('hyperfine', args, { env, stdio: ['ignore', 'ignore', 'inherit'] }).on('close', resolve));
    if (code !== 0) fail(`hyperfine exited ${code}`);
    const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: { command: string; mean: number; stddev: number; median: number; user: number; system: number }[] }).results;
    const baseline = results[0];
    const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
    process.stdout.write(`${archive}, Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${values.runs} runs each, code cache warm\n`);
    for (const r of results) {
      process.stdout.write(`  ${r.command.padEnd(42)} ${ms(r.mean).padStart(9)} ± ${ms(r.stddev).padStart(8)}   user ${ms(r.user).padStart(9)}  sys ${ms(r.system).padStart(8)}   ${(r.mean / baseline.mean).toFixed(2)}×\n`);
    }
  } finally {
    await stop?.();
  }
  process.stdout.write('archives:\n');
  for (const name of readdirSync(release).filter((n) => /\.(tar\.gz|zip)$/.test(n)).sort()) {
    process.stdout.write(`  ${name.padEnd(46)} ${(statSync(path.join(release, name)).size / 1024 / 1024).toFixed(1).padStart(6)} MiB\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function fail(message: string): never {
  process.stderr.write(`measure-startup: ${message}\n`);
  process.exit(1);
}
