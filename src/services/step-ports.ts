import type { Member, TikvPod } from '../core/model.ts';
import type { StepRecord } from '../core/step-record.ts';

/** The cluster's TiKV pods as a live view (a watch): what a step waits on without polling Kubernetes. */
export interface PodSource {
  /** The pod named `podName` now, or undefined while none exists. */
  get(podName: string): TikvPod | undefined;
  /** Every TiKV pod of the cluster now (for the last check before a restart); absent in sources that cannot list. */
  all?(): TikvPod[];
  /** Resolves on the next change to any watched pod, or after `timeoutMs`; rejects when `signal` aborts. */
  changed(timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** Where step records live (an annotation on the member's instance or owner). */
export interface StepRecordStore {
  /** The record of `storeId` on the member's record holder, if any. */
  read(member: Member, storeId: number, signal?: AbortSignal): Promise<StepRecord | undefined>;
  write(member: Member, record: StepRecord, signal?: AbortSignal): Promise<void>;
  clear(member: Member, storeId: number, signal?: AbortSignal): Promise<void>;
}

/** A Kubernetes Event about a member, so that `kubectl describe` tells the story afterwards. */
export interface StepEvent {
  type: 'Normal' | 'Warning';
  /** CamelCase reason, e.g. `EvictLeaderBegin`. */
  reason: string;
  message: string;
}

/** Records Events; failures to record are reported by the implementation's return value, never thrown. */
export interface EventSink {
  /** Resolves false when the Event could not be recorded (RBAC, API errors): the step goes on regardless. */
  record(member: Member, event: StepEvent): Promise<boolean>;
}

/** The topology's way to restart one member's TiKV (delete the pod, patch the version, lower the partition). */
export interface RestartTrigger {
  /** Starts the restart of `member`, whose current pod has uid `podUid`; idempotent. */
  trigger(member: Member, podUid: string, signal: AbortSignal): Promise<void>;
  /** Words for the task list: `delete pod basic-tikv-1`. */
  describe(member: Member): string;
}
