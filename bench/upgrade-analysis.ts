/**
 * Reads one rolling upgrade out of the simulator's History (the ground truth): for every store, when each condition
 * the tool waits for became true and when the tool acted on it, and what the tool asked of Kubernetes, PD and TiKV
 * while it waited. Pure: entries in, numbers out.
 *
 * Per store (in the order the tool took them), with `→` a reaction of the tool and `⇒` the simulator's own time:
 *   eviction added ⇒ leaders 0 (PD's view and TiKV's truth)   → restart triggered (partition/instance/pod)
 *   restart triggered ⇒ pod Ready, store Up, heartbeat after the new start second  → evict-leader scheduler removed
 *   scheduler removed ⇒ leaders back (the tool's rule, `leaderReturnTarget`)        → next store's eviction added
 * The ⇒ phases are the upgrade's inherent time: what it would take if the tool reacted at once and had no cost of
 * its own. Everything else in the CLI's wall time is the tool's: its reaction lags, its start-up (connect, detect,
 * plan, gates, Lease) before the first eviction, and its finish (verification, exit) after the last store.
 */
import { leaderReturnTarget } from '../src/core/store-step.ts';
import type { HistoryEntry } from '../test/sim/history.ts';

/** The three conditions a step waits for. */
export type Condition = 'leaders-drained' | 'store-up' | 'leaders-back';

/** One reaction: the condition became true at `conditionAt`, the tool acted at `actionAt`. */
export interface Reaction {
  storeId: number;
  condition: Condition;
  conditionAt: number;
  actionAt: number;
  /** actionAt − conditionAt, wall ms. */
  lagMs: number;
  /** From the condition to the tool's next observation (its next poll: `GET /pd/api/v1/store/{id}`), wall ms. */
  waitMs: number;
  /**
   * The part of `waitMs` by which that poll came later than the poll interval after the previous one (the tool was
   * busy or its timer fired late): wall time that does not shrink with the time scale.
   */
  latenessMs: number;
  /** From that request to the action (reading, deciding, bookkeeping writes), wall ms. */
  processingMs: number;
}

/** One store's timeline (wall Unix ms) and its simulator-driven phases. */
export interface StoreTimeline {
  storeId: number;
  podName: string | undefined;
  leadersBefore: number;
  leaderTarget: number;
  evictionAddedAt: number;
  leadersDrainedAt: number;
  triggeredAt: number;
  storeUpAt: number;
  /** When the store would have been Up if its first heartbeat had already been in a later second than its start. */
  storeUpUnroundedAt: number;
  schedulerRemovedAt: number;
  /** Undefined when the leaders did not come back before the tool moved on (its leader-return timeout). */
  leadersBackAt: number | undefined;
  /** The next store's eviction (or the CLI's exit for the last store). */
  nextActionAt: number;
}

/** Requests of the tool, by kind, within some windows. */
export interface RequestCounts {
  kube: number;
  pd: number;
  tikv: number;
  /** `KIND METHOD path-pattern` → count. */
  byRoute: Record<string, number>;
}

/** Everything read from one upgrade's History. */
export interface UpgradeAnalysis {
  stores: StoreTimeline[];
  reactions: Reaction[];
  /** Σ of the simulator-driven phases (eviction, restart, leader return), wall ms. */
  inherentMs: number;
  /** The part of `inherentMs` that only the simulator's whole-second start timestamps add (see StoreTimeline). */
  startSecondRoundingMs: number;
  /** CLI start → first eviction. */
  startOverheadMs: number;
  /** Last store's leaders back → CLI exit. */
  finishOverheadMs: number;
  /**
   * Stores whose leaders had not come back when the tool moved on (after its leader-return timeout): no reaction
   * is counted for them, and the time the tool waited is the tool's, not inherent.
   */
  leadersNotBack: number[];
  /** Requests while waiting (inside the simulator-driven phases) and the time waited. */
  waiting: { wallMs: number; polls: number; requests: RequestCounts };
  /** Requests between one store's leaders coming back and the next store's eviction (all stores but the last). */
  betweenStores: { transitions: number; requests: RequestCounts };
}

/** What the analysis needs besides the History. */
export interface UpgradeAnalysisInput {
  entries: readonly HistoryEntry[];
  /** Wall Unix ms the CLI was started and exited. */
  cliStartAt: number;
  cliEndAt: number;
  /** Truth leader count of every store when the run began (before the first entry). */
  leaderCountsAtStart: Record<number, number>;
  /** Kubernetes user of the tool (its kubeconfig), to tell its API requests apart. */
  kubeUser: string;
  /** The tool's poll interval in wall ms (`--poll-interval`). */
  pollIntervalWallMs: number;
}

/** A tool request (Kubernetes API, PD, TiKV status port) as History records it. */
interface ToolRequest {
  at: number;
  kind: 'kube' | 'pd' | 'tikv';
  route: string;
}

/** Reads the run; throws when the History does not show a complete step for a store the tool started. */
export function analyseUpgrade(input: UpgradeAnalysisInput): UpgradeAnalysis {
  const entries = input.entries.filter((e) => e.at >= input.cliStartAt - 1 && e.at <= input.cliEndAt + 1);
  const requests = toolRequests(entries, input.kubeUser);
  const effects = restartEffects(input.entries);
  const stateChanges = entries.filter((e) => e.source === 'pd' && e.type === 'store-state');
  const leaders = new LeaderCounts(input.leaderCountsAtStart, input.entries.filter((e) => e.source === 'bench' && e.type === 'leader-change'));
  const podOfStore = new Map<number, string>();
  for (const e of input.entries) {
    if (e.source === 'tikv' && e.type === 'store-stopped' && typeof e.data.podName === 'string') podOfStore.set(Number(e.data.storeId), e.data.podName);
  }

  const evictions = entries.filter((e) => e.source === 'pd' && e.type === 'scheduler-added' && e.data.name === 'evict-leader-scheduler' && e.data.by === 'http');
  const stores: StoreTimeline[] = [];
  for (const [index, added] of evictions.entries()) {
    const storeId = Number(added.data.storeId);
    const podName = podOfStore.get(storeId);
    const t0 = added.at;
    const leadersBefore = leaders.countBefore(storeId, t0);
    const drainedAt = Math.max(
      firstAt(entries, t0, (e) => e.type === 'store-leaders-zero' && e.data.view === 'pd' && Number(e.data.storeId) === storeId) ?? t0,
      firstAt(entries, t0, (e) => e.type === 'store-leaders-zero' && e.data.view === 'truth' && Number(e.data.storeId) === storeId) ?? t0,
    );
    const triggeredAt = triggerAt(effects, t0, podName);
    if (triggeredAt === undefined) throw new Error(`store ${storeId}: no restart trigger after its eviction began`);
    const registered = firstEntry(entries, triggeredAt, (e) => e.source === 'pd' && e.type === 'store-registered' && Number(e.data.storeId) === storeId);
    if (!registered) throw new Error(`store ${storeId}: never re-registered after the restart trigger`);
    const heartbeat = firstEntry(entries, registered.at, (e) => e.type === 'store-heartbeat-after-start' && Number(e.data.storeId) === storeId);
    const readyAt = firstAt(entries, triggeredAt, (e) => e.source === 'kubelet' && e.type === 'pod-ready' && e.data.pod === podName);
    if (!heartbeat || readyAt === undefined) throw new Error(`store ${storeId}: ${!heartbeat ? 'no heartbeat after its new start second' : `pod ${podName} never became Ready`}`);
    const storeUpAt = upAtOrAfter(stateChanges, storeId, triggeredAt, Math.max(readyAt, heartbeat.at));
    const firstHeartbeatAt = typeof heartbeat.data.firstHeartbeatMs === 'number' ? heartbeat.data.firstHeartbeatMs : heartbeat.at;
    const storeUpUnroundedAt = Math.min(storeUpAt, upAtOrAfter(stateChanges, storeId, triggeredAt, Math.max(readyAt, firstHeartbeatAt)));
    const removedAt = firstAt(entries, storeUpAt, (e) => e.source === 'pd' && e.type === 'scheduler-removed' && Number(e.data.storeId) === storeId && e.data.by === 'http')
      ?? firstAt(entries, triggeredAt, (e) => e.source === 'pd' && e.type === 'scheduler-removed' && Number(e.data.storeId) === storeId && e.data.by === 'http');
    if (removedAt === undefined) throw new Error(`store ${storeId}: its evict-leader scheduler was never removed`);
    const target = leaderReturnTarget(leadersBefore);
    const next = evictions[index + 1];
    const nextActionAt = next ? next.at : input.cliEndAt;
    const reachedAt = leaders.firstReaching(storeId, removedAt, target);
    // The tool moves on without the leaders after its leader-return timeout: that wait is the tool's, not inherent.
    const backAt = reachedAt !== undefined && reachedAt <= nextActionAt ? reachedAt : undefined;
    stores.push({
      storeId,
      podName,
      leadersBefore,
      leaderTarget: target,
      evictionAddedAt: t0,
      leadersDrainedAt: drainedAt,
      triggeredAt,
      storeUpAt,
      storeUpUnroundedAt,
      schedulerRemovedAt: removedAt,
      leadersBackAt: backAt,
      nextActionAt,
    });
  }

  const reactions: Reaction[] = [];
  const polls = requests.filter((r) => r.kind === 'pd' && r.route === 'GET /pd/api/v1/store/{id}');
  const reaction = (storeId: number, condition: Condition, conditionAt: number, actionAt: number): Reaction => {
    const k = lowerBound(polls, conditionAt);
    const observedAt = Math.min(Math.max(polls[k]?.at ?? actionAt, conditionAt), actionAt);
    const waitMs = observedAt - conditionAt;
    // Polls run at a fixed rate (start to start) unless woken early by a pod event, so the observing poll was due one
    // interval after the previous one; whatever it came later than that is the tool's own delay.
    const dueAt = k > 0 ? polls[k - 1].at + input.pollIntervalWallMs : observedAt;
    const latenessMs = Math.min(waitMs, Math.max(0, observedAt - Math.max(dueAt, conditionAt)));
    return { storeId, condition, conditionAt, actionAt, lagMs: actionAt - conditionAt, waitMs, latenessMs, processingMs: actionAt - observedAt };
  };
  for (const [index, s] of stores.entries()) {
    reactions.push(reaction(s.storeId, 'leaders-drained', s.leadersDrainedAt, s.triggeredAt));
    reactions.push(reaction(s.storeId, 'store-up', s.storeUpAt, s.schedulerRemovedAt));
    if (index < stores.length - 1 && s.leadersBackAt !== undefined) reactions.push(reaction(s.storeId, 'leaders-back', s.leadersBackAt, s.nextActionAt));
  }

  let inherentMs = 0;
  let roundingMs = 0;
  const waitWindows: [number, number][] = [];
  const betweenWindows: [number, number][] = [];
  const leadersNotBack: number[] = [];
  for (const [index, s] of stores.entries()) {
    const backAt = s.leadersBackAt ?? s.schedulerRemovedAt;
    if (s.leadersBackAt === undefined) leadersNotBack.push(s.storeId);
    inherentMs += s.leadersDrainedAt - s.evictionAddedAt + (s.storeUpAt - s.triggeredAt) + (backAt - s.schedulerRemovedAt);
    roundingMs += s.storeUpAt - s.storeUpUnroundedAt;
    waitWindows.push([s.evictionAddedAt, s.leadersDrainedAt], [s.triggeredAt, s.storeUpAt]);
    if (s.leadersBackAt !== undefined) waitWindows.push([s.schedulerRemovedAt, s.leadersBackAt]);
    if (index < stores.length - 1 && s.leadersBackAt !== undefined) betweenWindows.push([s.leadersBackAt, s.nextActionAt]);
  }
  const waitingRequests = countRequests(requests, waitWindows);
  const pollsWaiting = polls.filter((r) => inWindows(r.at, waitWindows)).length;
  return {
    stores,
    reactions,
    inherentMs,
    startSecondRoundingMs: roundingMs,
    startOverheadMs: stores.length ? stores[0].evictionAddedAt - input.cliStartAt : input.cliEndAt - input.cliStartAt,
    finishOverheadMs: stores.length ? input.cliEndAt - (stores[stores.length - 1].leadersBackAt ?? input.cliEndAt) : 0,
    leadersNotBack,
    waiting: { wallMs: waitWindows.reduce((sum, [a, b]) => sum + (b - a), 0), polls: pollsWaiting, requests: waitingRequests },
    betweenStores: { transitions: betweenWindows.length, requests: countRequests(requests, betweenWindows) },
  };
}

/** The tool's requests, oldest first: its Kubernetes API calls (by user), PD's and TiKV's (no PD-internal proxying). */
function toolRequests(entries: readonly HistoryEntry[], kubeUser: string): ToolRequest[] {
  const out: ToolRequest[] = [];
  for (const e of entries) {
    if (e.source === 'kube' && e.type === 'kube-request' && e.data.user === kubeUser) {
      const resource = [e.data.resource, e.data.subresource].filter(Boolean).join('/') || String(e.data.path);
      out.push({ at: e.at, kind: 'kube', route: `${String(e.data.verb)} ${resource}` });
    } else if (e.source === 'pd' && e.type === 'pd-request' && !e.data.redirectedFrom) {
      out.push({ at: e.at, kind: 'pd', route: `${String(e.data.method)} ${routePattern(String(e.data.path))}` });
    } else if (e.source === 'tikv' && e.type === 'tikv-request') {
      out.push({ at: e.at, kind: 'tikv', route: `${String(e.data.method)} ${routePattern(String(e.data.path))}` });
    }
  }
  return out;
}

/** `/pd/api/v1/store/7?x` → `/pd/api/v1/store/{id}` (API versions kept). */
export function routePattern(path: string): string {
  return path.split('?')[0].replace(/\/\d+(?=\/|$)/g, '/{id}').replace(/(evict-leader-scheduler)-\d+/, '$1-{id}');
}

function countRequests(requests: readonly ToolRequest[], windows: readonly [number, number][]): RequestCounts {
  const counts: RequestCounts = { kube: 0, pd: 0, tikv: 0, byRoute: {} };
  for (const r of requests) {
    if (!inWindows(r.at, windows)) continue;
    counts[r.kind]++;
    const key = `${r.kind} ${r.route}`;
    counts.byRoute[key] = (counts.byRoute[key] ?? 0) + 1;
  }
  return counts;
}

/** `at` lies strictly inside one of the windows (in time order, not overlapping). */
function inWindows(at: number, windows: readonly [number, number][]): boolean {
  let lo = 0;
  let hi = windows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (windows[mid][0] < at) lo = mid + 1;
    else hi = mid;
  }
  // windows[lo - 1] is the last one starting before `at`.
  return lo > 0 && at < windows[lo - 1][1];
}

/** Index of the first entry at or after `at` (entries are in time order, as History appends them). */
function lowerBound<T extends { at: number }>(items: readonly T[], at: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstEntry(entries: readonly HistoryEntry[], from: number, match: (e: HistoryEntry) => boolean): HistoryEntry | undefined {
  for (let i = lowerBound(entries, from); i < entries.length; i++) if (match(entries[i])) return entries[i];
  return undefined;
}

function firstAt(entries: readonly HistoryEntry[], from: number, match: (e: HistoryEntry) => boolean): number | undefined {
  return firstEntry(entries, from, match)?.at;
}

/**
 * The moments a restart can take effect: a spec change (generation bump) of a StatefulSet or TiKV instance, or a
 * pod deletion. Record annotations and status writes do not bump generation.
 */
function restartEffects(entries: readonly HistoryEntry[]): { at: number; pod?: string }[] {
  const generations = new Map<string, number>();
  const effects: { at: number; pod?: string }[] = [];
  for (const e of entries) {
    if (e.source !== 'kube') continue;
    if (e.type === 'object-created' || e.type === 'object-updated') {
      if (typeof e.data.generation !== 'number' || e.data.kind === 'Pod') continue;
      const key = `${String(e.data.kind)}/${String(e.data.namespace)}/${String(e.data.name)}`;
      const before = generations.get(key);
      generations.set(key, e.data.generation);
      if (e.type === 'object-updated' && before !== undefined && e.data.generation > before) effects.push({ at: e.at });
    } else if (e.type === 'object-deleting' && e.data.kind === 'Pod') {
      effects.push({ at: e.at, pod: String(e.data.name) });
    }
  }
  return effects;
}

/** The first restart effect for the store's pod at or after `from`. */
function triggerAt(effects: readonly { at: number; pod?: string }[], from: number, podName: string | undefined): number | undefined {
  for (let i = lowerBound(effects, from); i < effects.length; i++) {
    if (effects[i].pod === undefined || effects[i].pod === podName) return effects[i].at;
  }
  return undefined;
}

/** The first moment ≥ `from` at which PD calls the store Up (it was Up before `since`; state changes from then on). */
function upAtOrAfter(stateChanges: readonly HistoryEntry[], storeId: number, since: number, from: number): number {
  let state = 'Up';
  for (let i = lowerBound(stateChanges, since); i < stateChanges.length; i++) {
    const e = stateChanges[i];
    if (Number(e.data.storeId) !== storeId) continue;
    if (e.at > from && state === 'Up') return from;
    state = String(e.data.to);
    if (e.at >= from && state === 'Up') return e.at;
  }
  return from;
}

/** Truth leader counts over time, from the `bench` 'leader-change' entries (each carries both counts after it). */
class LeaderCounts {
  readonly #start: Record<number, number>;
  /** storeId → [at, count] in order. */
  readonly #series = new Map<number, [number, number][]>();

  constructor(start: Record<number, number>, changes: readonly HistoryEntry[]) {
    this.#start = start;
    const push = (storeId: number, at: number, count: number) => {
      let series = this.#series.get(storeId);
      if (!series) this.#series.set(storeId, (series = []));
      series.push([at, count]);
    };
    for (const e of changes) {
      if (e.data.from && typeof e.data.fromCount === 'number') push(Number(e.data.from), e.at, e.data.fromCount);
      if (e.data.to && typeof e.data.toCount === 'number') push(Number(e.data.to), e.at, e.data.toCount);
    }
  }

  /** The count just before `at`. */
  countBefore(storeId: number, at: number): number {
    let count = this.#start[storeId] ?? 0;
    for (const [when, value] of this.#series.get(storeId) ?? []) {
      if (when >= at) break;
      count = value;
    }
    return count;
  }

  /** The first moment ≥ `from` at which the store holds at least `target` leaders. */
  firstReaching(storeId: number, from: number, target: number): number | undefined {
    if (this.countBefore(storeId, from + 1) >= target) return from;
    for (const [when, value] of this.#series.get(storeId) ?? []) {
      if (when >= from && value >= target) return when;
    }
    return undefined;
  }
}
