// Measures start-up: `kubectl tikv --help` and `version --client` (the built bundle, as kubectl runs it) against
// `node -e 0` on the same Node, several runs each, and prints the medians. Run `npm run build` first.
// Usage: node scripts/measure-startup.ts [runs]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const runs = Number(process.argv[2] ?? 15);
if (!existsSync(path.join(root, 'dist', 'kubectl-tikv.cjs'))) {
  process.stderr.write("dist/kubectl-tikv.cjs is missing: run 'npm run build' first\n");
  process.exit(1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function measure(label: string, args: string[], env: Record<string, string> = {}): number {
  // One warm-up run fills the compile cache (as the first run after an install does).
  spawnSync(node, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(node, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== 0) throw new Error(`${label} exited ${result.status}`);
  }
  const ms = median(times);
  process.stdout.write(`${label.padEnd(48)} median ${ms.toFixed(0).padStart(4)} ms  (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}, ${runs} runs)\n`);
  return ms;
}

const run = path.join(root, 'bin', 'run.js');
process.stdout.write(`node ${process.version}, ${runs} runs each\n`);
const baseline = measure('node -e 0', ['-e', '0']);
const help = measure('kubectl tikv --help', [run, '--help']);
measure('kubectl tikv --help (compile cache off)', [run, '--help'], { NODE_DISABLE_COMPILE_CACHE: '1' });
measure('kubectl tikv version --client', [run, 'version', '--client']);
process.stdout.write(`--help costs ${(help - baseline).toFixed(0)} ms over a bare node start\n`);
