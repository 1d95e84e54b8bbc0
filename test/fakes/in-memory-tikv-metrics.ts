import { TikvMetricsConnectionError } from '../../src/tikv/tikv-metrics-errors.ts';
import type { TikvMetrics } from '../../src/tikv/tikv-metrics.ts';
import { METRICS_PATH } from '../../src/tikv/undici-tikv-metrics.ts';
import type { InMemoryPd } from './in-memory-pd.ts';

/**
 * An in-memory TikvMetrics for service tests. A pod's leader count is, in order: the value a test set for it, else
 * (when linked to an InMemoryPd) the leader count of the store whose address is on that pod — the TiKV's own truth,
 * read without counting as a PD read — else the read fails as an unreachable pod would. Failures can be injected.
 *
 * Reading metrics is not a PD scheduling round (only PD reads and `advance()` move leaders), so within one poll the
 * two counts agree. PD's count lagging behind the TiKV's is played with `set()` / `InMemoryPd.updateStore()`: e.g.
 * after a PD leader change PD says 0 (`pd.updateStore(id, { leaderCount: 0 })`) while the pod says 37
 * (`tikv.set(pod, 37)`).
 */
export class InMemoryTikvMetrics implements TikvMetrics {
  /** Pods read, in order. */
  readonly reads: string[] = [];
  readonly #counts = new Map<string, number>();
  readonly #pd: InMemoryPd | undefined;
  readonly #faults = new Map<string, { fault: Error | 'stall'; remaining: number }[]>();

  constructor(options: { pd?: InMemoryPd; leaderCounts?: Record<string, number> } = {}) {
    this.#pd = options.pd;
    for (const [podName, count] of Object.entries(options.leaderCounts ?? {})) this.#counts.set(podName, count);
  }

  async leaderCount(podName: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    options.signal?.throwIfAborted();
    this.reads.push(podName);
    const fault = this.#takeFault(podName);
    if (fault === 'stall') {
      await new Promise<never>((_resolve, reject) => {
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
      });
    } else if (fault !== undefined) {
      throw fault;
    }
    const set = this.#counts.get(podName);
    if (set !== undefined) return set;
    const fromPd = this.#fromPd(podName);
    if (fromPd !== undefined) return fromPd;
    throw InMemoryTikvMetrics.unreachable(podName);
  }

  /** The pod reports this count from now on (until `unset`), whatever PD says. */
  set(podName: string, leaderCount: number): void {
    this.#counts.set(podName, leaderCount);
  }

  /** The pod reports its store's count from the linked PD again. */
  unset(podName: string): void {
    this.#counts.delete(podName);
  }

  /** The next `times` reads of the pod (default 1) fail with `fault`, or never answer until aborted (`'stall'`). */
  inject(podName: string, fault: Error | 'stall', times = 1): void {
    const list = this.#faults.get(podName) ?? [];
    list.push({ fault, remaining: times });
    this.#faults.set(podName, list);
  }

  /** The error the real reader raises when the pod's status port cannot be reached. */
  static unreachable(podName: string): TikvMetricsConnectionError {
    return new TikvMetricsConnectionError(
      { podName, path: METRICS_PATH, target: `in-memory TiKV ${podName}` },
      Object.assign(new Error(`connect ECONNREFUSED (no TiKV running in pod ${podName})`), { code: 'ECONNREFUSED' }),
    );
  }

  #takeFault(podName: string): Error | 'stall' | undefined {
    const entry = this.#faults.get(podName)?.find((candidate) => candidate.remaining > 0);
    if (!entry) return undefined;
    entry.remaining--;
    return entry.fault;
  }

  #fromPd(podName: string): number | undefined {
    if (!this.#pd) return undefined;
    for (const store of this.#pd.peekStores()) {
      if (store.address.startsWith(`${podName}.`) && store.stateName !== 'Tombstone') {
        return store.stateName === 'Up' ? store.leaderCount : undefined;
      }
    }
    return undefined;
  }
}
