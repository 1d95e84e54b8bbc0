/**
 * The record kubectl-tikv writes into the cluster before it changes anything for a store, so that a run killed
 * outright (kill -9) leaves enough behind for the next run to finish or undo the step.
 */

/** Where a store's step is. */
export type StepPhase = 'evicting' | 'restarting' | 'returning';

/** Which command wrote the record. */
export type StepCommand = 'restart' | 'upgrade' | 'evict';

/** One store's step in progress, stored as JSON in an annotation on the pod's instance / owner. */
export interface StepRecord {
  runId: string;
  command: StepCommand;
  storeId: number;
  podName: string;
  /** The pod's uid before the restart: a different uid means the pod was replaced. */
  podUid: string;
  /** The store's start time before the restart: a different one means TiKV restarted. */
  startTimestampSec: number;
  /** Leaders the store held before eviction (the larger of PD's and TiKV's count). */
  leadersBefore: number;
  phase: StepPhase;
  phaseSinceMs: number;
  /** When the restart was triggered (pod deleted, version patched, partition lowered). */
  triggeredAtMs?: number;
  /**
   * kubectl-tikv owns PD's evict-leader scheduler for this store and must remove it. Written before the scheduler
   * is added, so a run killed in between leaves no unrecorded scheduler.
   */
  ownsScheduler: boolean;
  /** When kubectl-tikv last added the scheduler; a scheduler missing after this was removed behind our back. */
  schedulerAddedAtMs?: number;
  /** Upgrade: the version the store must come back on. */
  expectedVersion?: string;
  /** Who wrote it: `<user>@<host> (pid N)`, for messages. */
  holder?: string;
}

/** Annotation key prefix; the key is `<prefix><storeId>`. */
export const STEP_ANNOTATION_PREFIX = 'kubectl-tikv.io/step-';

/** The annotation key of a store's step record. */
export function stepAnnotationKey(storeId: number): string {
  return `${STEP_ANNOTATION_PREFIX}${storeId}`;
}

/** Serialises a record for an annotation value. */
export function encodeStepRecord(record: StepRecord): string {
  return JSON.stringify(record);
}

/** Every step record found in a set of annotations, and the keys whose value could not be read. */
export function stepRecordsIn(annotations: Record<string, string> | undefined): { records: StepRecord[]; unreadable: string[] } {
  const records: StepRecord[] = [];
  const unreadable: string[] = [];
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(STEP_ANNOTATION_PREFIX)) continue;
    const record = decodeStepRecord(value);
    if (record && String(record.storeId) === key.slice(STEP_ANNOTATION_PREFIX.length)) records.push(record);
    else unreadable.push(key);
  }
  return { records, unreadable };
}

/** Parses an annotation value, or undefined when it is not a well-formed record. */
export function decodeStepRecord(text: string): StepRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const ok =
    typeof r.runId === 'string' &&
    (r.command === 'restart' || r.command === 'upgrade' || r.command === 'evict') &&
    isNumber(r.storeId) &&
    typeof r.podName === 'string' &&
    typeof r.podUid === 'string' &&
    isNumber(r.startTimestampSec) &&
    isNumber(r.leadersBefore) &&
    (r.phase === 'evicting' || r.phase === 'restarting' || r.phase === 'returning') &&
    isNumber(r.phaseSinceMs) &&
    (r.triggeredAtMs === undefined || isNumber(r.triggeredAtMs)) &&
    typeof r.ownsScheduler === 'boolean' &&
    (r.schedulerAddedAtMs === undefined || isNumber(r.schedulerAddedAtMs)) &&
    (r.expectedVersion === undefined || typeof r.expectedVersion === 'string') &&
    (r.holder === undefined || typeof r.holder === 'string');
  return ok ? (r as unknown as StepRecord) : undefined;
}
