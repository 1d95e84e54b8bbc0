/** A `metav1.Condition` as the v2 operator and TidbCluster status carry them. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/**
 * Sets a condition like apimachinery's `meta.SetStatusCondition`: the transition time changes only when the
 * status does. Returns whether anything changed.
 */
export function setCondition(
  conditions: Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string = rfc3339(Date.now()),
): boolean {
  const existing = conditions.find((c) => c.type === next.type);
  if (!existing) {
    conditions.push({ ...next, lastTransitionTime: now });
    return true;
  }
  let changed = false;
  if (existing.status !== next.status) {
    existing.status = next.status;
    existing.lastTransitionTime = now;
    changed = true;
  }
  for (const field of ['reason', 'message', 'observedGeneration'] as const) {
    if (next[field] !== undefined && existing[field] !== next[field]) {
      (existing as unknown as Record<string, unknown>)[field] = next[field];
      changed = true;
    }
  }
  return changed;
}

/** The condition of a type, if present. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * RFC 3339 time with milliseconds. The operators write their own timestamps (annotations, status) with
 * sub-second precision, unlike Go's `time.RFC3339`, so that timeouts scaled by a small timeScale stay exact.
 */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
