/**
 * Authorization for the simulated API server, with the semantics of Kubernetes RBAC rules: a user (or one of its
 * groups) is bound to a list of PolicyRules, each optionally limited to namespaces; a request is allowed when any
 * rule matches its verb, API group, resource (`pods`, `pods/portforward`, `*`, `pods/*`), resource name and
 * namespace. Users and groups without a binding are allowed everything unless `defaultAllow: false` — the default
 * keeps tests that do not care about RBAC simple; tests that do bind a token's user to its rules.
 *
 * ```ts
 * const rbac = new Rbac();
 * rbac.bind('tikv-operator-user', [
 *   { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
 *   { verbs: ['create'], apiGroups: [''], resources: ['pods/portforward'], namespaces: ['tidb'] },
 * ]);
 * ```
 */

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

/** RBAC-like authorizer over per-user and per-group rule lists. */
export class Rbac {
  readonly #users = new Map<string, PolicyRule[]>();
  readonly #groups = new Map<string, PolicyRule[]>();
  readonly defaultAllow: boolean;

  constructor(options: { defaultAllow?: boolean } = {}) {
    this.defaultAllow = options.defaultAllow ?? true;
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
    const bound = own !== undefined || user.groups.some((g) => this.#groups.has(g));
    if (!bound) return this.defaultAllow ? undefined : [];
    return [...(own ?? []), ...fromGroups];
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
