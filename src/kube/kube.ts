import type { Duplex } from 'node:stream';

/** Object metadata, as much of it as kubectl-tikv reads or writes. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  finalizers?: string[];
}

/** Any Kubernetes object. Typed views (pods, CRs) are read from it by the functions that need them. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown> | unknown;
  status?: Record<string, unknown> | unknown;
  [field: string]: unknown;
}

/** Which kind of object: `apiVersion` (`v1`, `apps/v1`, `pingcap.com/v1alpha1`) and `kind` (`Pod`). */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** One object: its kind, namespace (for namespaced kinds) and name. */
export interface ObjectRef extends KindRef {
  namespace?: string;
  name: string;
}

/** A served resource found by API discovery. */
export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, e.g. `tidbclusters`. */
  plural: string;
  namespaced: boolean;
  shortNames: string[];
}

/** A list result and the collection's resourceVersion, from which a watch can start. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
}

/** A watch event as the API server sends it. `BOOKMARK` events are swallowed by implementations. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/** Selection for list and watch. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
}

/** The patch formats the API server accepts. */
export type PatchType = 'merge' | 'json' | 'strategic';

/**
 * Kubernetes as kubectl-tikv uses it: a generic object client with discovery and port-forward. Implementations
 * reject with a KubeError naming the verb and resource (403s name both, as RBAC needs them).
 */
export interface Kube {
  /** The namespace commands default to (`-n`, else the context's, else `default`). */
  readonly namespace: string;
  /** Name of the kubeconfig context in use (for messages and the Lease holder identity). */
  readonly contextName: string;
  /** The served resources, discovered once and cached. */
  discover(options?: { signal?: AbortSignal }): Promise<ApiResource[]>;
  /** One object, or `null` when it does not exist. */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: { signal?: AbortSignal }): Promise<T | null>;
  list<T extends KubeObject = KubeObject>(kind: KindRef, options?: ListOptions): Promise<ObjectList<T>>;
  create<T extends KubeObject = KubeObject>(object: T, options?: { signal?: AbortSignal }): Promise<T>;
  /** Replaces an object; rejects with a conflict KubeError (409) when its resourceVersion is stale. */
  replace<T extends KubeObject = KubeObject>(object: T, options?: { signal?: AbortSignal }): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    options?: { type?: PatchType; subresource?: 'status'; signal?: AbortSignal },
  ): Promise<T>;
  /** Deletes an object; `false` when it was already gone. `uid` makes it a precondition. */
  delete(ref: ObjectRef, options?: { gracePeriodSeconds?: number; uid?: string; signal?: AbortSignal }): Promise<boolean>;
  /**
   * Events for a kind from `resourceVersion` on; resumes transparently when the server ends the stream, and
   * relists (yielding ADDED for every current object) when the version is too old (410). Ends on `signal`.
   */
  watch<T extends KubeObject = KubeObject>(
    kind: KindRef,
    options: ListOptions & { resourceVersion?: string },
  ): AsyncIterable<WatchEvent<T>>;
  /** A byte stream to `port` of a pod, through the API server's `pods/portforward`. One stream per call. */
  portForward(namespace: string, podName: string, port: number, options?: { signal?: AbortSignal }): Promise<Duplex>;
}
