/**
 * The simulator's record of what happened, in order, with wall-clock times: the ground truth tests assert on
 * ("never two stores unavailable at once", "the pod was deleted only after leaders reached 0") and benchmarks
 * measure reaction lag from (condition became true → the plugin's next request).
 */
export interface HistoryEntry {
  /** Wall-clock Unix ms. */
  at: number;
  /** Which part recorded it: 'pd', 'tikv', 'kube', 'kubelet', 'statefulset', 'tidb-operator-v1', … */
  source: string;
  /** What happened, e.g. 'scheduler-added', 'store-leaders-zero', 'pod-deleted', 'pod-ready', 'store-up'. */
  type: string;
  /** Free-form details: storeId, pod, namespace, counts, the HTTP request line, the user/token … */
  data: Record<string, unknown>;
}

/** Append-only event log shared by every part of one simulated cluster. */
export class History {
  readonly entries: HistoryEntry[] = [];
  readonly #listeners = new Set<(entry: HistoryEntry) => void>();

  record(source: string, type: string, data: Record<string, unknown> = {}): HistoryEntry {
    const entry: HistoryEntry = { at: Date.now(), source, type, data };
    this.entries.push(entry);
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  /** Entries of a type (and optionally a source), in order. */
  ofType(type: string, source?: string): HistoryEntry[] {
    return this.entries.filter((e) => e.type === type && (source === undefined || e.source === source));
  }

  /** Calls `listener` for every later entry; the returned function unsubscribes. */
  subscribe(listener: (entry: HistoryEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first entry (already recorded or later) that matches. */
  waitFor(match: (entry: HistoryEntry) => boolean, signal?: AbortSignal): Promise<HistoryEntry> {
    const found = this.entries.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const unsubscribe = this.subscribe((entry) => {
        if (!match(entry)) return;
        unsubscribe();
        resolve(entry);
      });
      signal?.addEventListener('abort', () => {
        unsubscribe();
        reject(signal.reason);
      }, { once: true });
    });
  }
}
