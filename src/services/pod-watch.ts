import type { TikvPod } from '../core/model.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import { KINDS } from '../kube/kinds.ts';
import type { Kube } from '../kube/kube.ts';
import { isClusterTikvPod, readTikvPod } from '../kube/tikv-pods.ts';
import type { PodSource } from './step-ports.ts';

/**
 * The cluster's TiKV pods kept current by a Kubernetes watch: steps learn about a deleted, recreated or Ready pod
 * the moment the API server says so, without polling. One list at start, then one watch stream.
 */
export class PodWatch implements PodSource {
  readonly #pods = new Map<string, TikvPod>();
  readonly #waiters = new Set<() => void>();
  readonly #controller = new AbortController();
  #failure: unknown;
  #done: Promise<void> = Promise.resolve();

  /** Lists the pods, then follows changes until `stop()` or `signal` aborts. */
  static async start(kube: Kube, cluster: DetectedCluster, signal?: AbortSignal): Promise<PodWatch> {
    const watch = new PodWatch();
    signal?.addEventListener('abort', () => watch.stop(), { once: true });
    const { namespace } = cluster.ref;
    const list = await kube.list(KINDS.pod, { namespace, labelSelector: cluster.tikvPodSelector, signal: watch.#controller.signal });
    for (const object of list.items) {
      const pod = readTikvPod(object);
      if (isClusterTikvPod(cluster, pod)) watch.#pods.set(pod.name, pod);
    }
    watch.#done = watch.#follow(kube, cluster, list.resourceVersion);
    return watch;
  }

  get(podName: string): TikvPod | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    return this.#pods.get(podName);
  }

  /** Every pod the watch knows, by name. */
  all(): TikvPod[] {
    return [...this.#pods.values()];
  }

  changed(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(finish);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.#waiters.delete(finish);
        reject(signal.reason);
      };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      this.#waiters.add(finish);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the watch stream. */
  async stop(): Promise<void> {
    this.#controller.abort(new Error('pod watch stopped'));
    await this.#done.catch(() => undefined);
  }

  async #follow(kube: Kube, cluster: DetectedCluster, resourceVersion: string): Promise<void> {
    const signal = this.#controller.signal;
    try {
      for await (const event of kube.watch(KINDS.pod, { namespace: cluster.ref.namespace, labelSelector: cluster.tikvPodSelector, resourceVersion, signal })) {
        const pod = readTikvPod(event.object);
        if (!isClusterTikvPod(cluster, pod)) continue;
        if (event.type === 'DELETED') {
          // A delete of an older incarnation must not hide a replacement already seen.
          if (this.#pods.get(pod.name)?.uid === pod.uid) this.#pods.delete(pod.name);
        } else {
          this.#pods.set(pod.name, pod);
        }
        for (const wake of [...this.#waiters]) wake();
      }
    } catch (error) {
      if (!signal.aborted) {
        this.#failure = error;
        for (const wake of [...this.#waiters]) wake();
      }
    }
  }
}
