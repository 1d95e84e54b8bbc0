import { parentPort } from 'node:worker_threads';
import type { CaseShape } from './fault-case.ts';
import { runFaultCase } from './fault-runner.ts';
import { FAULTS } from './fault-table.ts';
import { runSignalCase, type SignalShape } from './signal-case.ts';

/** A case to run: a fault of the table by name (specs hold functions, which do not cross threads), or a signal case. */
export type CaseRequest = { id: number; kind: 'fault'; fault: string; shape: CaseShape } | { id: number; kind: 'signal'; shape: SignalShape };

/** How a case ended: its failure's message and stack, or the exit codes of its runs. */
export type CaseResponse = { id: number; ok: true } | { id: number; ok: false; message: string; stack?: string };

/**
 * A worker thread of the fault matrix: runs the cases it is sent, several at a time, each on its own simulated
 * cluster, and answers with the outcome. Cases spend most of their time waiting on simulated time; threads let a
 * second core carry the simulators' work.
 */
parentPort?.on('message', (request: CaseRequest) => {
  const run = request.kind === 'signal' ? runSignalCase(request.shape) : runFault(request.fault, request.shape);
  run.then(
    () => parentPort?.postMessage({ id: request.id, ok: true } satisfies CaseResponse),
    (error: unknown) => {
      const failure = error instanceof Error ? error : new Error(String(error));
      parentPort?.postMessage({ id: request.id, ok: false, message: failure.message, stack: failure.stack } satisfies CaseResponse);
    },
  );
});

async function runFault(name: string, shape: CaseShape): Promise<void> {
  const spec = FAULTS.find((f) => f.name === name);
  if (!spec) throw new Error(`no fault named ${name}`);
  await runFaultCase(spec, shape);
}
