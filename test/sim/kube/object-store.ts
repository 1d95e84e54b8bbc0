/**
 * The simulated cluster's etcd + API-server storage semantics, in process. Operators and built-in controllers
 * (kubelet, StatefulSet, endpoints) read and write it directly; the fake API server (`api-server.ts`) serves it over
 * HTTP to kubectl and @kubernetes/client-node.
 *
 * ```ts
 * const history = new History();
 * const store = new ObjectStore({ history });
 * store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'tidb' }, spec: { containers: [...] } });
 * const stop = store.watch({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'tidb' }, (e) => console.log(e.type));
 * ```
 *
 * Semantics follow the real API server: one global increasing `resourceVersion`; `uid`, `creationTimestamp` and
 * (for workloads and custom resources) `generation` assigned on create; 409 on a stale `resourceVersion`; the
 * `status` subresource split (a main-resource write keeps the stored status, a status write keeps everything else);
 * graceful deletion (pods get `deletionTimestamp` + grace period, objects with finalizers wait for them); owner
 * references garbage-collected (background, foreground or orphan); namespaces must exist (created on demand for
 * in-process callers unless `namespaces: 'strict'`). Everything returned is a deep copy; watch listeners are
 * called asynchronously (a microtask after the write), in order.
 */
import { randomUUID, randomBytes } from 'node:crypto';
import type { KindRef, KubeObject } from '../../../src/kube/kube.ts';
import type { History } from '../history.ts';
import {
  StatusError, alreadyExists, conflict, expired, invalid, notFound, unsupportedMediaType, forbidden,
  type GroupResource, type KubeStatus,
} from './kube-status.ts';
import { ResourceRegistry, joinApiVersion, resourceFromCrd, splitApiVersion, type ResourceDef } from './resources.ts';
import { checkFieldLabels, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, type FieldRequirement, type LabelSelector } from './selectors.ts';
import { deepEqual, jsonPatch, mergePatch, strategicMergeKeys, strategicMergePatch } from './patch.ts';
import { applyCreateDefaults, applyUpdateDefaults, checkMicroTimes, validateCreate, validateMetadata, validatePodUpdate, validateStatefulSetUpdate } from './defaults.ts';

export { StatusError, type KubeStatus };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** A change to one object, as watches deliver it. */
export interface StoreEvent {
  type: WatchEventType;
  object: KubeObject;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface ObjectStoreOptions {
  /** Served kinds; a fresh registry of the built-in kinds by default. */
  resources?: ResourceRegistry;
  /** Where writes are recorded (source 'kube'). */
  history?: History;
  /** How many change events are kept for watches from an old resourceVersion (older ones answer 410). Default 10000. */
  watchHistoryLimit?: number;
  /**
   * 'auto' (default): in-process creates in a missing namespace create the Namespace first; 'strict': they fail
   * with 404 as through the API (the API server always asks for strict).
   */
  namespaces?: 'auto' | 'strict';
}

/** Options of writes that the API server passes through (in-process callers rarely need them). */
export interface WriteOptions {
  /** Validate and compute the result, store nothing (`?dryRun=All`). */
  dryRun?: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: PropagationPolicy;
}

interface LoggedEvent {
  rv: number;
  resourceKey: string;
  type: WatchEventType;
  object: KubeObject;
  /** The object before a MODIFIED event (for selector transitions). */
  old?: KubeObject;
}

interface Watcher {
  resourceKey: string;
  namespace?: string;
  labels: LabelSelector;
  fields: FieldRequirement[];
  apiVersion: string;
  listener: (event: StoreEvent) => void;
  queue: StoreEvent[];
  scheduled: boolean;
  stopped: boolean;
}

function gr(resource: ResourceDef): GroupResource {
  return { group: resource.group, resource: resource.plural };
}

function nowTimestamp(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const generateNameChars = 'bcdfghjklmnpqrstvwxz2456789';

/** In-memory Kubernetes object storage with API-server semantics. See the module comment. */
export class ObjectStore {
  readonly resources: ResourceRegistry;
  readonly #history: History | undefined;
  readonly #watchHistoryLimit: number;
  readonly #namespaces: 'auto' | 'strict';
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #log: LoggedEvent[] = [];
  /** Events with a resourceVersion up to this one are no longer kept. */
  #compactedThrough = 0;
  #rv = 1;
  readonly #watchers = new Set<Watcher>();
  /** Owner uid → how its dependents go (set when the owner's deletion starts). */
  readonly #propagation = new Map<string, PropagationPolicy>();

  constructor(options: ObjectStoreOptions = {}) {
    this.resources = options.resources ?? new ResourceRegistry();
    this.#history = options.history;
    this.#watchHistoryLimit = options.watchHistoryLimit ?? 10000;
    this.#namespaces = options.namespaces ?? 'auto';
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  }

  /** The newest resourceVersion handed out. */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** The oldest resourceVersion a watch can still start from. */
  get oldestWatchableResourceVersion(): number {
    return this.#compactedThrough;
  }

  /** Forgets the kept change events (etcd compaction): watches from an older resourceVersion then get 410. */
  compact(): void {
    if (this.#log.length > 0) this.#compactedThrough = this.#log.at(-1)!.rv;
    this.#log.length = 0;
  }

  // ——— reads ———

  get<T extends KubeObject>(kind: KindRef, namespace: string | undefined, name: string): T | undefined {
    const resource = this.#resolve(kind);
    const found = this.#bucket(resource).get(this.#objectKey(resource, namespace, name));
    return found ? (this.#present(found, kind.apiVersion) as T) : undefined;
  }

  list<T extends KubeObject>(kind: KindRef, options: ListOptions = {}): { items: T[]; resourceVersion: string } {
    const resource = this.#resolve(kind);
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    checkFieldLabels(fields, resource.fieldLabels, `${joinApiVersion(resource.group, kind.apiVersion.split('/').at(-1)!)}, Resource=${resource.plural}`);
    const items: T[] = [];
    const keys = [...this.#bucket(resource).keys()].sort();
    for (const key of keys) {
      const object = this.#bucket(resource).get(key)!;
      if (!this.#matches(object, resource, options.namespace, labels, fields)) continue;
      items.push(this.#present(object, kind.apiVersion) as T);
    }
    return { items, resourceVersion: String(this.#rv) };
  }

  // ——— writes ———

  create<T extends KubeObject>(object: T, options: WriteOptions & { strictNamespace?: boolean } = {}): T {
    const resource = this.#resolve(object);
    const next = structuredClone(object) as KubeObject;
    next.apiVersion = this.#storageApiVersion(resource);
    next.kind = resource.kind;
    next.metadata = { ...(next.metadata ?? {}) } as KubeObject['metadata'];
    const meta = next.metadata;
    if (resource.namespaced) {
      if (!meta.namespace) meta.namespace = 'default';
    } else delete meta.namespace;
    const generateName = (meta as { generateName?: string }).generateName;
    if (!meta.name && generateName) {
      meta.name = generateName + Array.from(randomBytes(5), (b) => generateNameChars[b % generateNameChars.length]).join('');
    }
    checkMicroTimes(resource, next);
    validateCreate(resource, next);
    validateMetadata(resource, next);
    const bucket = this.#bucket(resource);
    const key = this.#objectKey(resource, meta.namespace, meta.name);
    if (bucket.has(key)) throw alreadyExists(gr(resource), meta.name);
    if (resource.namespaced) this.#requireNamespace(resource, meta.namespace!, options.strictNamespace === true || this.#namespaces === 'strict', options.dryRun === true);
    if (resource.group === 'apiextensions.k8s.io' && resource.kind === 'CustomResourceDefinition') this.#checkCrd(next);
    applyCreateDefaults(resource, next);
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete (meta as { managedFields?: unknown }).managedFields;
    if (resource.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (options.dryRun) return this.#present(next, object.apiVersion) as T;
    meta.resourceVersion = String(++this.#rv);
    bucket.set(key, next);
    this.#emit(resource, 'ADDED', next);
    this.#record(resource, 'object-created', next);
    if (resource.group === '' && resource.kind === 'Pod') this.#record(resource, 'pod-created', next);
    if (resource.group === 'apiextensions.k8s.io' && resource.kind === 'CustomResourceDefinition') this.#establishCrd(next);
    return this.#present(next, object.apiVersion) as T;
  }

  update<T extends KubeObject>(object: T, options: WriteOptions & { subresource?: 'status' } = {}): T {
    const resource = this.#resolve(object);
    const namespace = resource.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const existing = this.#bucket(resource).get(this.#objectKey(resource, namespace, object.metadata.name));
    if (!existing) throw notFound(gr(resource), object.metadata.name);
    const requestedRv = object.metadata.resourceVersion;
    if (requestedRv === undefined || requestedRv === '') {
      if (resource.custom) {
        throw invalid(resource.group, resource.kind, object.metadata.name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be specified for an update' }]);
      }
    } else if (requestedRv !== existing.metadata.resourceVersion) {
      throw conflict(gr(resource), object.metadata.name);
    }
    if (object.metadata.uid && object.metadata.uid !== existing.metadata.uid) {
      throw conflict(gr(resource), object.metadata.name, `Precondition failed: UID in precondition: ${object.metadata.uid}, UID in object meta: ${existing.metadata.uid}`);
    }
    return this.#present(this.#write(resource, existing, structuredClone(object) as KubeObject, options), object.apiVersion) as T;
  }

  patch<T extends KubeObject>(
    kind: KindRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: 'merge' | 'json' | 'strategic',
    options: WriteOptions & { subresource?: 'status' } = {},
  ): T {
    const resource = this.#resolve(kind);
    const existing = this.#bucket(resource).get(this.#objectKey(resource, namespace, name));
    if (!existing) throw notFound(gr(resource), name);
    const base = this.#present(existing, kind.apiVersion);
    let patched: unknown;
    if (type === 'json') patched = jsonPatch(base, patch);
    else if (type === 'merge') patched = mergePatch(base, patch);
    else {
      if (resource.custom) throw unsupportedMediaType('application/strategic-merge-patch+json');
      patched = strategicMergePatch(base, patch, strategicMergeKeys(resource.group, resource.kind));
    }
    if (!isObject(patched) || !isObject(patched.metadata)) {
      throw invalid(resource.group, resource.kind, name, [{ field: 'metadata', reason: 'FieldValueRequired', message: 'Required value' }]);
    }
    const next = patched as KubeObject;
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== existing.metadata.resourceVersion) throw conflict(gr(resource), name);
    if (next.metadata.uid !== undefined && next.metadata.uid !== existing.metadata.uid) {
      throw conflict(gr(resource), name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${existing.metadata.uid}`);
    }
    if (next.metadata.name !== name) {
      throw invalid(resource.group, resource.kind, name, [{ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${next.metadata.name}": field is immutable` }]);
    }
    return this.#present(this.#write(resource, existing, next, options), kind.apiVersion) as T;
  }

  /**
   * Deletes as the API server does: pods (scheduled, not finished) with a grace period > 0 and objects with
   * finalizers get `deletionTimestamp` and stay until the kubelet / finalizer owner removes them; others go at once.
   * Returns the object as it is after the call (with `deletionTimestamp`, or its last state when removed), or
   * `undefined` when there was no such object.
   */
  delete(kind: KindRef, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject | undefined {
    const resource = this.#resolve(kind);
    const key = this.#objectKey(resource, namespace, name);
    const existing = this.#bucket(resource).get(key);
    if (!existing) return undefined;
    const pre = options.preconditions ?? {};
    if (pre.uid !== undefined && pre.uid !== existing.metadata.uid) {
      throw conflict(gr(resource), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`);
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(gr(resource), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`);
    }
    const next = structuredClone(existing);
    let grace = 0;
    const isPod = resource.group === '' && resource.kind === 'Pod';
    if (isPod) {
      const spec = (next.spec ?? {}) as { terminationGracePeriodSeconds?: number; nodeName?: string };
      const phase = (next.status as { phase?: string } | undefined)?.phase;
      grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
      if (grace < 0) grace = 0;
      if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
      // A zero grace period from a client means "force" (kubectl --force sends 0); real servers turn 0 into 1 only
      // with --grace-period=0 without --force, which kubectl does not send.
    }
    const finalizers = [...(next.metadata.finalizers ?? [])];
    const policy = options.propagationPolicy ?? 'Background';
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion') && this.#dependents(existing.metadata.uid!).length > 0) {
      finalizers.push('foregroundDeletion');
    }
    if (options.dryRun) {
      if (grace > 0 || finalizers.length > 0) {
        next.metadata.deletionTimestamp ??= nowTimestamp(grace * 1000);
        next.metadata.deletionGracePeriodSeconds ??= grace;
      }
      return this.#present(next, kind.apiVersion);
    }
    if (existing.metadata.uid) this.#propagation.set(existing.metadata.uid, policy);
    if (policy === 'Orphan') this.#orphanDependents(existing.metadata.uid!);
    const wasDeleting = existing.metadata.deletionTimestamp !== undefined;
    if (grace > 0 || finalizers.length > 0) {
      const current = existing.metadata.deletionGracePeriodSeconds;
      if (wasDeleting && current !== undefined && current <= grace && deepEqual(finalizers, existing.metadata.finalizers ?? [])) {
        return this.#present(existing, kind.apiVersion);
      }
      if (!wasDeleting || (current !== undefined && grace < current)) {
        next.metadata.deletionTimestamp = nowTimestamp(grace * 1000);
        next.metadata.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.length > 0) next.metadata.finalizers = finalizers;
      next.metadata.resourceVersion = String(++this.#rv);
      this.#bucket(resource).set(key, next);
      this.#emit(resource, 'MODIFIED', next, existing);
      if (!wasDeleting) {
        this.#record(resource, 'object-deleting', next, { gracePeriodSeconds: grace });
        if (isPod) this.#record(resource, 'pod-deleting', next, { gracePeriodSeconds: grace });
      }
      if (finalizers.includes('foregroundDeletion')) {
        for (const d of this.#dependents(existing.metadata.uid!)) this.delete(d.kind, d.namespace, d.name);
        this.#finishForeground(existing.metadata.uid!);
      }
      if (resource.group === '' && resource.kind === 'Namespace') this.#terminateNamespace(next);
      const after = this.#bucket(resource).get(key);
      return this.#present(after ?? next, kind.apiVersion);
    }
    if (resource.group === '' && resource.kind === 'Namespace') {
      // Namespaces always go through Terminating: their content is deleted first.
      next.metadata.deletionTimestamp = nowTimestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      (next.status as Record<string, unknown>).phase = 'Terminating';
      next.metadata.resourceVersion = String(++this.#rv);
      this.#bucket(resource).set(key, next);
      this.#emit(resource, 'MODIFIED', next, existing);
      this.#record(resource, 'object-deleting', next, {});
      this.#terminateNamespace(next);
      const after = this.#bucket(resource).get(key);
      return this.#present(after ?? next, kind.apiVersion);
    }
    return this.#present(this.#finalRemove(resource, key), kind.apiVersion);
  }

  /** Final removal (the kubelet after termination; removing a deleting object's last finalizer also does it). */
  remove(kind: KindRef, namespace: string | undefined, name: string): void {
    const resource = this.#resolve(kind);
    const key = this.#objectKey(resource, namespace, name);
    if (this.#bucket(resource).has(key)) this.#finalRemove(resource, key);
  }

  /**
   * Calls `listener` for every change after `resourceVersion` (replaying kept events first), or for changes from
   * now when it is absent or "0". Label/field selectors apply as in the watch cache: an object that stops matching
   * is delivered as DELETED, one that starts matching as ADDED. Throws a 410 StatusError when the version is older
   * than the kept history, 400 on a bad selector. The returned function stops the watch.
   */
  watch(
    kind: KindRef,
    options: ListOptions & { resourceVersion?: string },
    listener: (event: StoreEvent) => void,
  ): () => void {
    const resource = this.#resolve(kind);
    const fields = parseFieldSelector(options.fieldSelector);
    checkFieldLabels(fields, resource.fieldLabels, `${kind.apiVersion}, Resource=${resource.plural}`);
    const watcher: Watcher = {
      resourceKey: this.#resourceKey(resource),
      namespace: resource.namespaced ? options.namespace : undefined,
      labels: parseLabelSelector(options.labelSelector),
      fields,
      apiVersion: kind.apiVersion,
      listener,
      queue: [],
      scheduled: false,
      stopped: false,
    };
    const rv = options.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== '0') {
      const from = Number(rv);
      if (!Number.isInteger(from) || from < 0) throw invalid('meta.k8s.io', 'ListOptions', '', [{ field: 'resourceVersion', reason: 'FieldValueInvalid', message: `Invalid value: "${rv}": must be a non-negative integer` }]);
      if (from < this.#compactedThrough) throw expired(rv, this.#compactedThrough + 1);
      for (const event of this.#log) if (event.rv > from && event.resourceKey === watcher.resourceKey) this.#offer(watcher, resource, event);
    }
    this.#watchers.add(watcher);
    return () => {
      watcher.stopped = true;
      watcher.queue.length = 0;
      this.#watchers.delete(watcher);
    };
  }

  /** Read-modify-write with retry on conflict, for controllers; `undefined` when the object is gone. */
  mutate<T extends KubeObject>(
    kind: KindRef,
    namespace: string | undefined,
    name: string,
    change: (object: T) => void,
    options: { subresource?: 'status' } = {},
  ): T | undefined {
    for (let attempt = 0; ; attempt++) {
      const current = this.get<T>(kind, namespace, name);
      if (!current) return undefined;
      change(current);
      try {
        return this.update(current, options);
      } catch (error) {
        if (error instanceof StatusError && error.code === 409 && error.reason === 'Conflict' && attempt < 16) continue;
        if (error instanceof StatusError && error.code === 404) return undefined;
        throw error;
      }
    }
  }

  // ——— internals ———

  #resolve(kind: KindRef): ResourceDef {
    const resource = this.resources.byKind(kind);
    if (!resource) {
      throw new StatusError({
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound',
        message: `no matches for kind "${kind.kind}" in version "${kind.apiVersion}"`,
      });
    }
    return resource;
  }

  #resourceKey(resource: ResourceDef): string {
    return `${resource.group}/${resource.plural}`;
  }

  #objectKey(resource: ResourceDef, namespace: string | undefined, name: string): string {
    return resource.namespaced ? `${namespace ?? 'default'}/${name}` : `/${name}`;
  }

  #bucket(resource: ResourceDef): Map<string, KubeObject> {
    const key = this.#resourceKey(resource);
    let bucket = this.#objects.get(key);
    if (!bucket) this.#objects.set(key, (bucket = new Map()));
    return bucket;
  }

  #storageApiVersion(resource: ResourceDef): string {
    return joinApiVersion(resource.group, resource.versions[0]);
  }

  /** A deep copy as served at the requested version. */
  #present(object: KubeObject, apiVersion: string): KubeObject {
    const copy = structuredClone(object);
    const { group } = splitApiVersion(apiVersion);
    if (group === splitApiVersion(copy.apiVersion).group) copy.apiVersion = apiVersion;
    return copy;
  }

  #matches(object: KubeObject, resource: ResourceDef, namespace: string | undefined, labels: LabelSelector, fields: FieldRequirement[]): boolean {
    if (resource.namespaced && namespace && object.metadata.namespace !== namespace) return false;
    return matchesLabels(labels, object.metadata.labels) && matchesFields(fields, object);
  }

  #requireNamespace(resource: ResourceDef, namespace: string, strict: boolean, dryRun: boolean): void {
    const nsResource = this.resources.byKind({ apiVersion: 'v1', kind: 'Namespace' })!;
    const ns = this.#bucket(nsResource).get(`/${namespace}`);
    if (ns?.metadata.deletionTimestamp) {
      throw forbiddenTerminating(resource, namespace);
    }
    if (ns) return;
    if (strict) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (!dryRun) this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  }

  /** Shared by update and patch: computes the next state, applies the subresource split and commits it. */
  #write(resource: ResourceDef, existing: KubeObject, incoming: KubeObject, options: WriteOptions & { subresource?: 'status' }): KubeObject {
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = structuredClone(existing);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = incoming;
      next.apiVersion = existing.apiVersion;
      next.kind = existing.kind;
      const meta = { ...(next.metadata ?? {}) } as KubeObject['metadata'];
      for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace', 'name'] as const) {
        const value = existing.metadata[field];
        if (value === undefined) delete meta[field];
        else (meta as unknown as Record<string, unknown>)[field] = value;
      }
      delete (meta as { managedFields?: unknown }).managedFields;
      next.metadata = meta;
      if (resource.statusSubresource) {
        if (existing.status === undefined) delete next.status;
        else next.status = structuredClone(existing.status);
      }
      applyUpdateDefaults(resource, next);
      checkMicroTimes(resource, next);
      validateMetadata(resource, next);
      if (resource.group === '' && resource.kind === 'Pod') validatePodUpdate(existing, next);
      if (resource.group === 'apps' && resource.kind === 'StatefulSet') validateStatefulSetUpdate(existing, next);
      if (existing.metadata.deletionTimestamp) {
        const added = (next.metadata.finalizers ?? []).filter((f) => !(existing.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw invalid(resource.group, resource.kind, existing.metadata.name, [{ field: 'metadata.finalizers', reason: 'FieldValueForbidden', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"${added.join('", "')}"}` }]);
        }
      }
      if (next.metadata.finalizers !== undefined && next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
      if (resource.tracksGeneration && specChanged(resource, existing, next)) next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (deepEqual(next, existing)) return existing;
    if (options.dryRun) return next;
    const key = this.#objectKey(resource, existing.metadata.namespace, existing.metadata.name);
    if (existing.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && !isGracefulPod(resource, next)) {
      this.#bucket(resource).set(key, next);
      return this.#finalRemove(resource, key);
    }
    next.metadata.resourceVersion = String(++this.#rv);
    this.#bucket(resource).set(key, next);
    this.#emit(resource, 'MODIFIED', next, existing);
    this.#record(resource, options.subresource === 'status' ? 'object-status-updated' : 'object-updated', next);
    if (resource.group === 'apiextensions.k8s.io' && resource.kind === 'CustomResourceDefinition' && options.subresource !== 'status') {
      this.resources.register(resourceFromCrd(next));
    }
    return next;
  }

  #finalRemove(resource: ResourceDef, key: string): KubeObject {
    const bucket = this.#bucket(resource);
    const existing = bucket.get(key)!;
    bucket.delete(key);
    const last = structuredClone(existing);
    last.metadata.resourceVersion = String(++this.#rv);
    this.#emit(resource, 'DELETED', last);
    this.#record(resource, 'object-deleted', last);
    if (resource.group === '' && resource.kind === 'Pod') this.#record(resource, 'pod-removed', last);
    const uid = existing.metadata.uid!;
    if (resource.group === 'apiextensions.k8s.io' && resource.kind === 'CustomResourceDefinition') this.#removeCrd(existing);
    const policy = this.#propagation.get(uid) ?? 'Background';
    this.#propagation.delete(uid);
    if (policy !== 'Orphan') for (const d of this.#dependents(uid)) this.delete(d.kind, d.namespace, d.name);
    // Owners waiting in foreground deletion for this dependent.
    for (const owner of existing.metadata.ownerReferences ?? []) this.#finishForeground(owner.uid);
    if (resource.namespaced) this.#finishNamespace(existing.metadata.namespace!);
    return last;
  }

  #dependents(uid: string): { kind: KindRef; namespace?: string; name: string }[] {
    const out: { kind: KindRef; namespace?: string; name: string }[] = [];
    for (const bucket of this.#objects.values()) {
      for (const object of bucket.values()) {
        if (object.metadata.ownerReferences?.some((o) => o.uid === uid)) {
          out.push({ kind: { apiVersion: object.apiVersion, kind: object.kind }, namespace: object.metadata.namespace, name: object.metadata.name });
        }
      }
    }
    return out;
  }

  #orphanDependents(uid: string): void {
    for (const d of this.#dependents(uid)) {
      this.mutate(d.kind, d.namespace, d.name, (o) => {
        o.metadata.ownerReferences = o.metadata.ownerReferences?.filter((r) => r.uid !== uid);
        if (o.metadata.ownerReferences?.length === 0) delete o.metadata.ownerReferences;
      });
    }
  }

  #finishForeground(ownerUid: string): void {
    for (const [resourceKey, bucket] of this.#objects) {
      for (const object of bucket.values()) {
        if (object.metadata.uid !== ownerUid) continue;
        if (!object.metadata.finalizers?.includes('foregroundDeletion')) return;
        if (this.#dependents(ownerUid).length > 0) return;
        const [group, plural] = resourceKey.split('/');
        const resource = this.resources.all().find((r) => r.group === group && r.plural === plural);
        if (!resource) return;
        this.mutate({ apiVersion: object.apiVersion, kind: object.kind }, object.metadata.namespace, object.metadata.name, (o) => {
          o.metadata.finalizers = o.metadata.finalizers?.filter((f) => f !== 'foregroundDeletion');
        });
        return;
      }
    }
  }

  #terminateNamespace(namespace: KubeObject): void {
    const name = namespace.metadata.name;
    for (const resource of [...this.resources.all()]) {
      if (!resource.namespaced) continue;
      for (const object of [...this.#bucket(resource).values()]) {
        if (object.metadata.namespace !== name || object.metadata.deletionTimestamp) continue;
        this.delete({ apiVersion: object.apiVersion, kind: object.kind }, name, object.metadata.name);
      }
    }
    this.#finishNamespace(name);
  }

  #finishNamespace(name: string): void {
    const nsResource = this.resources.byKind({ apiVersion: 'v1', kind: 'Namespace' })!;
    const ns = this.#bucket(nsResource).get(`/${name}`);
    if (!ns?.metadata.deletionTimestamp) return;
    for (const resource of this.resources.all()) {
      if (!resource.namespaced) continue;
      for (const object of this.#bucket(resource).values()) if (object.metadata.namespace === name) return;
    }
    if ((ns.metadata.finalizers ?? []).length > 0) return;
    this.#finalRemove(nsResource, `/${name}`);
  }

  #checkCrd(crd: KubeObject): void {
    try {
      const declared = resourceFromCrd(crd);
      const expectedName = `${declared.plural}.${declared.group}`;
      if (crd.metadata.name !== expectedName) {
        throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [{ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group` }]);
      }
      if (declared.versions.length === 0) {
        throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [{ field: 'spec.versions', reason: 'FieldValueInvalid', message: 'Invalid value: must have exactly one version marked as storage version' }]);
      }
    } catch (error) {
      if (error instanceof StatusError) throw error;
      throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [{ field: 'spec', reason: 'FieldValueRequired', message: `Required value: ${(error as Error).message}` }]);
    }
  }

  /** Registers the kind and marks the CRD Established, as the apiextensions controllers do. */
  #establishCrd(crd: KubeObject): void {
    const declared = resourceFromCrd(crd);
    this.resources.register(declared);
    const names = (crd.spec as { names: Record<string, unknown> }).names;
    const now = nowTimestamp();
    const status = {
      acceptedNames: { ...names, singular: declared.singular },
      conditions: [
        { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: [declared.versions[0]],
    };
    this.mutate({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, undefined, crd.metadata.name, (o) => {
      o.status = status;
    }, { subresource: 'status' });
  }

  #removeCrd(crd: KubeObject): void {
    const declared = resourceFromCrd(crd);
    const registered = this.resources.byPlural(declared.group, declared.versions[0], declared.plural);
    if (!registered) return;
    for (const object of [...this.#bucket(registered).keys()]) this.#finalRemove(registered, object);
    this.#objects.delete(this.#resourceKey(registered));
    this.resources.unregister(declared.group, declared.plural);
  }

  #emit(resource: ResourceDef, type: WatchEventType, object: KubeObject, old?: KubeObject): void {
    const event: LoggedEvent = { rv: Number(object.metadata.resourceVersion), resourceKey: this.#resourceKey(resource), type, object: structuredClone(object), old };
    this.#log.push(event);
    while (this.#log.length > this.#watchHistoryLimit) this.#compactedThrough = this.#log.shift()!.rv;
    for (const watcher of this.#watchers) if (watcher.resourceKey === event.resourceKey) this.#offer(watcher, resource, event);
  }

  /** Queues an event for a watcher after applying its namespace/selector filter with watch-cache transitions. */
  #offer(watcher: Watcher, resource: ResourceDef, event: LoggedEvent): void {
    const matches = (o: KubeObject | undefined) => o !== undefined && this.#matches(o, resource, watcher.namespace, watcher.labels, watcher.fields);
    const now = matches(event.object);
    let type: WatchEventType | undefined;
    if (event.type === 'MODIFIED') {
      const before = matches(event.old);
      if (before && now) type = 'MODIFIED';
      else if (before) type = 'DELETED';
      else if (now) type = 'ADDED';
    } else if (now) type = event.type;
    if (!type) return;
    watcher.queue.push({ type, object: this.#present(event.object, watcher.apiVersion) });
    if (watcher.scheduled) return;
    watcher.scheduled = true;
    queueMicrotask(() => {
      watcher.scheduled = false;
      while (watcher.queue.length > 0 && !watcher.stopped) watcher.listener(watcher.queue.shift()!);
    });
  }

  #record(resource: ResourceDef, type: string, object: KubeObject, extra: Record<string, unknown> = {}): void {
    this.#history?.record('kube', type, {
      apiVersion: object.apiVersion,
      kind: resource.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      pod: resource.kind === 'Pod' && resource.group === '' ? object.metadata.name : undefined,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      // Tells a spec change (generation bump) from a metadata or status write, e.g. for benchmarks.
      ...(object.metadata.generation !== undefined ? { generation: object.metadata.generation } : {}),
      ...extra,
    });
  }
}

function forbiddenTerminating(resource: ResourceDef, namespace: string): StatusError {
  const base = forbidden(gr(resource), undefined, '', 'create', resource.plural, namespace);
  base.status.message = `${resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`;
  base.status.details = { ...base.status.details, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] };
  return new StatusError(base.status);
}

/** A pod still within its grace period is only removed by the kubelet (or a zero-grace delete). */
function isGracefulPod(resource: ResourceDef, object: KubeObject): boolean {
  return resource.group === '' && resource.kind === 'Pod' && (object.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

/** Whether anything outside metadata (and status, for kinds with a status subresource) changed. */
function specChanged(resource: ResourceDef, before: KubeObject, after: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const copy: Record<string, unknown> = { ...o };
    delete copy.metadata;
    delete copy.apiVersion;
    delete copy.kind;
    if (resource.statusSubresource) delete copy.status;
    return copy;
  };
  return !deepEqual(strip(before), strip(after));
}
