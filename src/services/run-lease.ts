import { UserError } from '../errors.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import { KINDS } from '../kube/kinds.ts';
import { KubeError } from '../kube/kube-error.ts';
import type { Kube, KubeObject, ObjectRef } from '../kube/kube.ts';
import type { Clock } from './clock.ts';
import { isTransientFailure } from './transient.ts';

/** Progress of a rolling run, kept on the Lease so that running the same command again continues. */
export interface RunProgress {
  /** `restart-all`, `restart`, `upgrade`. */
  command: string;
  /** For upgrades: the target version; a different target starts over. */
  targetVersion?: string;
  /** Pods finished, in order. */
  donePods: string[];
  startedAtMs: number;
}

type LeaseObject = KubeObject & {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
};

const PROGRESS_ANNOTATION = 'kubectl-tikv.io/progress';
const COMMAND_ANNOTATION = 'kubectl-tikv.io/command';

/** Timing of the Lease; tests shorten it. */
export interface LeaseTiming {
  durationSec: number;
  renewEveryMs: number;
}

/** 30 s lease renewed every 10 s: a killed run's lease is taken over at most 30 s later. */
export const DEFAULT_LEASE_TIMING: LeaseTiming = { durationSec: 30, renewEveryMs: 10_000 };

/** The Lease that makes runs against one cluster exclusive: `kubectl-tikv-<cluster>` in the cluster's namespace. */
export function leaseRef(cluster: DetectedCluster): ObjectRef {
  return { ...KINDS.lease, namespace: cluster.ref.namespace, name: `kubectl-tikv-${cluster.ref.name}`.slice(0, 253) };
}

/** A held Lease: renewed in the background until released; `lost` aborts if another run takes it over. */
export class RunLease {
  readonly lost: AbortSignal;
  /** Progress a previous, interrupted run of the same command left (to resume), if any. */
  readonly previous: RunProgress | undefined;
  /** The run that held it before and was taken over after its lease expired, if any. */
  readonly tookOverFrom: string | undefined;
  readonly #kube: Kube;
  readonly #ref: ObjectRef;
  readonly #clock: Clock;
  readonly #timing: LeaseTiming;
  readonly #lostController = new AbortController();
  readonly #stopRenewing = new AbortController();
  #object: LeaseObject;
  #renewing: Promise<void>;
  #progress: RunProgress | undefined;

  private constructor(kube: Kube, ref: ObjectRef, clock: Clock, timing: LeaseTiming, object: LeaseObject, previous: RunProgress | undefined, tookOverFrom: string | undefined) {
    this.#kube = kube;
    this.#ref = ref;
    this.#clock = clock;
    this.#timing = timing;
    this.#object = object;
    this.previous = previous;
    this.tookOverFrom = tookOverFrom;
    this.lost = this.#lostController.signal;
    this.#renewing = this.#renewLoop();
  }

  /**
   * Takes the cluster's Lease for `holder`, or fails with a UserError naming the run that holds it. A Lease whose
   * holder stopped renewing (killed) is taken over once it expired.
   */
  static async acquire(
    kube: Kube,
    cluster: DetectedCluster,
    options: { holder: string; command: string; clock: Clock; timing?: LeaseTiming; signal?: AbortSignal },
  ): Promise<RunLease> {
    const ref = leaseRef(cluster);
    const timing = options.timing ?? DEFAULT_LEASE_TIMING;
    const { clock, signal } = options;
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await kube.get<LeaseObject>(ref, { signal });
      const now = microTime(clock.now());
      const spec = { holderIdentity: options.holder, leaseDurationSeconds: timing.durationSec, acquireTime: now, renewTime: now };
      if (!existing) {
        try {
          const created = await kube.create<LeaseObject>(
            {
              apiVersion: ref.apiVersion,
              kind: ref.kind,
              metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': 'kubectl-tikv' }, annotations: { [COMMAND_ANNOTATION]: options.command } },
              spec: { ...spec, leaseTransitions: 0 },
            },
            { signal },
          );
          return new RunLease(kube, ref, clock, timing, created, undefined, undefined);
        } catch (error) {
          if (error instanceof KubeError && error.status === 409) continue; // another run created it first: look again
          throw error;
        }
      }
      const held = heldByAnother(existing, cluster, ref, options.holder, clock, timing);
      if (held) throw held;
      const holder = existing.spec?.holderIdentity ?? '';
      const previous = decodeProgress(existing.metadata.annotations?.[PROGRESS_ANNOTATION]);
      const takeOver: LeaseObject = {
        ...existing,
        metadata: { ...existing.metadata, annotations: { ...(existing.metadata.annotations ?? {}), [COMMAND_ANNOTATION]: options.command } },
        spec: { ...spec, leaseTransitions: (existing.spec?.leaseTransitions ?? 0) + 1 },
      };
      try {
        const replaced = await kube.replace<LeaseObject>(takeOver, { signal });
        return new RunLease(kube, ref, clock, timing, replaced, previous, holder !== '' && holder !== options.holder ? holder : undefined);
      } catch (error) {
        if (error instanceof KubeError && error.status === 409) continue; // someone else took it first: look again
        throw error;
      }
    }
    throw new UserError(`could not take the Lease ${ref.name}: other runs keep changing it`, { suggestions: ['Check for other kubectl-tikv runs against this cluster.'] });
  }

  /**
   * Fails, as `acquire` would, when another live run holds the cluster's Lease; changes nothing. For checks that come
   * before the Lease is taken (an upgrade's gates), so that a second run names the first instead of failing on the
   * state the first one is causing.
   */
  static async assertFree(kube: Kube, cluster: DetectedCluster, options: { holder: string; clock: Clock; timing?: LeaseTiming; signal?: AbortSignal }): Promise<void> {
    const ref = leaseRef(cluster);
    const existing = await kube.get<LeaseObject>(ref, { signal: options.signal });
    const held = existing && heldByAnother(existing, cluster, ref, options.holder, options.clock, options.timing ?? DEFAULT_LEASE_TIMING);
    if (held) throw held;
  }

  /**
   * Deletes the cluster's Lease when no live run holds it (released, or expired because its run was killed): for a
   * command that finds nothing left to do, so that no stale holder lingers. Best effort; changes nothing otherwise.
   */
  static async clearStale(kube: Kube, cluster: DetectedCluster, options: { holder: string; clock: Clock; timing?: LeaseTiming; signal?: AbortSignal }): Promise<void> {
    const ref = leaseRef(cluster);
    const existing = await kube.get<LeaseObject>(ref, { signal: options.signal }).catch(() => undefined);
    if (!existing || heldByAnother(existing, cluster, ref, options.holder, options.clock, options.timing ?? DEFAULT_LEASE_TIMING)) return;
    await kube.delete(ref, { uid: existing.metadata.uid, signal: options.signal }).catch(() => undefined);
  }

  /** Records progress on the Lease (pods done so far), so an interrupted run can be resumed. */
  async saveProgress(progress: RunProgress, signal?: AbortSignal): Promise<void> {
    this.#progress = progress;
    try {
      await this.#write({ [PROGRESS_ANNOTATION]: JSON.stringify(progress) }, signal);
    } catch (error) {
      // A passing API failure must not stop the run: the renewal writes the same progress at its next beat, and
      // gives the Lease up (aborting `lost`) if the API server stays unusable for the Lease's duration.
      if (signal?.aborted || this.lost.aborted || !isTransientFailure(error)) throw error;
    }
  }

  /**
   * Stops renewing and gives the Lease up: deleted when the run completed; otherwise released with its progress
   * kept, so that the same command continues where this one stopped.
   */
  async release(options: { completed: boolean }): Promise<void> {
    this.#stopRenewing.abort();
    await this.#renewing;
    if (this.lost.aborted) return;
    const signal = AbortSignal.timeout(10_000);
    if (options.completed) {
      const deleted = await this.#kube.delete(this.#ref, { uid: this.#object.metadata.uid, signal }).then(
        () => true,
        () => false,
      );
      if (deleted) return;
      // Not deleted (no `delete` on leases, an API hiccup): release it at least, or the next run would wait for it
      // to expire. Its progress is that of a completed run, which the next run starts over from.
      await this.#write({ [PROGRESS_ANNOTATION]: '' }, signal, { holderIdentity: '' }).catch(() => undefined);
      return;
    }
    const released = await this.#write({}, signal, { holderIdentity: '' }).then(
      () => true,
      () => false,
    );
    // Not releasable (no `update` on leases): deleting it loses the progress to resume from, but a held Lease would
    // refuse the next run until it expired.
    if (!released) await this.#kube.delete(this.#ref, { uid: this.#object.metadata.uid, signal }).catch(() => undefined);
  }

  async #write(annotations: Record<string, string>, signal?: AbortSignal, spec: Record<string, unknown> = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const next: LeaseObject = {
        ...this.#object,
        metadata: { ...this.#object.metadata, annotations: { ...(this.#object.metadata.annotations ?? {}), ...annotations } },
        spec: { ...this.#object.spec, renewTime: microTime(this.#clock.now()), ...spec },
      };
      try {
        this.#object = await this.#kube.replace(next, { signal });
        return;
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 409) || attempt >= 2) throw error;
        const current = await this.#kube.get<LeaseObject>(this.#ref, { signal });
        if (!current || current.spec?.holderIdentity !== this.#object.spec?.holderIdentity) {
          this.#lostController.abort(new UserError(`lost the Lease ${this.#ref.name} to another run (${current?.spec?.holderIdentity ?? 'deleted'})`));
          throw this.lost.reason;
        }
        this.#object = current;
      }
    }
  }

  async #renewLoop(): Promise<void> {
    const stop = this.#stopRenewing.signal;
    let failingSinceMs: number | undefined;
    while (!stop.aborted) {
      try {
        await this.#clock.sleep(this.#timing.renewEveryMs, stop);
      } catch {
        return;
      }
      try {
        await this.#write(this.#progress ? { [PROGRESS_ANNOTATION]: JSON.stringify(this.#progress) } : {}, stop);
        failingSinceMs = undefined;
      } catch (error) {
        if (stop.aborted || this.lost.aborted) return;
        failingSinceMs ??= this.#clock.now();
        // Past the lease's duration another run may take it over: stop acting rather than run side by side.
        if (this.#clock.now() - failingSinceMs >= this.#timing.durationSec * 1000) {
          this.#lostController.abort(new UserError(`could not renew the Lease ${this.#ref.name} for ${this.#timing.durationSec}s: ${error instanceof Error ? error.message : String(error)}`));
          return;
        }
      }
    }
  }
}

/** The error naming the live run that holds the Lease, or undefined when it is free, ours, or expired. */
function heldByAnother(existing: LeaseObject, cluster: DetectedCluster, ref: ObjectRef, self: string, clock: Clock, timing: LeaseTiming): UserError | undefined {
  const holder = existing.spec?.holderIdentity ?? '';
  const renewedMs = Date.parse(existing.spec?.renewTime ?? existing.spec?.acquireTime ?? '') || 0;
  const expiresMs = renewedMs + (existing.spec?.leaseDurationSeconds ?? timing.durationSec) * 1000;
  if (holder === '' || holder === self || clock.now() >= expiresMs) return undefined;
  const command = existing.metadata.annotations?.[COMMAND_ANNOTATION];
  return new UserError(`another kubectl-tikv run is working on cluster ${cluster.ref.name}: ${holder}${command ? ` (${command})` : ''}, renewed ${Math.max(0, Math.round((clock.now() - renewedMs) / 1000))}s ago`, {
    suggestions: [
      'Wait for it to finish. If that run was killed, its Lease expires within ' + `${Math.ceil((expiresMs - clock.now()) / 1000)}s; run this command again then.`,
      `'kubectl get lease ${ref.name} -n ${ref.namespace} -o yaml' shows the holder.`,
    ],
  });
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function decodeProgress(text: string | undefined): RunProgress | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as RunProgress;
    if (typeof value.command === 'string' && Array.isArray(value.donePods) && value.donePods.every((p) => typeof p === 'string')) return value;
  } catch {
    // An unreadable progress annotation is no progress: the run starts over, which is safe.
  }
  return undefined;
}
