import type { RollingDeps } from '../services/rolling-run.ts';
import type { StoreResult } from '../services/store-step-runner.ts';
import { colors, shouldColor, type Colors } from '../ui/color.ts';
import { renderGateReport } from '../ui/gate-view.ts';
import { InquirerPrompter } from '../ui/inquirer-prompter.ts';
import { renderPlan } from '../ui/plan-view.ts';
import { createProgressView, type ProgressView } from '../ui/progress-view.ts';
import { renderSummary } from '../ui/summary-view.ts';
import type { GlobalOptions } from './global-options.ts';
import type { CliRuntime } from './runtime.ts';

/** What a command that changes the cluster shows on stderr: plan, progress, prompts, summary. */
export interface RollingUi {
  colors: Colors;
  progress: ProgressView;
  prompter: RollingDeps['prompter'];
  present: NonNullable<RollingDeps['present']>;
  /** Stops the progress view, then prints the summary of the stores the run worked on (to stderr). */
  finish(summary?: { stores: StoreResult[]; warnings: string[]; doneWord: string }): Promise<void>;
}

/** Builds the UI for a command on this runtime: task list or plain lines, inquirer prompts only when interactive. */
export function openRollingUi(runtime: CliRuntime, globals: GlobalOptions, options: { interactive: boolean }): RollingUi {
  const palette = colors(shouldColor(runtime.stderr, runtime.env, globals.colorAllowed));
  const progress = createProgressView(runtime.stderr, { env: runtime.env, colorAllowed: globals.colorAllowed, verbose: globals.verbose, signal: runtime.signal });
  return {
    colors: palette,
    progress,
    prompter: options.interactive ? new InquirerPrompter({ colors: palette, signal: runtime.signal }) : undefined,
    present: ({ plan, gates, how }) => {
      const parts = [renderPlan(plan, { colors: palette })];
      if (how) parts.push(`How: ${how}\n`);
      if (gates) parts.push(renderGateReport(gates, { colors: palette, subject: 'the cluster' }));
      runtime.stderr.write(parts.join('\n'));
    },
    async finish(summary) {
      await progress.stop();
      if (summary && summary.stores.length > 0) runtime.stderr.write(`\n${renderSummary(summary, { colors: palette })}`);
    },
  };
}
