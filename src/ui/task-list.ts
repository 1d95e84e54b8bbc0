import { DefaultRenderer, figures, Listr, ListrLogger, ListrTaskState, ProcessOutput, type ListrTask, type ListrTaskWrapper } from 'listr2';
import { formatDuration } from '../cli/duration.ts';
import type { Step } from '../core/store-step.ts';
import type { Progress, ProgressEvent, StoreOutcome } from '../services/progress.ts';
import type { Colors } from './color.ts';
import { PlainProgress } from './plain-progress.ts';
import { phaseOfAction, phaseOfStep, phaseRank, phaseTitle, type StorePhase } from './store-phase.ts';

/** The terminal the task list draws on: process.stderr, or a test's fake terminal. It needs a size (columns, rows). */
export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Options of the task list. */
export interface TaskListOptions {
  stream: TerminalStream;
  /** Colours decided by the command (`shouldColor`: `--no-color`, `NO_COLOR`, `FORCE_COLOR`). */
  colors: Colors;
  /** The clock the service's events are stamped with, for the live elapsed times. Default `Date.now`. */
  now?: () => number;
  /** How often the running sub-step's elapsed time is refreshed. Default 1 s. */
  tickMs?: number;
  /**
   * The command's interrupt signal: when it aborts, the list says at once that cleanup is under way (other writes
   * to the stream, such as the CLI's own notice, only show once the list is done).
   */
  signal?: AbortSignal;
}

/**
 * listr2's default renderer, drawing on the stream it is given even when process.stdout is not a terminal
 * (`kubectl tikv restart -o json > out.json` still shows the task list on stderr).
 */
class TaskListRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

type Wrapper = ListrTaskWrapper<object, typeof TaskListRenderer, typeof TaskListRenderer>;
type Task = ListrTask<object, typeof TaskListRenderer, typeof TaskListRenderer>;
type Settlement = { ok: true } | { ok: false; message: string };

/** One sub-step of a store: a phase as it was entered (a phase entered again shows again). */
interface PhaseView {
  phase: StorePhase;
  title: string;
  enteredAtMs: number;
  endedAtMs?: number;
  /** The latest reason or action detail shown under the running sub-step. */
  text?: string;
  /** The wait's deadline, for `timeout in …`. */
  deadlineMs?: number;
  settlement?: Settlement;
  settle: (settlement: Settlement) => void;
  settled: Promise<Settlement>;
  wrapper?: Wrapper;
}

/** One store's task: its sub-steps and how it ended. */
interface StoreView {
  podName: string;
  storeId: number;
  index?: number;
  total?: number;
  startedAtMs: number;
  phases: PhaseView[];
  /** Phases entered during the current batch of events, not yet handed to listr. */
  fresh: PhaseView[];
  feed: Feed<PhaseView>;
  /** What happens before the first sub-step (recording the step), shown under the store's title. */
  note?: string;
  ended?: { outcome: StoreOutcome; reason: string; atMs: number };
  finalized: boolean;
  wrapper?: Wrapper;
}

/**
 * A `Progress` drawn as a listr2 task list on a terminal (stderr): one task per store, titled `basic-tikv-1 (store
 * 2)`, with sub-steps named after the step machine's phases as the store enters them (evict leaders → wait for 0 →
 * restart → pod Ready → store Up → end eviction → leaders back); the running sub-step shows the live reason (leader
 * counts) and its elapsed time; failed and interrupted stores keep their sub-steps on screen with the reason;
 * warnings and notes appear as lines in between, in the order they came.
 *
 * The service drives the work; this only observes events. listr2 cannot add tasks to a running list, so stores
 * (and each store's sub-steps) are chained: an untitled task waits for the next item and then runs it beside a new
 * waiting task. Events are applied in batches (a microtask after the first), because the step runner reports a
 * decision and the milestones its observation showed in one go, and the milestones come first in the step order.
 *
 * The list starts drawing at the first store and does not own signals or call `process.exit`; while it draws, other
 * writes to the stream are held back and printed after it (listr2's output hijack). Messages before the first store
 * print as lines. `stop()` finishes drawing (a store that never ended is marked as stopped) and must be awaited
 * before printing a summary; events after it print as plain log lines. Rendering problems never reach the service:
 * the list falls back to the plain log.
 */
export class TaskList implements Progress {
  readonly #stream: TerminalStream;
  readonly #colors: Colors;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #fallback: PlainProgress;
  #state: 'idle' | 'running' | 'closed' | 'broken' = 'idle';
  #pending: ProgressEvent[] = [];
  #flushQueued = false;
  #stores = new Map<number, StoreView>();
  #root = new Feed<Task>();
  #run: Promise<void> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #detach: () => void = () => {};

  constructor(options: TaskListOptions) {
    this.#stream = options.stream;
    this.#colors = options.colors;
    this.#now = options.now ?? Date.now;
    this.#tickMs = options.tickMs ?? 1_000;
    this.#fallback = new PlainProgress({ stream: options.stream, colors: options.colors });
    const signal = options.signal;
    if (signal) {
      const onAbort = () => this.emit({ type: 'warning', message: 'interrupted: stopping and cleaning up (a scheduler kubectl-tikv added is removed before it exits)…', atMs: this.#now() });
      signal.addEventListener('abort', onAbort, { once: true });
      this.#detach = () => signal.removeEventListener('abort', onAbort);
    }
  }

  emit(event: ProgressEvent): void {
    if (this.#state === 'closed' || this.#state === 'broken') {
      this.#fallback.emit(event);
      return;
    }
    this.#pending.push(event);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Finishes drawing: ends stores that never reported an end, writes the final list and resolves after it. */
  async stop(): Promise<void> {
    this.#detach();
    this.#flush();
    this.#guard(() => {
      for (const store of this.#stores.values()) {
        if (!store.ended) store.ended = { outcome: 'failed', reason: 'stopped before this store finished', atMs: this.#now() };
        this.#settleStore(store);
      }
    });
    this.#root.close();
    if (this.#state !== 'broken') this.#state = 'closed';
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
    await this.#run;
  }

  #flush(): void {
    this.#flushQueued = false;
    const events = this.#pending;
    this.#pending = [];
    if (events.length === 0 || this.#state === 'closed' || this.#state === 'broken') {
      for (const event of events) this.#fallback.emit(event);
      return;
    }
    const touched = new Set<StoreView>();
    for (const [i, event] of events.entries()) {
      try {
        const store = this.#apply(event);
        if (store) touched.add(store);
      } catch (error) {
        this.#break(error, events.slice(i + 1));
        return;
      }
    }
    try {
      for (const store of touched) this.#settleStore(store);
      this.#refreshRunning();
    } catch (error) {
      this.#break(error, []);
    }
  }

  /** Brings every running sub-step's elapsed time up to now. */
  #refreshRunning(): void {
    for (const store of this.#stores.values()) {
      const running = lastPhase(store);
      if (running && !running.settlement) this.#refreshPhase(running);
    }
  }

  /** Applies one event to the model; returns the store it concerned. */
  #apply(event: ProgressEvent): StoreView | undefined {
    switch (event.type) {
      case 'store-start': {
        const store = this.#storeFor(event.podName, event.storeId, event.atMs, true);
        store.index = event.index;
        store.total = event.total;
        return store;
      }
      case 'step': {
        const store = this.#storeFor(event.podName, event.storeId, event.atMs, false);
        // A failure's reason comes complete (with what cleanup did) in the store's end.
        if (store.ended || event.step.kind === 'fail') return store;
        const phase = phaseOfStep(event.step);
        const view = phase ? this.#enter(store, phase, event.atMs, true) : lastPhase(store);
        if (view) {
          view.text = event.step.reason;
          view.deadlineMs = deadlineOf(event.step);
        } else {
          store.note = event.step.reason;
        }
        return store;
      }
      case 'action': {
        const store = this.#storeFor(event.podName, event.storeId, event.atMs, false);
        const phase = phaseOfAction(event.action);
        if (!phase || store.ended) return store;
        // A milestone opens its sub-step when no decision did; the running sub-step keeps showing its wait's reason.
        if (!entered(store, phase)) this.#enter(store, phase, event.atMs, false).text = event.detail;
        return store;
      }
      case 'store-end': {
        const store = this.#storeFor(event.podName, event.storeId, event.atMs, false);
        store.ended ??= { outcome: event.outcome, reason: event.reason, atMs: event.atMs };
        return store;
      }
      case 'warning':
        this.#message(`${this.#colors.yellow(figures.warning)} ${this.#colors.yellow(event.message)}`);
        return undefined;
      case 'info':
        this.#message(`${this.#colors.cyan(figures.info)} ${event.message}`);
        return undefined;
    }
  }

  /** The store an event is about; a store not seen yet (or seen ending) gets a new task. */
  #storeFor(podName: string, storeId: number, atMs: number, starting: boolean): StoreView {
    const known = this.#stores.get(storeId);
    if (known && !(starting && known.ended)) return known;
    const store: StoreView = { podName, storeId, startedAtMs: atMs, phases: [], fresh: [], feed: new Feed(), finalized: false };
    this.#stores.set(storeId, store);
    this.#ensureRunning();
    this.#root.push(this.#storeTask(store));
    return store;
  }

  /** The phase now running for a store, entering `phase` unless it is the one running already. */
  #enter(store: StoreView, phase: StorePhase, atMs: number, again: boolean): PhaseView {
    const current = lastPhase(store);
    if (current?.phase === phase && !current.settlement) return current;
    const before = entered(store, phase);
    let settle!: (settlement: Settlement) => void;
    const settled = new Promise<Settlement>((resolve) => {
      settle = resolve;
    });
    const view: PhaseView = {
      phase,
      title: `${phaseTitle(phase)}${before && again ? ' (again)' : ''}`,
      enteredAtMs: atMs,
      settle: (settlement) => {
        if (view.settlement) return;
        view.settlement = settlement;
        settle(settlement);
      },
      settled,
    };
    store.fresh.push(view);
    return view;
  }

  /**
   * After a batch: hands new sub-steps to listr in the step machine's order, completes the ones a later one
   * superseded, ends the store when it ended, and refreshes titles and live output.
   */
  #settleStore(store: StoreView): void {
    if (store.fresh.length > 0) {
      const fresh = store.fresh.sort((a, b) => phaseRank(a.phase) - phaseRank(b.phase));
      store.fresh = [];
      store.phases.push(...fresh);
      for (const phase of fresh) store.feed.push(phase);
      store.note = undefined;
    }
    const { phases } = store;
    for (let i = 0; i < phases.length - 1; i++) {
      const phase = phases[i];
      if (phase.settlement) continue;
      phase.endedAtMs = Math.max(phase.enteredAtMs, phases[i + 1].enteredAtMs);
      phase.settle({ ok: true });
    }
    if (store.ended && !store.finalized) {
      store.finalized = true;
      const { outcome, reason, atMs } = store.ended;
      let last = lastPhase(store);
      if (!last && (outcome === 'failed' || outcome === 'interrupted')) {
        last = this.#enter(store, 'prepare', store.startedAtMs, false);
        store.fresh = [];
        store.phases.push(last);
        store.feed.push(last);
      }
      if (last && !last.settlement) {
        last.endedAtMs = Math.max(last.enteredAtMs, atMs);
        const failed = outcome === 'failed' || outcome === 'interrupted';
        const message = outcome === 'interrupted' && !/^interrupted\b/i.test(reason) ? `interrupted: ${reason}` : reason;
        last.settle(failed ? { ok: false, message } : { ok: true });
      }
      store.note = undefined;
      store.feed.close();
    }
    this.#refreshStore(store);
  }

  #storeTask(store: StoreView): Task {
    return {
      title: this.#storeTitle(store),
      task: (_ctx, wrapper) => {
        store.wrapper = wrapper;
        this.#guard(() => this.#refreshStore(store));
        if (store.ended?.outcome === 'skipped') return undefined;
        return wrapper.newListr([chainTask(store.feed, (phase) => this.#phaseTask(store, phase), true)], { exitOnError: true });
      },
    };
  }

  #phaseTask(store: StoreView, phase: PhaseView): Task {
    return {
      title: this.#phaseTitle(phase),
      task: async (_ctx, wrapper) => {
        phase.wrapper = wrapper;
        this.#guard(() => this.#refreshPhase(phase));
        const settlement = await phase.settled;
        this.#guard(() => {
          this.#refreshPhase(phase);
          this.#refreshStore(store);
        });
        if (!settlement.ok) throw new Error(settlement.message);
      },
    };
  }

  /** A line between the stores (warnings, notes); printed as a line when no list is drawing. */
  #message(text: string): void {
    if (this.#state !== 'running') {
      this.#stream.write(`${text}\n`);
      return;
    }
    this.#root.push({
      title: text,
      // ROLLED_BACK is a state this list never uses otherwise; its icon is blank, so the line shows only its text.
      task: (_ctx, wrapper) => {
        wrapper.task.state$ = ListrTaskState.ROLLED_BACK;
      },
    });
  }

  #refreshStore(store: StoreView): void {
    const wrapper = store.wrapper;
    if (!wrapper) return;
    if (store.ended?.outcome === 'skipped') {
      if (!wrapper.task.isSkipped()) wrapper.skip(`${this.#storeTitle(store)} ${this.#colors.dim(`skipped${store.ended.reason ? `: ${store.ended.reason}` : ''}`)}`);
      return;
    }
    setTitle(wrapper, this.#storeTitle(store));
    if (store.note !== undefined) setOutput(wrapper, store.note);
    else if (wrapper.output) wrapper.output = null;
    const running = lastPhase(store);
    if (running && !running.settlement) this.#refreshPhase(running);
  }

  #refreshPhase(phase: PhaseView): void {
    const wrapper = phase.wrapper;
    if (!wrapper) return;
    setTitle(wrapper, this.#phaseTitle(phase));
    if (!phase.settlement) setOutput(wrapper, this.#liveText(phase));
  }

  #storeTitle(store: StoreView): string {
    const c = this.#colors;
    let title = `${store.podName} (store ${store.storeId})`;
    if (store.total !== undefined && store.index !== undefined && store.total > 1) title += ` ${c.dim(`[${store.index + 1}/${store.total}]`)}`;
    const ended = store.ended;
    if (!ended || !store.finalized) return title;
    const took = formatDuration(Math.max(0, ended.atMs - store.startedAtMs));
    switch (ended.outcome) {
      case 'done':
        return ended.atMs - store.startedAtMs >= 1_000 ? `${title} ${c.dim(took)}` : title;
      case 'failed':
        return `${title} ${c.red('failed')} ${c.dim(`after ${took}`)}`;
      case 'interrupted':
        return `${title} ${c.yellow('interrupted')} ${c.dim(`after ${took}`)}`;
      case 'skipped':
        return title;
    }
  }

  #phaseTitle(phase: PhaseView): string {
    if (!phase.settlement || phase.endedAtMs === undefined) return phase.title;
    const tookMs = phase.endedAtMs - phase.enteredAtMs;
    return tookMs >= 1_000 ? `${phase.title} ${this.#colors.dim(formatDuration(tookMs))}` : phase.title;
  }

  /** `store 2 still holds 37 leader(s) · 12s (timeout in 9m48s)`: the reason, the time in this sub-step, the deadline. */
  #liveText(phase: PhaseView): string {
    const nowMs = this.#now();
    const elapsed = wholeSeconds(Math.max(0, nowMs - phase.enteredAtMs));
    const deadline = phase.deadlineMs !== undefined && phase.deadlineMs > nowMs ? ` (timeout in ${wholeSeconds(phase.deadlineMs - nowMs)})` : '';
    return `${phase.text ? `${phase.text} · ` : ''}${elapsed}${deadline}`;
  }

  #ensureRunning(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    const c = this.#colors;
    const processOutput = new ProcessOutput(this.#stream as unknown as NodeJS.WriteStream, this.#stream as unknown as NodeJS.WriteStream);
    const onRenderError = (error: unknown) => this.#break(error, []);
    /** Drawing errors (listr2 draws from its own timer) end the drawing instead of the process. */
    class GuardedRenderer extends TaskListRenderer {
      #failed = false;
      override update(): void {
        if (this.#failed) return;
        try {
          super.update();
        } catch (error) {
          this.#failed = true;
          onRenderError(error);
        }
      }
      override end(): void {
        try {
          super.end();
        } catch (error) {
          // The stream must not stay hijacked: whatever comes next (the plain log, the command's error) has to show.
          processOutput.release();
          onRenderError(error);
        }
      }
    }
    const identity = (text?: string) => text ?? '';
    const paint = (style: (text: string) => string) => (text?: string) => style(text ?? '');
    const listr = new Listr<object, typeof TaskListRenderer, typeof TaskListRenderer>([chainTask(this.#root, (task) => task, false)], {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: GuardedRenderer,
      fallbackRenderer: GuardedRenderer,
      rendererOptions: {
        logger: new ListrLogger({ processOutput }),
        collapseErrors: false,
        showErrorMessage: true,
        collapseSubtasks: true,
        collapseSkips: true,
        formatOutput: 'wrap',
        icon: {
          SKIPPED_WITH_COLLAPSE: figures.arrowDown,
          SKIPPED_WITHOUT_COLLAPSE: figures.arrowDown,
          OUTPUT: figures.pointerSmall,
          OUTPUT_WITH_BOTTOMBAR: figures.pointerSmall,
          PENDING: figures.pointer,
          COMPLETED: figures.tick,
          COMPLETED_WITH_FAILED_SUBTASKS: figures.warning,
          COMPLETED_WITH_SISTER_TASKS_FAILED: figures.squareSmallFilled,
          RETRY: figures.warning,
          ROLLING_BACK: figures.warning,
          ROLLED_BACK: '',
          FAILED: figures.cross,
          FAILED_WITH_SUBTASKS: figures.cross,
          WAITING: figures.squareSmallFilled,
          PAUSED: figures.squareSmallFilled,
          CANCELLED: figures.circleSlash,
        },
        // listr2's own colours follow process.stdout; these follow the decision made for this stream.
        color: {
          SKIPPED_WITH_COLLAPSE: paint(c.yellow),
          SKIPPED_WITHOUT_COLLAPSE: paint(c.yellow),
          OUTPUT: paint(c.dim),
          OUTPUT_WITH_BOTTOMBAR: paint(c.dim),
          PENDING: paint(c.yellow),
          COMPLETED: paint(c.green),
          COMPLETED_WITH_FAILED_SUBTASKS: paint(c.yellow),
          COMPLETED_WITH_SISTER_TASKS_FAILED: paint(c.red),
          RETRY: paint(c.yellow),
          ROLLING_BACK: paint(c.red),
          ROLLED_BACK: identity,
          FAILED: paint(c.red),
          FAILED_WITH_SUBTASKS: paint(c.red),
          WAITING: paint(c.dim),
          PAUSED: paint(c.yellow),
          CANCELLED: paint(c.yellow),
        },
      },
    });
    this.#run = listr.run().then(
      () => undefined,
      (error: unknown) => this.#break(error, []),
    );
    this.#ticker = setInterval(() => this.#guard(() => this.#refreshRunning()), this.#tickMs);
  }

  /** Runs a drawing update; a failure breaks the list rather than the task or timer it ran in. */
  #guard(update: () => void): void {
    if (this.#state === 'broken') return;
    try {
      update();
    } catch (error) {
      this.#break(error, []);
    }
  }

  /**
   * A rendering problem must not stop the maintenance it shows: say so once, settle everything so the list ends,
   * and log the rest plainly.
   */
  #break(error: unknown, rest: ProgressEvent[]): void {
    if (this.#state === 'broken') return;
    this.#state = 'broken';
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
    for (const store of this.#stores.values()) {
      for (const phase of [...store.phases, ...store.fresh]) phase.settle({ ok: true });
      store.feed.close();
    }
    this.#root.close();
    this.#stream.write(`kubectl-tikv: the task list failed (${error instanceof Error ? error.message : String(error)}); progress continues as plain lines\n`);
    for (const event of rest) this.#fallback.emit(event);
  }
}

/** Items handed one at a time to a chain of listr tasks; `close()` ends the chain. */
class Feed<T> {
  #items: T[] = [];
  #waiter: ((item: T | undefined) => void) | undefined;
  #closed = false;

  push(item: T): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  next(): Promise<T | undefined> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift());
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  close(): void {
    this.#closed = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
  }
}

/**
 * An untitled task that waits for the feed's next item and runs it beside a new waiting task, so items added while
 * the list runs appear in order at the same level (untitled tasks do not indent their subtasks).
 */
function chainTask<T>(feed: Feed<T>, toTask: (item: T) => Task, exitOnError: boolean): Task {
  return {
    task: async (_ctx, wrapper) => {
      const item = await feed.next();
      if (item === undefined) return undefined;
      return wrapper.newListr([toTask(item), chainTask(feed, toTask, exitOnError)], { concurrent: true, exitOnError });
    },
  };
}

function lastPhase(store: StoreView): PhaseView | undefined {
  return store.fresh.at(-1) ?? store.phases.at(-1);
}

function entered(store: StoreView, phase: StorePhase): boolean {
  return store.phases.some((p) => p.phase === phase) || store.fresh.some((p) => p.phase === phase);
}

function deadlineOf(step: Step): number | undefined {
  return step.kind === 'wait' ? step.deadlineMs : undefined;
}

/** `12s`, `1m4s`: elapsed time to the second (no milliseconds in a live display). */
function wholeSeconds(ms: number): string {
  return formatDuration(Math.floor(ms / 1_000) * 1_000);
}

/** Changes a task's title when it changed (every change redraws). */
function setTitle(wrapper: Wrapper, title: string): void {
  if (wrapper.title !== title) wrapper.title = title;
}

function setOutput(wrapper: Wrapper, output: string): void {
  if (wrapper.output !== output) wrapper.output = output;
}

