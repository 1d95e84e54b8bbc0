/**
 * Turns measured runs into the numbers `bench/results.json` and the README report: reaction lags (wall and projected
 * to real pace), the upgrade's wall time over its inherent time, request rates while waiting. Pure.
 *
 * Projection to real pace. The simulator scales every delay by `timeScale`, and the tool's poll interval is scaled
 * the same way, but the tool's own work (HTTP round trips, JSON, deciding, bookkeeping writes, start-up) takes
 * the same wall time at any scale. So a wall measurement at a small time scale exaggerates the tool's share by
 * 1/timeScale. The projection keeps each part in its own unit:
 *   reaction (real) = wait for the next poll / timeScale + the poll's lateness + processing
 *   inherent (real) = (Σ simulator-driven phases − start-second rounding) / timeScale
 *   tool (real)     = Σ on-time waits / timeScale + every other wall ms the tool spent (late polls, processing,
 *                     start-up, finish)
 * A poll is late by whatever it started after the poll interval since the previous one (the tool was busy, or the
 * machine made its timer late); that delay is wall time at any scale.
 * Start-second rounding: the simulator's start timestamps have one-second resolution, as PD's do, and the tool
 * needs a heartbeat from a later second; at real pace the first heartbeat comes 10 s after the start, at a small
 * time scale it can take several more heartbeats to reach the next wall-clock second. That wait exists only in
 * the simulation, so it is taken out of the real-pace inherent time (it stays in the wall measurements).
 */
import type { Condition, Reaction, RequestCounts } from './upgrade-analysis.ts';
import type { UpgradeRun } from './upgrade-run.ts';

/** Median and maximum of a list (undefined when empty). */
export interface Spread {
  count: number;
  median: number | undefined;
  max: number | undefined;
}

/** Reaction lags of one kind of condition. */
export interface ReactionStats {
  /** Wall ms at the benchmark's time scale. */
  wallMs: Spread;
  /** Projected to real pace, ms (wait / timeScale + processing). */
  realMs: Spread;
  /** The processing part alone (wall = real), ms. */
  processingMs: Spread;
}

/** Requests of the tool per real-world second of waiting, and per poll. */
export interface CostStats {
  /** Real-world seconds the tool waited on the simulator (Σ of the inherent phases / timeScale). */
  waitedRealSeconds: number;
  polls: number;
  perRealSecond: { kube: number; pd: number; tikv: number };
  perPoll: { kube: number; pd: number; tikv: number };
  /** Requests while waiting by route (`pd GET /pd/api/v1/store/{id}`), per poll. */
  perPollByRoute: Record<string, number>;
  /** Between two stores (leaders back → next eviction), requests per transition by route. */
  betweenStoresPerTransition: Record<string, number>;
}

/** Everything reported for one upgrade run. */
export interface UpgradeSummary {
  label: string;
  command: 'upgrade' | 'restart';
  stores: number;
  targetVersion: string | undefined;
  pollIntervalRealMs: number;
  timeScale: number;
  wallMs: number;
  cliCpuMs: number | undefined;
  peakRssMiB: number | undefined;
  inherentWallMs: number;
  startSecondRoundingMs: number;
  startOverheadMs: number;
  finishOverheadMs: number;
  /** Stores whose leaders had not come back when the tool moved on (its leader-return timeout). */
  leadersNotBack: number[];
  /** wall / inherent, both at the benchmark's time scale. */
  ratioAtTimeScale: number;
  /** Projected to real pace (see the module comment). */
  projected: {
    inherentSeconds: number;
    toolSeconds: number;
    wallSeconds: number;
    ratio: number;
    perStoreSeconds: number;
    toolPerStoreSeconds: number;
    /** Where the tool's real-pace seconds go (they add up to toolSeconds). */
    toolBreakdownSeconds: {
      /** Waiting for the next poll (on time), scaled to real pace. */
      pollWaits: number;
      /** Polls that came later than their interval (wall). */
      latePolls: number;
      /** From the observing poll to the action, all steps (wall). */
      processing: number;
      /** CLI start → first eviction (wall). */
      startUp: number;
      /** Last store's leaders back → exit (wall). */
      finish: number;
      /** Anything else, e.g. waiting out a leader-return timeout (wall). */
      other: number;
    };
  };
  reactions: Record<Condition | 'all', ReactionStats>;
  /** Every reaction of the run, wall ms (what the statistics are made of). */
  reactionSamples: Omit<Reaction, 'conditionAt' | 'actionAt'>[];
  cost: CostStats;
}

/** Median and max of numbers. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { count: 0, median: undefined, max: undefined };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { count: sorted.length, median, max: sorted[sorted.length - 1] };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** The projected real-pace lag of one reaction, ms: only the wait for a poll that was on time scales. */
export function realLagMs(reaction: Reaction, timeScale: number): number {
  return (reaction.waitMs - reaction.latenessMs) / timeScale + reaction.latenessMs + reaction.processingMs;
}

function reactionStats(reactions: readonly Reaction[], timeScale: number): ReactionStats {
  return {
    wallMs: spread(reactions.map((r) => r.lagMs)),
    realMs: spread(reactions.map((r) => realLagMs(r, timeScale))),
    processingMs: spread(reactions.map((r) => r.processingMs)),
  };
}

function perUnit(counts: RequestCounts, divisor: number): { kube: number; pd: number; tikv: number } {
  const d = divisor > 0 ? divisor : Number.NaN;
  return { kube: counts.kube / d, pd: counts.pd / d, tikv: counts.tikv / d };
}

function routesPer(byRoute: Record<string, number>, divisor: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, count] of Object.entries(byRoute).sort((a, b) => b[1] - a[1])) out[route] = divisor > 0 ? count / divisor : Number.NaN;
  return out;
}

/** The summary of one run. */
export function summarizeUpgrade(label: string, run: UpgradeRun): UpgradeSummary {
  const a = run.analysis;
  const T = run.timeScale;
  // Only the on-time part of each wait scales; a late poll's delay is the tool's wall time like its processing.
  const waitSumMs = a.reactions.reduce((sum, r) => sum + r.waitMs - r.latenessMs, 0);
  const toolWallMs = run.wallMs - a.inherentMs;
  const inherentRealMs = (a.inherentMs - a.startSecondRoundingMs) / T;
  const toolRealMs = waitSumMs / T + (toolWallMs - waitSumMs);
  const byCondition = (condition: Condition) => reactionStats(a.reactions.filter((r) => r.condition === condition), T);
  const waitedRealSeconds = a.waiting.wallMs / T / 1000;
  return {
    label,
    command: run.command,
    stores: run.stores,
    targetVersion: run.targetVersion,
    pollIntervalRealMs: run.pollIntervalRealMs,
    timeScale: T,
    wallMs: run.wallMs,
    cliCpuMs: run.cpuMs,
    peakRssMiB: run.peakRssKiB === undefined ? undefined : run.peakRssKiB / 1024,
    inherentWallMs: a.inherentMs,
    startSecondRoundingMs: a.startSecondRoundingMs,
    startOverheadMs: a.startOverheadMs,
    finishOverheadMs: a.finishOverheadMs,
    leadersNotBack: a.leadersNotBack,
    ratioAtTimeScale: run.wallMs / a.inherentMs,
    projected: {
      inherentSeconds: inherentRealMs / 1000,
      toolSeconds: toolRealMs / 1000,
      wallSeconds: (inherentRealMs + toolRealMs) / 1000,
      ratio: (inherentRealMs + toolRealMs) / inherentRealMs,
      perStoreSeconds: (inherentRealMs + toolRealMs) / 1000 / run.stores,
      toolPerStoreSeconds: toolRealMs / 1000 / run.stores,
      toolBreakdownSeconds: {
        pollWaits: waitSumMs / T / 1000,
        latePolls: sum(a.reactions.map((r) => r.latenessMs)) / 1000,
        processing: sum(a.reactions.map((r) => r.processingMs)) / 1000,
        startUp: a.startOverheadMs / 1000,
        finish: a.finishOverheadMs / 1000,
        other: (toolWallMs - a.startOverheadMs - a.finishOverheadMs - sum(a.reactions.map((r) => r.lagMs))) / 1000,
      },
    },
    reactions: {
      'leaders-drained': byCondition('leaders-drained'),
      'store-up': byCondition('store-up'),
      'leaders-back': byCondition('leaders-back'),
      all: reactionStats(a.reactions, T),
    },
    reactionSamples: a.reactions.map(({ storeId, condition, lagMs, waitMs, latenessMs, processingMs }) => ({ storeId, condition, lagMs, waitMs, latenessMs, processingMs })),
    cost: {
      waitedRealSeconds,
      polls: a.waiting.polls,
      perRealSecond: perUnit(a.waiting.requests, waitedRealSeconds),
      perPoll: perUnit(a.waiting.requests, a.waiting.polls),
      perPollByRoute: routesPer(a.waiting.requests.byRoute, a.waiting.polls),
      betweenStoresPerTransition: routesPer(a.betweenStores.requests.byRoute, a.betweenStores.transitions),
    },
  };
}
