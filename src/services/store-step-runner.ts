import type { Member } from '../core/model.ts';
import type { StepCommand, StepRecord } from '../core/step-record.ts';
import { heartbeatSinceStart, nextStep, type Step, type StoreObservation, type StoreTarget } from '../core/store-step.ts';
import { InterruptedError, UserError } from '../errors.ts';
import { explainKubeError } from '../kube/explain-kube-error.ts';
import { KubeError } from '../kube/kube-error.ts';
import { PdStoreNotFoundError } from '../pd/pd-errors.ts';
import type { PdClient } from '../pd/pd-client.ts';
import type { TikvMetrics } from '../tikv/tikv-metrics.ts';
import type { Clock } from './clock.ts';
import type { Progress, StoreAction, StoreOutcome } from './progress.ts';
import type { EventSink, PodSource, RestartTrigger, StepRecordStore } from './step-ports.ts';
import { isTransientFailure } from './transient.ts';

/** Everything one store's step talks to. */
export interface StepRunnerDeps {
  pd: PdClient;
  tikv: TikvMetrics;
  clock: Clock;
  progress: Progress;
  pods: PodSource;
  records: StepRecordStore;
  events: EventSink;
  restart: RestartTrigger;
}

/** Per-run settings of a step. */
export interface StepRunSettings {
  runId: string;
  command: StepCommand;
  /** Who runs it, for the record (`user@host (pid N)`). */
  holder: string;
  pollIntervalMs: number;
  /** How long cleanup may try to remove a scheduler after a failure or interrupt. */
  cleanupTimeoutMs: number;
  signal: AbortSignal;
  /**
   * `evict`: stop once the store holds no leaders (or, with `noWait`, once the scheduler is added), leaving the
   * scheduler and the record in place — the eviction is the result — instead of restarting.
   */
  evictOnly?: { noWait: boolean };
  /** `--force`: restart even when another store is unavailable at the last moment (with a warning). */
  force?: boolean;
}

/** What happened to one store, for the summary and `-o json`. */
export interface StoreResult {
  podName: string;
  storeId: number;
  outcome: StoreOutcome;
  reason: string;
  warnings: string[];
  /** Actions in the order they happened, with wall-clock times. */
  actions: { action: StoreAction; atMs: number; detail: string }[];
  startedAtMs: number;
  endedAtMs: number;
  /** Eviction (record → 0 leaders), restart (trigger → store Up), leader return (scheduler removed → done). */
  durationsMs: { eviction?: number; restart?: number; leaderReturn?: number; total: number };
}

/** The error a failed or interrupted step ends with; it carries the store's result. */
export class StoreStepError extends UserError {
  readonly result: StoreResult;
  constructor(error: UserError, result: StoreResult) {
    super(error.message, { code: error.code, suggestions: error.suggestions, cause: error.cause });
    this.name = error.name;
    this.result = result;
  }
}

const MAX_ERROR_BACKOFF_MS = 10_000;

/**
 * Drives one store through the step machine (`nextStep`) until it is done, acting on each decision and reading a
 * fresh observation after each. Whatever ends it early — a failed step, an error, an interrupt — a scheduler this
 * run owns is removed and the record cleared before it returns (cleanup in `finally`).
 */
export async function runStoreStep(deps: StepRunnerDeps, target: StoreTarget, member: Member, settings: StepRunSettings): Promise<StoreResult> {
  const { clock, progress } = deps;
  const { signal } = settings;
  const { podName, storeId } = target;
  const startedAtMs = clock.now();
  const result: StoreResult = { podName, storeId, outcome: 'failed', reason: '', warnings: [], actions: [], startedAtMs, endedAtMs: startedAtMs, durationsMs: { total: 0 } };
  const act = (action: StoreAction, detail: string) => {
    const atMs = clock.now();
    result.actions.push({ action, atMs, detail });
    progress.emit({ type: 'action', podName, storeId, action, detail, atMs });
  };
  const warn = (message: string) => {
    if (result.warnings.includes(message)) return;
    result.warnings.push(message);
    progress.emit({ type: 'warning', message, podName, atMs: clock.now() });
  };
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => {
    void deps.events.record(member, { type, reason, message }).then((ok) => {
      if (!ok) warn(`could not record Kubernetes Events on ${podName} (the step goes on)`);
    });
  };

  let record = await deps.records.read(member, storeId, signal);
  if (record) {
    progress.emit({ type: 'info', message: `store ${storeId}: resuming a step left in phase ${record.phase} by run ${record.runId}${record.holder ? ` (${record.holder})` : ''}`, atMs: clock.now() });
    // This run's timeouts count from now: measured from the earlier run's times, a step resumed after the user fixed
    // what stopped it would fail at once ("within the ready timeout") before it could see the fix.
    const now = clock.now();
    record = { ...record, phaseSinceMs: now, ...(record.triggeredAtMs !== undefined ? { triggeredAtMs: now } : {}) };
  }
  let lastStep: Step | undefined;
  let lastObservation: StoreObservation | undefined;
  let triggerAttempted = false;
  let errorStreak = 0;
  let firstErrorAtMs = 0;
  let drainedSeen = false;
  /** Since when the last check before the restart has found another store unavailable. */
  let unsafeSinceMs: number | undefined;
  let lastUnsafe: string | undefined;
  let podReplacedSeen = false;
  let podReadySeen = false;
  const marks: { evictBegin?: number; drained?: number; triggered?: number; up?: number; returning?: number } = {};

  const save = async (next: StepRecord) => {
    await deps.records.write(member, next, signal);
    record = next;
  };

  try {
    for (;;) {
      signal.throwIfAborted();
      let observation: StoreObservation;
      // Polls run at a fixed rate (start to start), so a condition is seen within one interval however slow PD is.
      const observedAtMs = clock.now();
      try {
        observation = await observe(deps, target, record, signal);
        lastObservation = observation;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        // A refusal (RBAC 403, 404 …), also behind a port-forward, does not go away by asking again.
        if ((error instanceof KubeError && isRefusal(error)) || deniedIn(error)) throw error;
        await retryAfter(error);
        continue;
      }
      const step = nextStep(target, observation);
      if (!lastStep || lastStep.kind !== step.kind || lastStep.reason !== step.reason) {
        progress.emit({ type: 'step', podName, storeId, step, atMs: clock.now() });
      }
      lastStep = step;
      noteMilestones(observation);
      // Nothing more is changed once interrupted: cleanup takes over.
      signal.throwIfAborted();

      try {
        switch (step.kind) {
          case 'begin': {
            const { pod, store } = observation;
            if (!pod || !store) {
              throw new UserError(`cannot begin: ${!pod ? `pod ${podName} does not exist` : `PD does not list store ${storeId}`}`, {
                suggestions: ["Check 'kubectl tikv status'."],
              });
            }
            const tikvLeaders = typeof observation.tikvLeaderCount === 'number' ? observation.tikvLeaderCount : 0;
            await save({
              runId: settings.runId,
              command: settings.command,
              storeId,
              podName,
              podUid: pod.uid,
              startTimestampSec: store.startTimestampSec,
              leadersBefore: Math.max(store.leaderCount, tikvLeaders),
              phase: 'evicting',
              phaseSinceMs: clock.now(),
              ownsScheduler: target.eviction === 'scheduler',
              expectedVersion: target.expectedVersion,
              holder: settings.holder,
            });
            marks.evictBegin = clock.now();
            act('record-written', `step recorded (${Math.max(store.leaderCount, tikvLeaders)} leaders before)`);
            break;
          }
          case 'add-scheduler': {
            if (record!.schedulerAddedAtMs !== undefined) warn(`store ${storeId} was removed from the evict-leader scheduler by someone else; added it again`);
            await deps.pd.addEvictLeader(storeId, { signal });
            await save({ ...record!, schedulerAddedAtMs: clock.now() });
            act('scheduler-added', `evict-leader scheduler added for store ${storeId}`);
            event('Normal', 'EvictLeaderBegin', `kubectl-tikv: evicting leaders from store ${storeId}`);
            if (settings.evictOnly?.noWait) return succeed(`store ${storeId} added to the evict-leader scheduler (not waiting for its leaders to leave)`);
            break;
          }
          case 'wait': {
            const untilNextPoll = observedAtMs + settings.pollIntervalMs - clock.now();
            const untilDeadline = step.deadlineMs - clock.now();
            await deps.pods.changed(Math.max(1, Math.min(untilNextPoll, untilDeadline)), signal);
            break;
          }
          case 'trigger': {
            if (settings.evictOnly) {
              if (!drainedSeen) throw new UserError(`store ${storeId} cannot be evicted: ${step.reason}`, { suggestions: ["Check 'kubectl tikv status'."] });
              return succeed(`store ${storeId} holds no leaders; it stays in the evict-leader scheduler until 'kubectl tikv evict --end --store ${storeId}'`);
            }
            const current = record!;
            const pod = observation.pod;
            // Only restart the pod the record names: a replacement (someone else restarted it) is left alone.
            const untouched = pod !== undefined && pod.uid === current.podUid && !pod.terminating && observation.store?.startTimestampSec === current.startTimestampSec;
            if (untouched) {
              const unsafe = await checkBeforeRestart(current);
              // Our eviction vanished since the observation: the next one adds it again and waits for 0 leaders.
              if (unsafe === 'eviction-gone') break;
              if (unsafe !== undefined && !settings.force) {
                // Another store may be down only for a moment (a PD leader change shows stores Disconnected until
                // their next heartbeat): the eviction holds while we wait, up to the patience of the gates.
                unsafeSinceMs ??= clock.now();
                if (clock.now() - unsafeSinceMs < Math.min(target.readyTimeoutMs, 120_000)) {
                  if (unsafe !== lastUnsafe) progress.emit({ type: 'info', message: `store ${storeId}: waiting before restarting pod ${podName}: ${unsafe}`, atMs: clock.now() });
                  lastUnsafe = unsafe;
                  await deps.pods.changed(settings.pollIntervalMs, signal);
                  break;
                }
                throw new UserError(`not restarting pod ${podName}: ${unsafe}`, {
                  suggestions: ['Restart one store at a time: wait until every other store is Up and its pod Ready, or fix the one that is not; then run the same command again.'],
                });
              }
              if (unsafe !== undefined) warn(`--force: restarting pod ${podName} although ${unsafe}`);
              unsafeSinceMs = undefined;
            }
            if (step.warning) warn(step.warning);
            if (current.phase !== 'restarting') await save({ ...current, phase: 'restarting', phaseSinceMs: clock.now() });
            if (untouched) {
              // From here on the pod counts as touched, even if the call is cut short: the API may have acted on it.
              triggerAttempted = true;
              await deps.restart.trigger(member, current.podUid, signal).catch((error: unknown) => {
                // The API server refused (RBAC, validation): it did not act on the pod.
                if (error instanceof KubeError && isRefusal(error)) triggerAttempted = false;
                throw error;
              });
              act('restart-triggered', deps.restart.describe(member));
              event('Normal', 'RestartTriggered', `kubectl-tikv: ${deps.restart.describe(member)} (store ${storeId})`);
            }
            await save({ ...record!, triggeredAtMs: clock.now() });
            marks.triggered = clock.now();
            break;
          }
          case 'remove-scheduler': {
            const outcome = await deps.pd.removeEvictLeader(storeId, { signal });
            act('scheduler-removed', outcome === 'removed' ? `evict-leader scheduler removed for store ${storeId}` : `store ${storeId} was already out of the evict-leader scheduler`);
            event('Normal', 'EvictLeaderEnd', `kubectl-tikv: ended leader eviction of store ${storeId}`);
            break;
          }
          case 'mark-returning': {
            marks.up ??= clock.now();
            await save({ ...record!, phase: 'returning', phaseSinceMs: clock.now() });
            marks.returning = clock.now();
            break;
          }
          case 'finish': {
            if (step.warning) warn(step.warning);
            else if (!target.skipLeaderReturn && target.eviction !== 'none') act('leaders-returned', step.reason);
            await deps.records.clear(member, storeId, signal);
            record = undefined;
            act('record-cleared', 'step record removed');
            event('Normal', 'RestartDone', `kubectl-tikv: ${step.reason}`);
            return succeed(step.reason);
          }
          case 'fail': {
            event('Warning', 'RestartFailed', `kubectl-tikv: ${step.reason}`);
            throw new UserError(step.reason, { suggestions: [step.suggestion] });
          }
        }
      } catch (error) {
        // An action that failed on something passing (PD electing, a dropped port-forward, a 5xx/429/409 from the API
        // server) is tried again: the step machine is level-triggered, so the next observation shows whether it took
        // effect. Anything else ends the step.
        if (signal.aborted || !isTransientFailure(error)) throw error;
        await retryAfter(error);
        continue;
      }
      errorStreak = 0;
    }
  } catch (error) {
    const interrupted = signal.aborted;
    const touched = record !== undefined && (triggerAttempted || record.triggeredAtMs !== undefined || record.phase === 'returning' || (lastObservation?.pod !== undefined && (lastObservation.pod.uid !== record.podUid || lastObservation.pod.terminating)));
    const cleanupNote = await cleanup();
    result.outcome = interrupted ? 'interrupted' : 'failed';
    const base = interrupted
      ? new InterruptedError(`interrupted while restarting store ${storeId} (pod ${podName}, ${touched ? 'already restarted' : 'not restarted'}); ${cleanupNote}`, {
          suggestions: [resumeSuggestion(settings.command)],
          cause: error,
        })
      : error instanceof UserError
        ? new UserError(`${error.message}; ${cleanupNote}`, { code: error.code, suggestions: error.suggestions, cause: error.cause ?? error })
        : failure(error, error instanceof KubeError ? error : deniedIn(error), cleanupNote);
    result.reason = base.message;
    finalize();
    throw new StoreStepError(base, result);
  }

  /**
   * The last look before a store is restarted, after the decision: the gates were checked before the store's step
   * began, which may be minutes ago. Returns why restarting now would take a second store down (another store not
   * Up in PD, or another TiKV pod not Ready — the pod shows a crash at once, PD only after 20 s), `eviction-gone`
   * when our scheduler was removed since the observation, or undefined when it is safe.
   */
  async function checkBeforeRestart(current: StepRecord): Promise<string | undefined> {
    const [stores, evictions] = await Promise.all([
      deps.pd.stores({ signal }),
      current.ownsScheduler && target.eviction === 'scheduler' ? deps.pd.evictLeaderState({ signal }) : undefined,
    ]);
    if (evictions && !evictions.storeIds.includes(storeId)) return 'eviction-gone';
    const reasons: string[] = [];
    const notUp = stores.filter((s) => s.storeId !== storeId && s.stateName !== 'Up' && s.stateName !== 'Tombstone');
    if (notUp.length > 0) reasons.push(`${notUp.map((s) => `store ${s.storeId} (${s.stateName})`).join(', ')} ${notUp.length > 1 ? 'are' : 'is'} not Up`);
    const notReady = (deps.pods.all?.() ?? []).filter((p) => p.name !== podName && (!p.ready || p.terminating)).map((p) => p.name).sort();
    if (notReady.length > 0) reasons.push(`TiKV pod${notReady.length > 1 ? 's' : ''} ${notReady.join(', ')} ${notReady.length > 1 ? 'are' : 'is'} not Ready`);
    if (target.eviction === 'operator') {
      // The operator evicts by PD's leader count once the pod is deleted. Right after a PD leader change PD may show
      // 0 while the TiKV still holds leaders: the operator would then restart it holding them.
      const pdLeaders = stores.find((s) => s.storeId === storeId)?.leaderCount;
      const tikvLeaders = await deps.tikv.leaderCount(podName, { signal }).catch(() => undefined);
      // PD may lag a leader or two behind while balance-leader works; far fewer than the TiKV holds is a stale view.
      if (pdLeaders !== undefined && tikvLeaders !== undefined && tikvLeaders - pdLeaders > Math.max(1, Math.floor(tikvLeaders / 10))) {
        reasons.push(`PD counts ${pdLeaders} leader(s) on store ${storeId} but its TiKV holds ${tikvLeaders} (PD's view is stale, e.g. after a PD leader change), and the operator evicts by PD's count`);
      }
    }
    return reasons.length > 0 ? reasons.join(', and ') : undefined;
  }

  /**
   * Waits before the next attempt after a failed observation or a transiently failed action, with back-off; gives up
   * (as a step failure) once failures have lasted as long as the step's longest timeout.
   */
  async function retryAfter(error: unknown): Promise<void> {
    if (errorStreak === 0) firstErrorAtMs = clock.now();
    errorStreak++;
    const waited = clock.now() - firstErrorAtMs;
    const limit = Math.max(target.readyTimeoutMs, target.evictTimeoutMs);
    if (waited >= limit) {
      throw new UserError(`lost contact with the cluster while restarting store ${storeId}: ${messageOf(error)}`, {
        suggestions: ["Check PD and the API server ('kubectl tikv status')."],
        cause: error,
      });
    }
    warn(`store ${storeId}: ${messageOf(error)}; retrying`);
    await clock.sleep(Math.min(MAX_ERROR_BACKOFF_MS, settings.pollIntervalMs * 2 ** Math.min(errorStreak, 4)), signal);
  }

  /** The error of a step that failed on something other than a decision: what happened and what to do about it. */
  function failure(error: unknown, kubeError: KubeError | undefined, cleanupNote: string): UserError {
    // A Kubernetes refusal names the verb and resource RBAC needs; anything else says how to continue.
    const explained = kubeError ? explainKubeError(kubeError) : undefined;
    return new UserError(`restarting store ${storeId} (pod ${podName}) failed: ${explained?.message ?? messageOf(error)}; ${cleanupNote}`, {
      suggestions: explained?.suggestions ?? [resumeSuggestion(settings.command)],
      cause: error,
    });
  }

  function succeed(reason: string): StoreResult {
    result.outcome = 'done';
    result.reason = reason;
    return finalize();
  }

  function finalize(): StoreResult {
    result.endedAtMs = clock.now();
    result.durationsMs = {
      eviction: marks.evictBegin !== undefined && marks.drained !== undefined ? marks.drained - marks.evictBegin : undefined,
      restart: marks.triggered !== undefined && marks.up !== undefined ? marks.up - marks.triggered : undefined,
      leaderReturn: marks.returning !== undefined ? result.endedAtMs - marks.returning : undefined,
      total: result.endedAtMs - startedAtMs,
    };
    progress.emit({ type: 'store-end', podName, storeId, outcome: result.outcome, reason: result.reason, atMs: result.endedAtMs });
    return result;
  }

  /** Marks milestones as they are observed, so the action log shows 0 leaders → pod replaced → Ready → Up. */
  function noteMilestones(o: StoreObservation): void {
    if (!record) return;
    if (!drainedSeen && record.phase === 'evicting' && target.eviction === 'scheduler' && o.store?.leaderCount === 0 && (o.tikvLeaderCount === 0 || o.tikvLeaderCount === undefined) && o.schedulerHasStore) {
      drainedSeen = true;
      marks.drained = clock.now();
      act('leaders-drained', `store ${storeId} holds no leaders (PD and TiKV)`);
    }
    if (!drainedSeen && target.eviction === 'operator' && record.phase === 'restarting' && o.store?.leaderCount === 0 && o.tikvLeaderCount === 0) {
      drainedSeen = true;
      marks.drained = clock.now();
      act('leaders-drained', `store ${storeId} holds no leaders (PD and TiKV), evicted by the operator`);
    }
    if (record.phase !== 'restarting') return;
    const replaced = o.pod !== undefined && o.pod.uid !== record.podUid && !o.pod.terminating;
    if (!podReplacedSeen && replaced) {
      podReplacedSeen = true;
      act('pod-replaced', `pod ${podName} recreated`);
    }
    if (!podReadySeen && replaced && o.pod!.ready) {
      podReadySeen = true;
      act('pod-ready', `pod ${podName} is Ready`);
    }
    if (podReadySeen && marks.up === undefined && o.store && o.store.stateName === 'Up' && o.store.startTimestampSec !== record.startTimestampSec && heartbeatSinceStart(o.store)) {
      const versionOk = target.expectedVersion === undefined || o.store.version.replace(/^v/, '') === target.expectedVersion.replace(/^v/, '');
      if (versionOk) {
        marks.up = clock.now();
        act('store-up', `store ${storeId} is Up (version ${o.store.version}, started ${o.store.startTimestampSec})`);
      }
    }
  }

  /** Waits (up to `timeoutMs`) until the pod the record names is no longer there; false when it still is. */
  async function oldPodGone(current: StepRecord, timeoutMs: number): Promise<boolean> {
    const until = clock.now() + timeoutMs;
    const waitSignal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      let pod;
      try {
        pod = deps.pods.get(podName);
      } catch {
        return false;
      }
      if (pod?.uid !== current.podUid) return true;
      if (clock.now() >= until) return false;
      await deps.pods.changed(Math.min(settings.pollIntervalMs * 4, until - clock.now()), waitSignal).catch(() => undefined);
    }
  }

  /** Removes the scheduler this run owns and the record; says what it did, for the error message. */
  async function cleanup(): Promise<string> {
    const current = record;
    if (!current) return 'nothing to clean up';
    const cleanupSignal = AbortSignal.timeout(settings.cleanupTimeoutMs);
    const notes: string[] = [];
    if (current.ownsScheduler && (triggerAttempted || current.triggeredAtMs !== undefined)) {
      // The restart was set off but the old pod may still be stopping: ending its eviction now would hand its TiKV
      // leaders back just before it stops. Let the old pod go first (bounded: the interrupted run must end).
      const gone = await oldPodGone(current, Math.min(settings.cleanupTimeoutMs / 2, 30_000));
      if (!gone) notes.push(`pod ${podName} was still stopping when its eviction ended`);
    }
    if (current.ownsScheduler) {
      let lastError: unknown;
      for (let attempt = 0; !cleanupSignal.aborted; attempt++) {
        try {
          const outcome = await deps.pd.removeEvictLeader(storeId, { signal: cleanupSignal });
          const note = outcome === 'removed' ? `the evict-leader scheduler of store ${storeId} was removed` : `store ${storeId} was not in the evict-leader scheduler`;
          act('cleanup', note);
          notes.push(note);
          break;
        } catch (error) {
          lastError = error;
          await clock.sleep(Math.min(2_000, 200 * 2 ** attempt), cleanupSignal).catch(() => undefined);
        }
      }
      if (notes.length === 0) {
        // The record stays so the next run (or `evict --end`) finishes the job.
        return `could NOT remove the evict-leader scheduler of store ${storeId} (${messageOf(lastError)}): run 'kubectl tikv evict --end --store ${storeId}'`;
      }
    }
    // Once the pod was touched the record stays (its scheduler gone): the next run then knows this store is
    // mid-restart and finishes it instead of failing its gates. An untouched store's record goes.
    const pod = lastObservation?.pod;
    const touched = triggerAttempted || current.triggeredAtMs !== undefined || current.phase === 'returning' || (pod !== undefined && (pod.uid !== current.podUid || pod.terminating));
    if (touched) {
      notes.push('the step record stays so that the next run finishes this store');
      return notes.join('; ');
    }
    try {
      await deps.records.clear(member, storeId, cleanupSignal);
      record = undefined;
    } catch (error) {
      notes.push(`the step record could not be removed (${messageOf(error)}); the next run will clear it`);
    }
    return notes.length > 0 ? notes.join('; ') : 'the step record was removed';
  }
}

/** One observation: the pod from the watch, the store and scheduler from PD, the TiKV's own leader count when it matters. */
async function observe(deps: StepRunnerDeps, target: StoreTarget, record: StepRecord | undefined, signal: AbortSignal): Promise<StoreObservation> {
  const pod = deps.pods.get(target.podName);
  const [store, evictions] = await Promise.all([
    deps.pd.store(target.storeId, { signal }).catch((error: unknown) => {
      if (error instanceof PdStoreNotFoundError) return undefined;
      throw error;
    }),
    deps.pd.evictLeaderState({ signal }),
  ]);
  const original = record === undefined || (pod !== undefined && pod.uid === record.podUid);
  const needsTikv =
    record === undefined ||
    record.phase === 'evicting' ||
    record.phase === 'returning' ||
    (target.eviction === 'operator' && original);
  let tikvLeaderCount: number | null | undefined;
  if (needsTikv && pod && pod.phase === 'Running' && (pod.ready || pod.terminating)) {
    tikvLeaderCount = await deps.tikv.leaderCount(target.podName, { signal }).catch((error: unknown) => {
      // Unreadable for now counts as unknown (never as 0 leaders); refused by RBAC it stays unreadable: say so.
      if (signal.aborted || deniedIn(error)) throw error;
      return null;
    });
  }
  return {
    nowMs: deps.clock.now(),
    record,
    pod: pod ? { uid: pod.uid, ready: pod.ready, terminating: pod.terminating } : undefined,
    store: store ? { stateName: store.stateName, startTimestampSec: store.startTimestampSec, version: store.version, leaderCount: store.leaderCount, lastHeartbeatMs: store.lastHeartbeatMs } : undefined,
    tikvLeaderCount,
    schedulerHasStore: evictions.storeIds.includes(target.storeId),
  };
}

/** A 401/403 from the Kubernetes API anywhere in an error's causes (e.g. a port-forward or a pod lookup behind a PD or TiKV call). */
function deniedIn(error: unknown): KubeError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof KubeError && (cause.status === 401 || cause.status === 403)) return cause;
  }
  return undefined;
}

/** A Kubernetes answer that asking again cannot change (4xx other than 408, 409 and 429). */
function isRefusal(error: KubeError): boolean {
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 409 && error.status !== 429;
}

function resumeSuggestion(command: StepCommand): string {
  if (command === 'upgrade') return 'Run the same upgrade command again to continue where it stopped.';
  return "Run the same command again to continue; 'kubectl tikv status' shows where things are.";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
