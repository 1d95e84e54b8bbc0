/**
 * The StatefulSet controller (apps/v1), as kube-controller-manager runs it:
 *
 * - ordinal pods `<sts>-<i>` owned by the set, with labels `controller-revision-hash`,
 *   `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`, hostname = pod name and subdomain =
 *   `spec.serviceName`;
 * - revisions: a ControllerRevision `<sts>-<hash>` per pod template (hash as the real controller encodes it);
 * - `volumeClaimTemplates`: a Bound PVC `<claim>-<pod>` per pod (retained, as the default retention policy),
 *   mounted into the pod as a volume;
 * - `OrderedReady` (create in order, each after the previous is Running and Ready; scale down from the highest
 *   ordinal, one at a time) and `Parallel`;
 * - `RollingUpdate`: once every pod exists and is healthy, the highest ordinal ≥ `partition` not at the update
 *   revision is deleted and recreated, one at a time, waiting for each updated pod to be Running and Ready;
 *   `OnDelete`: pods are only replaced when someone deletes them (recreated at the update revision);
 * - status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas, currentRevision,
 *   updateRevision, observedGeneration, collisionCount.
 *
 * History (source 'statefulset'): 'sts-pod-created' and 'sts-pod-deleted' (reason 'rolling-update', 'scale-down',
 * 'failed') with namespace, statefulset, pod and revision.
 *
 * ```ts
 * const sts = new StatefulSetController({ store, history });
 * sts.start();   …   sts.stop();
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import type { ObjectStore } from './object-store.ts';
import { StatusError } from './kube-status.ts';
import { WorkQueue } from './work-queue.ts';
import { deepEqual } from './patch.ts';

const StatefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const Pod = { apiVersion: 'v1', kind: 'Pod' };
const ControllerRevision = { apiVersion: 'apps/v1', kind: 'ControllerRevision' };
const PersistentVolumeClaim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };

type Obj = Record<string, unknown>;

interface StatefulSetSpec {
  replicas?: number;
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Obj };
  volumeClaimTemplates?: { metadata?: { name?: string; labels?: Record<string, string> }; spec?: Obj }[];
}

const safeChars = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-32a over the template JSON, encoded like k8s.io/apimachinery's rand.SafeEncodeString of its decimal value. */
export function templateHash(template: unknown, collisionCount = 0): string {
  let hash = 0x811c9dc5;
  const text = JSON.stringify(template) + (collisionCount ? String(collisionCount) : '');
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)].map((d) => safeChars[d.charCodeAt(0) % safeChars.length]).join('');
}

function ordinalOf(setName: string, podName: string): number | undefined {
  const prefix = `${setName}-`;
  if (!podName.startsWith(prefix)) return undefined;
  const rest = podName.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

function isReady(pod: KubeObject): boolean {
  const status = (pod.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  return status.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function isTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

function isFailed(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Failed' || phase === 'Succeeded';
}

function revisionOf(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.['controller-revision-hash'];
}

/** Runs StatefulSets in the store. See the module comment. */
export class StatefulSetController {
  readonly #store: ObjectStore;
  readonly #history: History | undefined;
  readonly #queue: WorkQueue;
  readonly #stops: (() => void)[] = [];

  constructor(options: { store: ObjectStore; history?: History }) {
    this.#store = options.store;
    this.#history = options.history;
    this.#queue = new WorkQueue((key) => this.#reconcile(key), (key, error) => {
      if (error instanceof StatusError && (error.code === 409 || error.code === 404)) {
        this.#queue.add(key);
        return;
      }
      process.emitWarning(`simulated StatefulSet controller: ${key}: ${(error as Error)?.stack ?? String(error)}`);
    });
  }

  start(): void {
    const sets = this.#store.list<KubeObject>(StatefulSet);
    for (const s of sets.items) this.#queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    this.#stops.push(this.#store.watch(StatefulSet, { resourceVersion: sets.resourceVersion }, (e) => this.#queue.add(`${e.object.metadata.namespace}/${e.object.metadata.name}`)));
    const pods = this.#store.list<KubeObject>(Pod);
    this.#stops.push(this.#store.watch(Pod, { resourceVersion: pods.resourceVersion }, (e) => {
      const owner = e.object.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'StatefulSet');
      if (owner) this.#queue.add(`${e.object.metadata.namespace}/${owner.name}`);
    }));
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
    this.#queue.stop();
  }

  /** Resolves when no reconcile is queued or running. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  #record(type: string, data: Obj): void {
    this.#history?.record('statefulset', type, data);
    const set = this.#store.get<KubeObject>(StatefulSet, String(data.namespace), String(data.statefulset));
    if (!set) return;
    if (type === 'sts-pod-created') this.#event(set, 'SuccessfulCreate', `create Pod ${data.pod} in StatefulSet ${set.metadata.name} successful`);
    if (type === 'sts-pod-deleted') this.#event(set, 'SuccessfulDelete', `delete Pod ${data.pod} in StatefulSet ${set.metadata.name} successful`);
  }

  /** A core/v1 Event about the StatefulSet, as the controller's recorder writes it (`kubectl describe sts`). */
  #event(set: KubeObject, reason: string, message: string): void {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      this.#store.create({
        apiVersion: 'v1', kind: 'Event',
        metadata: { name: `${set.metadata.name}.${randomUUID().replace(/-/g, '').slice(0, 16)}`, namespace: set.metadata.namespace },
        involvedObject: { kind: 'StatefulSet', namespace: set.metadata.namespace, name: set.metadata.name, uid: set.metadata.uid, apiVersion: 'apps/v1', resourceVersion: set.metadata.resourceVersion },
        reason, message, source: { component: 'statefulset-controller' }, firstTimestamp: now, lastTimestamp: now, count: 1, type: 'Normal',
        eventTime: null, reportingComponent: 'statefulset-controller', reportingInstance: '',
      });
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
    }
  }

  #reconcile(key: string): void {
    const [namespace, name] = key.split('/');
    const set = this.#store.get<KubeObject>(StatefulSet, namespace, name);
    if (!set || isTerminating(set)) return;
    const spec = (set.spec ?? {}) as StatefulSetSpec;
    const replicas = spec.replicas ?? 1;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
    const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const status = (set.status ?? {}) as Obj;

    const updateRevision = this.#ensureRevision(set, spec);
    const currentRevision = typeof status.currentRevision === 'string' && status.currentRevision !== '' ? status.currentRevision : updateRevision;
    const pods = this.#store.list<KubeObject>(Pod, { namespace }).items.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid));
    const byOrdinal = new Map<number, KubeObject>();
    for (const p of pods) {
      const ordinal = ordinalOf(name, p.metadata.name);
      if (ordinal !== undefined) byOrdinal.set(ordinal, p);
    }

    this.#act(set, spec, { replicas, parallel, strategy, partition, updateRevision, currentRevision, byOrdinal });

    // Status from what exists now.
    const now = this.#store.list<KubeObject>(Pod, { namespace }).items.filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid));
    let ready = 0;
    let current = 0;
    let updated = 0;
    for (const p of now) {
      if (isReady(p) && !isTerminating(p)) ready++;
      if (isTerminating(p)) continue;
      if (revisionOf(p) === currentRevision) current++;
      if (revisionOf(p) === updateRevision) updated++;
    }
    let nextCurrentRevision = currentRevision;
    if (updated === now.length && ready === now.length && now.length === replicas) {
      nextCurrentRevision = updateRevision;
      current = updated;
    }
    const next: Obj = {
      observedGeneration: set.metadata.generation,
      replicas: now.length,
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      ...(current > 0 ? { currentReplicas: current } : {}),
      ...(updated > 0 ? { updatedReplicas: updated } : {}),
      currentRevision: nextCurrentRevision,
      updateRevision,
      collisionCount: 0,
      availableReplicas: ready,
      ...(status.conditions ? { conditions: status.conditions } : {}),
    };
    if (!deepEqual(next, status)) {
      set.status = next;
      this.#store.update(set, { subresource: 'status' });
    }
  }

  #act(set: KubeObject, spec: StatefulSetSpec, s: {
    replicas: number; parallel: boolean; strategy: string; partition: number; updateRevision: string; currentRevision: string; byOrdinal: Map<number, KubeObject>;
  }): void {
    const namespace = set.metadata.namespace!;
    const name = set.metadata.name;
    // Replace failed pods first (they are deleted and recreated).
    for (const [ordinal, pod] of s.byOrdinal) {
      if (ordinal < s.replicas && isFailed(pod) && !isTerminating(pod)) {
        this.#store.delete(Pod, namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
        this.#record('sts-pod-deleted', { namespace, statefulset: name, pod: pod.metadata.name, revision: revisionOf(pod), reason: 'failed' });
        s.byOrdinal.delete(ordinal);
      }
    }
    // Create missing pods (in order unless Parallel), waiting for health between them.
    for (let ordinal = 0; ordinal < s.replicas; ordinal++) {
      const pod = s.byOrdinal.get(ordinal);
      if (!pod) {
        const useCurrent = s.strategy === 'RollingUpdate' && ordinal < s.partition;
        const revision = useCurrent ? s.currentRevision : s.updateRevision;
        this.#createPod(set, spec, ordinal, revision);
        if (!s.parallel) return;
        continue;
      }
      if (!s.parallel && (isTerminating(pod) || !isReady(pod))) return;
    }
    // Scale down: highest ordinal first.
    const condemned = [...s.byOrdinal.entries()].filter(([o]) => o >= s.replicas).sort((a, b) => b[0] - a[0]);
    for (const [, pod] of condemned) {
      if (isTerminating(pod)) {
        if (!s.parallel) return;
        continue;
      }
      this.#store.delete(Pod, namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
      this.#record('sts-pod-deleted', { namespace, statefulset: name, pod: pod.metadata.name, revision: revisionOf(pod), reason: 'scale-down' });
      if (!s.parallel) return;
    }
    if (condemned.length > 0) return;
    if (s.strategy !== 'RollingUpdate') return;
    // Rolling update: every pod must exist; from the highest ordinal down to the partition, replace the first one not
    // at the update revision, and wait on any unhealthy pod on the way.
    for (let ordinal = 0; ordinal < s.replicas; ordinal++) {
      const pod = s.byOrdinal.get(ordinal);
      if (!pod || isTerminating(pod)) return;
    }
    for (let ordinal = s.replicas - 1; ordinal >= s.partition; ordinal--) {
      const pod = s.byOrdinal.get(ordinal)!;
      if (revisionOf(pod) !== s.updateRevision && !isTerminating(pod)) {
        this.#store.delete(Pod, namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
        this.#record('sts-pod-deleted', { namespace, statefulset: name, pod: pod.metadata.name, revision: revisionOf(pod), reason: 'rolling-update' });
        return;
      }
      if (!isReady(pod)) return;
    }
  }

  #ensureRevision(set: KubeObject, spec: StatefulSetSpec): string {
    const hash = templateHash(spec.template ?? {});
    const namespace = set.metadata.namespace!;
    const revisionName = `${set.metadata.name}-${hash}`;
    if (!this.#store.get(ControllerRevision, namespace, revisionName)) {
      const owned = this.#store.list<KubeObject>(ControllerRevision, { namespace }).items.filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid));
      const revision = owned.reduce((max, r) => Math.max(max, Number(r.revision ?? 0)), 0) + 1;
      try {
        this.#store.create({
          ...ControllerRevision,
          metadata: {
            name: revisionName, namespace,
            labels: { ...(spec.template?.metadata?.labels ?? {}), 'controller.kubernetes.io/hash': hash },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true } as NonNullable<KubeObject['metadata']['ownerReferences']>[number]],
          },
          data: { spec: { template: { ...structuredClone(spec.template ?? {}), $patch: 'replace' } } },
          revision,
        });
      } catch (error) {
        if (!(error instanceof StatusError && error.code === 409)) throw error;
      }
    }
    return revisionName;
  }

  #templateOf(set: KubeObject, spec: StatefulSetSpec, revision: string): StatefulSetSpec['template'] {
    const stored = this.#store.get<KubeObject>(ControllerRevision, set.metadata.namespace, revision);
    const template = (stored?.data as { spec?: { template?: Obj } } | undefined)?.spec?.template;
    if (!template) return spec.template;
    const { $patch: _ignored, ...rest } = template;
    return rest as StatefulSetSpec['template'];
  }

  #ensureClaim(set: KubeObject, claim: NonNullable<StatefulSetSpec['volumeClaimTemplates']>[number], name: string, labels: Record<string, string>): void {
    const namespace = set.metadata.namespace!;
    if (this.#store.get(PersistentVolumeClaim, namespace, name)) return;
    const claimSpec = (claim.spec ?? {}) as { resources?: { requests?: { storage?: string } }; accessModes?: string[] };
    this.#store.create({
      ...PersistentVolumeClaim,
      metadata: { name, namespace, labels: { ...labels, ...(claim.metadata?.labels ?? {}) } },
      spec: { volumeMode: 'Filesystem', storageClassName: 'standard', ...structuredClone(claimSpec), volumeName: `pvc-${randomUUID()}` },
    });
    this.#store.patch(PersistentVolumeClaim, namespace, name, {
      status: { phase: 'Bound', accessModes: claimSpec.accessModes ?? ['ReadWriteOnce'], capacity: { storage: claimSpec.resources?.requests?.storage ?? '1Gi' } },
    }, 'merge', { subresource: 'status' });
  }

  #createPod(set: KubeObject, spec: StatefulSetSpec, ordinal: number, revision: string): void {
    const template = this.#templateOf(set, spec, revision) ?? {};
    const podName = `${set.metadata.name}-${ordinal}`;
    const podSpec: Obj = { ...structuredClone(template.spec ?? {}), hostname: podName };
    if (spec.serviceName) podSpec.subdomain = spec.serviceName;
    // volumeClaimTemplates: a PVC `<claim>-<pod>` per template (kept when the pod goes), mounted as a volume.
    const claims = spec.volumeClaimTemplates ?? [];
    if (claims.length > 0) {
      const volumes = (Array.isArray(podSpec.volumes) ? podSpec.volumes : []) as Obj[];
      for (const claim of claims) {
        const claimName = `${claim.metadata?.name}-${podName}`;
        this.#ensureClaim(set, claim, claimName, template.metadata?.labels ?? {});
        if (!volumes.some((v) => v.name === claim.metadata?.name)) volumes.push({ name: claim.metadata?.name, persistentVolumeClaim: { claimName } });
      }
      podSpec.volumes = volumes;
    }
    try {
      this.#store.create({
        ...Pod,
        metadata: {
          name: podName,
          namespace: set.metadata.namespace,
          labels: {
            ...(template.metadata?.labels ?? {}),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': podName,
            'apps.kubernetes.io/pod-index': String(ordinal),
          },
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true } as NonNullable<KubeObject['metadata']['ownerReferences']>[number]],
        },
        spec: podSpec,
      });
      this.#record('sts-pod-created', { namespace: set.metadata.namespace, statefulset: set.metadata.name, pod: podName, revision });
    } catch (error) {
      // A pod of that name still terminating: try again when it is gone (the pod watch re-queues us).
      if (!(error instanceof StatusError && error.code === 409)) throw error;
    }
  }
}
