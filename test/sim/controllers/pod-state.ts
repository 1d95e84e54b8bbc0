import type { KubeObject } from '../../../src/kube/kube.ts';

interface PodStatusView {
  phase?: string;
  conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  containerStatuses?: { name: string; ready?: boolean; restartCount?: number }[];
}

/** The pod's Ready condition is True (and it is Running). */
export function isPodReady(pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const status = (pod.status ?? {}) as PodStatusView;
  if (status.phase !== 'Running') return false;
  return status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** When the pod last became Ready (Unix ms), or undefined when it is not Ready. */
export function podReadySinceMs(pod: KubeObject | undefined): number | undefined {
  if (!isPodReady(pod)) return undefined;
  const ready = ((pod!.status ?? {}) as PodStatusView).conditions?.find((c) => c.type === 'Ready');
  const at = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(at) ? at : 0;
}

/** `metadata.deletionTimestamp` is set. */
export function isTerminating(object: KubeObject | undefined): boolean {
  return object?.metadata.deletionTimestamp !== undefined;
}

/** The pod's labels (never undefined). */
export function labelsOf(object: KubeObject): Record<string, string> {
  return object.metadata.labels ?? {};
}
