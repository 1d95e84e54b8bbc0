// `npm run demo`: starts the simulated cluster (test/sim) and drives it with the real kubectl and the built plugin,
// as a user would: `kubectl tikv status`, a rolling `kubectl tikv upgrade`, `kubectl tikv status` again.
//
//   npm run demo -- [--topology tikv-operator|v1|v2|statefulset] [--stores N] [--time-scale X] [--to vX.Y.Z]
//
// The simulated delays are real-world defaults times --time-scale (default 0.1: ten times faster than life).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Topology } from '../src/core/model.ts';
import { startSimCluster } from '../test/sim/cluster.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    topology: { type: 'string', default: 'tikv-operator' },
    stores: { type: 'string', default: '3' },
    'time-scale': { type: 'string', default: '0.1' },
    to: { type: 'string', default: 'v8.5.1' },
  },
});
const aliases: Record<string, Topology> = { v1: 'tidb-operator-v1', v2: 'tidb-operator-v2' };
const topology = (aliases[values.topology!] ?? values.topology) as Topology;

const dir = join(root, '.sandbox', 'demo');
mkdirSync(dir, { recursive: true });
const kubeconfig = join(dir, 'kubeconfig');
process.stderr.write(`demo: starting a simulated ${topology} cluster with ${values.stores} TiKV stores (time scale ${values['time-scale']})…\n`);
const sim = await startSimCluster({ topology, stores: Number(values.stores), timeScale: Number(values['time-scale']), tikvVersion: 'v8.5.0', pdVersion: 'v8.5.1' });
sim.writeKubeconfig(kubeconfig);
const env = { ...process.env, KUBECONFIG: kubeconfig, PATH: `${join(root, 'scripts', 'dev-bin')}:${process.env.PATH}` };

/** Runs kubectl with the terminal attached (the task list draws on it); the simulator keeps running meanwhile. */
function kubectl(...args: string[]): Promise<number> {
  process.stderr.write(`\n$ kubectl ${args.join(' ')}\n`);
  return new Promise((done) => spawn('kubectl', args, { env, stdio: 'inherit' }).on('exit', (code) => done(code ?? 1)));
}

let failed = 0;
try {
  failed ||= await kubectl('get', 'pods');
  failed ||= await kubectl('tikv', 'status');
  failed ||= await kubectl('tikv', 'upgrade', '--version', values.to!, '--yes');
  failed ||= await kubectl('tikv', 'status');
} finally {
  await sim.stop();
}
process.stderr.write(failed ? `\ndemo: a command failed (exit ${failed})\n` : '\ndemo: done — every store upgraded, one at a time, leaders evicted first.\n');
process.exitCode = failed;
