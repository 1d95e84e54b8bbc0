import { InterruptedError } from '../errors.ts';
import type { CliOutput } from './runtime.ts';

/** What signal ownership listens on: the process, or an emitter in tests. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * The tool owns SIGINT and SIGTERM (not listr2, not Node's default of dying at once): the first one aborts
 * `controller` — every wait ends and cleanup (removing evict-leader schedulers) runs — and the process exits only
 * once the command returned. Later signals only say that cleanup is under way. Returns the function that stops
 * listening.
 */
export function ownSignals(controller: AbortController, stderr: CliOutput, source: SignalSource = process): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      stderr.write(`\n${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'}: stopping and cleaning up…\n`);
      controller.abort(new InterruptedError(`interrupted by ${signal}; cleanup done`));
    } else {
      stderr.write('cleaning up, please wait\n');
    }
  };
  source.on('SIGINT', onSignal);
  source.on('SIGTERM', onSignal);
  return () => {
    source.off('SIGINT', onSignal);
    source.off('SIGTERM', onSignal);
  };
}
