import type { Topology } from '../../src/core/model.ts';
import type { FaultCommand } from './fault-case.ts';
import { FaultPool } from './fault-pool.ts';
import type { SignalShape, SignalStep } from './signal-case.ts';

/**
 * The CLI as a process, stopped by a real signal at each step of restart and upgrade: SIGINT and SIGTERM (exit 130,
 * cleanup done) and SIGKILL (no cleanup at all: the next run is refused while the Lease looks alive, then finishes
 * or undoes what was left). Generated from the table below; cases run on worker threads like the fault matrix.
 */
const DRIVEN_STEPS: readonly SignalStep[] = ['record-written', 'scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-ready', 'store-up', 'scheduler-removed'];

/** The steps recognisable from the simulator's History for a command on a topology. */
function stepsFor(topology: Topology, command: FaultCommand): readonly SignalStep[] {
  if (command === 'restart') return topology === 'tidb-operator-v2' ? ['record-written', 'restart-triggered', 'pod-ready', 'store-up'] : DRIVEN_STEPS;
  if (topology === 'tidb-operator-v1' || topology === 'tidb-operator-v2') return ['scheduler-added', 'restart-triggered', 'pod-ready', 'store-up'];
  // A StatefulSet upgrade patches the StatefulSet itself before any record: its first patch is not the record.
  return topology === 'statefulset' ? DRIVEN_STEPS.filter((s) => s !== 'record-written') : DRIVEN_STEPS;
}

const TOPOLOGIES: readonly Topology[] = ['statefulset', 'tidb-operator-v1', 'tikv-operator', 'tidb-operator-v2'];
const COMMANDS: readonly FaultCommand[] = ['restart', 'upgrade'];

/** Which signal where: SIGKILL everywhere; SIGINT at every step of statefulset runs; SIGTERM at three steps of three. */
const TABLE: { signal: SignalShape['signal']; where: (topology: Topology, command: FaultCommand) => readonly SignalStep[] }[] = [
  { signal: 'SIGKILL', where: stepsFor },
  { signal: 'SIGINT', where: (topology, command) => (topology === 'statefulset' ? stepsFor(topology, command) : []) },
  {
    signal: 'SIGTERM',
    where: (topology, command) =>
      (command === 'restart' && (topology === 'statefulset' || topology === 'tidb-operator-v2')) || (command === 'upgrade' && topology === 'tikv-operator')
        ? stepsFor(topology, command).filter((s) => ['scheduler-added', 'restart-triggered', 'store-up'].includes(s))
        : [],
  },
];

const cases: { shape: SignalShape; result?: Promise<void> }[] = [];
for (const { signal, where } of TABLE) {
  for (const command of COMMANDS) {
    for (const topology of TOPOLOGIES) for (const step of where(topology, command)) cases.push({ shape: { signal, command, topology, step } });
  }
}

const pool = new FaultPool({ threads: Math.max(1, Number(process.env.KT_FAULT_THREADS ?? 2)), perThread: Math.max(1, Number(process.env.KT_FAULT_CONCURRENCY ?? 4)) });
const filtered = process.argv.some((arg) => /^(-g|-f|--grep|--fgrep)(=|$)/.test(arg));

function start(c: (typeof cases)[number]): Promise<void> {
  c.result ??= pool.run({ kind: 'signal', shape: c.shape });
  c.result.catch(() => undefined);
  return c.result;
}

describe('signals: the CLI interrupted or killed at each step, then run again', function () {
  this.timeout(180_000);
  before(() => {
    if (!filtered) for (const c of cases) start(c);
  });
  after(() => pool.close());
  for (const c of cases) {
    const { signal, command, topology, step } = c.shape;
    it(`${signal} at ${step}: ${command} on ${topology}`, () => start(c));
  }
});
