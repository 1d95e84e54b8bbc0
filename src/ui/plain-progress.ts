import { formatDuration } from '../cli/duration.ts';
import type { Step, WaitFor } from '../core/store-step.ts';
import type { Progress, ProgressEvent } from '../services/progress.ts';
import { colors as makeColors, type Colors } from './color.ts';
import { leaderCounts } from './leader-counts.ts';

/** Where log lines go (stderr). */
export interface LineStream {
  write(text: string): unknown;
}

/** Options of the plain progress log. */
export interface PlainProgressOptions {
  stream: LineStream;
  /** Colour for `warning:`/`FAILED`/`done`; off unless the caller decided the stream takes colour. */
  colors?: Colors;
  /** Also log every decision of the step machine, not only actions, waits and ends (`-v`). */
  verbose?: boolean;
  /** Repeated waits for the same thing with only a changing count print at most this often. Default 10 s. */
  waitLineIntervalMs?: number;
}

interface StoreLog {
  storeId: number;
  startedAtMs?: number;
  /** The wait last printed, and when; a new `for` always prints. */
  lastWait?: { for: WaitFor; printedAtMs: number };
}

const DEFAULT_WAIT_LINE_INTERVAL_MS = 10_000;

/**
 * Progress for logs (stderr that is not a terminal, e.g. CI): one timestamped line per meaningful change —
 * `2026-11-21T10:00:01Z basic-tikv-1 store 2: evicting leaders (312 → 0)`. Every action, warning, info and the
 * end of each store prints; waits print when what is waited for changes, and at most every ~10 s while only a
 * count moves. Times are the events' own (the service's clock).
 */
export class PlainProgress implements Progress {
  readonly #stream: LineStream;
  readonly #colors: Colors;
  readonly #verbose: boolean;
  readonly #waitLineIntervalMs: number;
  readonly #stores = new Map<string, StoreLog>();

  constructor(options: PlainProgressOptions) {
    this.#stream = options.stream;
    this.#colors = options.colors ?? makeColors(false);
    this.#verbose = options.verbose ?? false;
    this.#waitLineIntervalMs = options.waitLineIntervalMs ?? DEFAULT_WAIT_LINE_INTERVAL_MS;
  }

  emit(event: ProgressEvent): void {
    const line = this.#lineFor(event);
    if (line !== undefined) this.#stream.write(`${timestamp(event.atMs)} ${line}\n`);
  }

  /** Nothing is buffered; resolves at once (the same shape as the task list's `stop`). */
  async stop(): Promise<void> {}

  #lineFor(event: ProgressEvent): string | undefined {
    const c = this.#colors;
    switch (event.type) {
      case 'store-start': {
        const log = this.#store(event.podName, event.storeId);
        log.startedAtMs = event.atMs;
        log.lastWait = undefined;
        const position = event.total > 1 ? ` (${event.index + 1}/${event.total})` : '';
        return `${storePrefix(event.podName, event.storeId)}: starting${position}`;
      }
      case 'step': {
        const log = this.#store(event.podName, event.storeId);
        const text = this.#stepText(log, event.step, event.atMs);
        return text === undefined ? undefined : `${storePrefix(event.podName, event.storeId)}: ${text}`;
      }
      case 'action':
        this.#store(event.podName, event.storeId);
        return `${storePrefix(event.podName, event.storeId)}: ${event.detail}`;
      case 'store-end': {
        const log = this.#store(event.podName, event.storeId);
        const took = log.startedAtMs === undefined ? '' : ` ${event.outcome === 'done' ? 'in' : 'after'} ${formatDuration(Math.max(0, event.atMs - log.startedAtMs))}`;
        const prefix = storePrefix(event.podName, event.storeId);
        switch (event.outcome) {
          case 'done':
            return `${prefix}: ${c.green('done')}${took}${event.reason ? `: ${event.reason}` : ''}`;
          case 'failed':
            return `${prefix}: ${c.red('FAILED')}${took}: ${event.reason}`;
          case 'interrupted':
            return `${prefix}: ${c.yellow('interrupted')}${took}: ${event.reason}`;
          case 'skipped':
            return `${prefix}: skipped${event.reason ? `: ${event.reason}` : ''}`;
        }
        return undefined;
      }
      case 'warning': {
        const known = event.podName === undefined ? undefined : this.#stores.get(event.podName);
        const prefix = event.podName === undefined ? '' : `${known ? storePrefix(event.podName, known.storeId) : event.podName}: `;
        return `${prefix}${c.yellow('warning:')} ${event.message}`;
      }
      case 'info':
        return event.message;
    }
  }

  /** A wait prints when its `for` changes or the last line is old enough; other decisions only when verbose. */
  #stepText(log: StoreLog, step: Step, atMs: number): string | undefined {
    if (step.kind !== 'wait') return this.#verbose ? step.reason : undefined;
    const due = log.lastWait === undefined || log.lastWait.for !== step.for || atMs - log.lastWait.printedAtMs >= this.#waitLineIntervalMs;
    if (!due && !this.#verbose) return undefined;
    log.lastWait = { for: step.for, printedAtMs: atMs };
    const counts = leaderCounts(step);
    if (!counts) return step.reason;
    // `(312 → 0)`: the leaders the store holds now → the count the wait is for.
    if (step.for === 'leaders-drained') {
      const who = step.reason.startsWith('operator') ? 'the operator is evicting leaders' : 'evicting leaders';
      const unread = /could not be read/.test(step.reason) ? '; TiKV /metrics could not be read' : '';
      return `${who} (${counts.current} → ${counts.target})${unread}`;
    }
    return `leaders coming back (${counts.current} → ${counts.target})`;
  }

  #store(podName: string, storeId: number): StoreLog {
    let log = this.#stores.get(podName);
    if (!log || log.storeId !== storeId) {
      log = { storeId };
      this.#stores.set(podName, log);
    }
    return log;
  }
}

/** `basic-tikv-1 store 2`. */
function storePrefix(podName: string, storeId: number): string {
  return `${podName} store ${storeId}`;
}

/** RFC 3339 in UTC to the second, as kubectl and CI logs print times: `2026-11-21T10:00:01Z`. */
export function timestamp(atMs: number): string {
  return new Date(atMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
