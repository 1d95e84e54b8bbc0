import type { CaseShape, FaultSpec } from './fault-case.ts';
import { FaultPool } from './fault-pool.ts';
import { FAULTS } from './fault-table.ts';

/**
 * The fault matrix: every fault of the table injected at every step it applies to, on every topology and command it
 * applies to — each case on a fresh simulated cluster, checking the exit code, the message and the invariants of
 * commands.md (nothing of ours left behind, no store restarted holding leaders, never two stores down at once), then
 * running the same command again when the first run did not finish.
 *
 * A case spends most of its time waiting on simulated time, so cases run on worker threads (KT_FAULT_THREADS,
 * default 2), a few at a time on each (KT_FAULT_CONCURRENCY, default 4): a block's `before` queues its cases (and the
 * next block's), and each `it` reports its own case.
 */
const THREADS = Math.max(1, Number(process.env.KT_FAULT_THREADS ?? 2));
const PER_THREAD = Math.max(1, Number(process.env.KT_FAULT_CONCURRENCY ?? 4));
/** Under --grep only the blocks mocha runs start their cases (no look-ahead into blocks it may skip). */
const LOOK_AHEAD = !process.argv.some((arg) => /^(-g|-f|--grep|--fgrep)(=|$)/.test(arg));

interface Block {
  title: string;
  cases: { spec: FaultSpec; shape: CaseShape; title: string; result?: Promise<void> }[];
}

const blocks: Block[] = [];
for (const spec of FAULTS) {
  for (const command of spec.commands) {
    for (const topology of spec.appliesTo) {
      const steps = spec.steps(topology, command);
      if (steps.length === 0) continue;
      blocks.push({
        title: `${spec.name}: ${command} on ${topology}`,
        cases: steps.map((step) => ({ spec, shape: { topology, command, step }, title: `at ${step} — ${spec.description}` })),
      });
    }
  }
}

const pool = new FaultPool({ threads: THREADS, perThread: PER_THREAD });
function start(block: Block | undefined): void {
  for (const c of block?.cases ?? []) {
    if (c.result) continue;
    c.result = pool.run({ kind: 'fault', fault: c.spec.name, shape: c.shape });
    // Reported by the case's own `it`; never an unhandled rejection meanwhile.
    c.result.catch(() => undefined);
  }
}

describe('fault matrix', function () {
  this.timeout(180_000);
  after(() => pool.close());
  blocks.forEach((block, index) => {
    describe(block.title, () => {
      before(() => {
        start(block);
        // Keep the threads busy: the next blocks' cases are queued too.
        if (LOOK_AHEAD) for (const next of blocks.slice(index + 1, index + 4)) start(next);
      });
      for (const c of block.cases) {
        it(c.title, async () => {
          start(block);
          await c.result;
        });
      }
    });
  });
});
