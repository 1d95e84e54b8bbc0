import type { Progress } from '../services/progress.ts';
import { colors, shouldColor } from './color.ts';
import { PlainProgress } from './plain-progress.ts';
import { TaskList, type TerminalStream } from './task-list.ts';

/** Progress a command shows while a service works; `stop()` must be awaited before printing anything after it. */
export interface ProgressView extends Progress {
  stop(): Promise<void>;
}

/** How a command wants its progress shown. */
export interface ProgressViewOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** False with `--no-color`. */
  colorAllowed?: boolean;
  /** `-v`: the plain log also prints every decision of the step machine. */
  verbose?: boolean;
  /** The clock the service stamps its events with (the task list's elapsed times). Default `Date.now`. */
  now?: () => number;
  /** The command's interrupt signal: the task list says at once that cleanup is under way. */
  signal?: AbortSignal;
}

/**
 * The progress view for a stream (stderr): the listr2 task list on a terminal, one timestamped line per change
 * otherwise — CI logs, a pipe, `TERM=dumb` (cannot move the cursor), or a terminal that reports no size (a pseudo-
 * terminal allocated without one, e.g. `docker run -t` in CI: listr2 would wrap every character and draw nothing).
 * Colour follows `--no-color`, `NO_COLOR` and `FORCE_COLOR` for that stream.
 */
export function createProgressView(stream: TerminalStream, options: ProgressViewOptions): ProgressView {
  const palette = colors(shouldColor(stream, options.env, options.colorAllowed ?? true));
  const drawable = stream.isTTY === true && options.env.TERM !== 'dumb' && (stream.columns ?? 0) > 0 && (stream.rows ?? 0) > 0;
  if (drawable) return new TaskList({ stream, colors: palette, now: options.now, signal: options.signal });
  return new PlainProgress({ stream, colors: palette, verbose: options.verbose });
}
