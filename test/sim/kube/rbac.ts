/**
 * Authorization for the simulated API server, with the semantics of Kubernetes RBAC rules: a user (or one of its
 * groups) is bound to a list of PolicyRules, each optionally limited to namespaces; a request is allowed when any
 * rule matches its verb, API group, resource (`pods`, `pods/portforward`, `*`, `pods/*`), resource name and
 * namespace. Users and groups without a binding are allowed everything unless `defaultAllow: false` — the default
 * keeps tests that do not care about RBAC simple; tests that do bind a token's user to its rules.
 *
 * Users, groups and service accounts named by RoleBinding/ClusterRoleBinding objects in the attached store are
 * limited the same way (the rules of the referenced Role/ClusterRole; a RoleBinding's only in its namespace).
 *
 * ```ts
 * const rbac = new Rbac();
 * rbac.bind('tikv-operator-user', [
 *   { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
 *   { verbs: ['create'], apiGroups: [''], resources: ['pods/portforward'], namespaces: ['tidb'] },
 * ]);
 * ```
 */

import type { KubeObject } from '../../../src/kube/kube.ts';

/** An RBAC PolicyRule (resource rules and nonResourceURLs), optionally limited to namespaces (a RoleBinding). */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  /** `pods`, `pods/status`, `pods/portforward`, `*`, `*` + `/status` (any resource's status), `pods/*`. */
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  /** Namespaces the rule applies in (a Role bound by RoleBindings); absent = every namespace and cluster scope. */
  namespaces?: string[];
}

/** Who is asking. */
export interface UserInfo {
  name: string;
  groups: string[];
}

/** What is asked, as the API server's request-info resolver derives it. */
export interface RequestAttributes {
  verb: string;
  /** API group; '' for core. */
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Set for non-resource requests (`/version`, `/apis`). */
  path?: string;
}

export interface Decision {
  allowed: boolean;
  /** Why (for SelfSubjectAccessReview `status.reason`). */
  reason: string;
}

/** Groups whose members are always allowed (cluster-admin). */
const superGroups = ['system:masters'];

/** Non-resource paths every authenticated user may GET (system:discovery, system:public-info-viewer). */
const discoveryPaths = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/version', '/version/', '/openapi', '/openapi/*'];

function matchPath(patterns: string[], path: string): boolean {
  return patterns.some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `${resource}/*`) return true;
    if (subresource && r === `*/${subresource}`) return true;
    return false;
  });
}

/** Where RBAC API objects are read from (an ObjectStore). */
export interface RbacObjectSource {
  list<T extends KubeObject>(kind: { apiVersion: string; kind: string }, options?: { namespace?: string }): { items: T[] };
  get<T extends KubeObject>(kind: { apiVersion: string; kind: string }, namespace: string | undefined, name: string): T | undefined;
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding extends KubeObject {
  subjects?: Subject[];
  roleRef?: { kind: string; name: string; apiGroup?: string };
}

interface RoleObject extends KubeObject {
  rules?: PolicyRule[];
}

const rbacGroup = 'rbac.authorization.k8s.io/v1';

function subjectMatches(subject: Subject, user: UserInfo): boolean {
  if (subject.kind === 'User') return subject.name === user.name;
  if (subject.kind === 'Group') return user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') return user.name === `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`;
  return false;
}

/**
 * RBAC-like authorizer over per-user and per-group rule lists, plus — once attached to the store — the
 * Role/RoleBinding/ClusterRole/ClusterRoleBinding objects in it (so a documented Role applied with kubectl is
 * enforced as in a real cluster).
 */
export class Rbac {
  readonly #users = new Map<string, PolicyRule[]>();
  readonly #groups = new Map<string, PolicyRule[]>();
  readonly defaultAllow: boolean;
  #source: RbacObjectSource | undefined;

  constructor(options: { defaultAllow?: boolean; store?: RbacObjectSource } = {}) {
    this.defaultAllow = options.defaultAllow ?? true;
    this.#source = options.store;
  }

  /** Also enforce the RBAC objects of this store (the API server attaches its store). */
  attach(store: RbacObjectSource): void {
    this.#source = store;
  }

  get attached(): boolean {
    return this.#source !== undefined;
  }

  /** Rules granted by RoleBindings/ClusterRoleBindings naming the user (or its groups / service account). */
  #objectRules(user: UserInfo): { bound: boolean; rules: PolicyRule[] } {
    const source = this.#source;
    if (!source) return { bound: false, rules: [] };
    let bound = false;
    const rules: PolicyRule[] = [];
    const roleRules = (kind: string, namespace: string | undefined, name: string) =>
      source.get<RoleObject>({ apiVersion: rbacGroup, kind }, namespace, name)?.rules ?? [];
    for (const crb of source.list<Binding>({ apiVersion: rbacGroup, kind: 'ClusterRoleBinding' }).items) {
      if (!(crb.subjects ?? []).some((s) => subjectMatches(s, user))) continue;
      bound = true;
      if (crb.roleRef?.kind === 'ClusterRole') rules.push(...roleRules('ClusterRole', undefined, crb.roleRef.name));
    }
    for (const rb of source.list<Binding>({ apiVersion: rbacGroup, kind: 'RoleBinding' }).items) {
      if (!(rb.subjects ?? []).some((s) => subjectMatches(s, user))) continue;
      bound = true;
      const namespace = rb.metadata.namespace!;
      const granted = rb.roleRef?.kind === 'Role' ? roleRules('Role', namespace, rb.roleRef.name) : rb.roleRef ? roleRules('ClusterRole', undefined, rb.roleRef.name) : [];
      rules.push(...granted.filter((r) => r.resources).map((r) => ({ ...r, namespaces: [namespace] })));
    }
    return { bound, rules };
  }

  /** Binds a user to rules (replacing earlier ones); the user is then limited to them. */
  bind(user: string, rules: PolicyRule[]): void {
    this.#users.set(user, structuredClone(rules));
  }

  /** Binds a group to rules; members of a bound group are limited to the union of their bindings. */
  bindGroup(group: string, rules: PolicyRule[]): void {
    this.#groups.set(group, structuredClone(rules));
  }

  unbind(user: string): void {
    this.#users.delete(user);
  }

  /** The rules that apply to a user, or undefined when the user is unrestricted. */
  rulesFor(user: UserInfo): PolicyRule[] | undefined {
    if (user.groups.some((g) => superGroups.includes(g))) return undefined;
    const own = this.#users.get(user.name);
    const fromGroups = user.groups.flatMap((g) => this.#groups.get(g) ?? []);
    const fromObjects = this.#objectRules(user);
    const bound = own !== undefined || user.groups.some((g) => this.#groups.has(g)) || fromObjects.bound;
    if (!bound) return this.defaultAllow ? undefined : [];
    return [...(own ?? []), ...fromGroups, ...fromObjects.rules];
  }

  authorize(user: UserInfo, request: RequestAttributes): Decision {
    const rules = this.rulesFor(user);
    if (rules === undefined) return { allowed: true, reason: '' };
    if (request.path !== undefined) {
      if (request.verb === 'get' && matchPath(discoveryPaths, request.path)) return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery"' };
      const ok = rules.some((r) => r.verbs.some((v) => v === '*' || v === request.verb) && matchPath(r.nonResourceURLs ?? [], request.path!));
      return { allowed: ok, reason: ok ? 'RBAC: allowed' : '' };
    }
    // system:basic-user: every authenticated user may ask what it may do.
    if (request.verb === 'create' && request.apiGroup === 'authorization.k8s.io' && ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'].includes(request.resource)) {
      return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user"' };
    }
    for (const rule of rules) {
      if (!rule.verbs.some((v) => v === '*' || v === request.verb)) continue;
      if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === request.apiGroup)) continue;
      if (!resourceMatches(rule, request.resource, request.subresource)) continue;
      if (rule.resourceNames && rule.resourceNames.length > 0 && !(request.name && rule.resourceNames.includes(request.name))) continue;
      if (rule.namespaces && !(request.namespace && rule.namespaces.includes(request.namespace))) continue;
      return { allowed: true, reason: `RBAC: allowed by rules of user "${user.name}"` };
    }
    return { allowed: false, reason: '' };
  }
}
