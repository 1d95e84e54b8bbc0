/**
 * Kubernetes `Status` objects (meta/v1) and the errors the simulated API server and object store throw. Reasons,
 * codes and message wording follow k8s.io/apimachinery/pkg/api/errors, so clients that branch on `reason` or print
 * `message` see what a real API server would send.
 */

/** The meta/v1 `Status` object, as sent in error bodies. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** A Kubernetes API error carrying its `Status` object; `code` is the HTTP status. */
export class StatusError extends Error {
  readonly status: KubeStatus;
  readonly code: number;

  constructor(status: KubeStatus) {
    super(status.message);
    this.name = 'StatusError';
    this.status = status;
    this.code = status.code;
  }

  get reason(): string {
    return this.status.reason;
  }
}

/** A group-qualified resource, as error messages name it (`pods`, `statefulsets.apps`). */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function status(code: number, reason: string, message: string, details?: KubeStatus['details']): StatusError {
  const body: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details !== undefined) body.details = details;
  return new StatusError(body);
}

function detailsOf(gr: GroupResource, name?: string): NonNullable<KubeStatus['details']> {
  const details: NonNullable<KubeStatus['details']> = {};
  if (name !== undefined && name !== '') details.name = name;
  if (gr.group !== '') details.group = gr.group;
  details.kind = gr.resource;
  return details;
}

/** 404 `pods "x" not found`. */
export function notFound(gr: GroupResource, name: string): StatusError {
  return status(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, detailsOf(gr, name));
}

/** 404 for a path the server does not serve. */
export function resourceNotFound(): StatusError {
  return status(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 `pods "x" already exists`. */
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return status(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, detailsOf(gr, name));
}

/** 409 optimistic-concurrency conflict. */
export function conflict(gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return status(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, detailsOf(gr, name));
}

/**
 * 403 as the RBAC authorizer words it: `pods "x" is forbidden: User "u" cannot delete resource "pods" in API group
 * "" in the namespace "ns"`.
 */
export function forbidden(
  gr: GroupResource,
  name: string | undefined,
  user: string,
  verb: string,
  resourceWithSubresource: string,
  namespace: string | undefined,
): StatusError {
  const subject = name ? `${qualifiedResource(gr)} "${name}" is forbidden` : `${qualifiedResource(gr)} is forbidden`;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const reason = `User "${user}" cannot ${verb} resource "${resourceWithSubresource}" in API group "${gr.group}" ${scope}`;
  return status(403, 'Forbidden', `${subject}: ${reason}`, detailsOf(gr, name));
}

/** 401 for a missing or unknown bearer token. */
export function unauthorized(): StatusError {
  return status(401, 'Unauthorized', 'Unauthorized');
}

/** 410 Expired: a watch or list from a resourceVersion older than the kept history. */
export function expired(requested: string, oldest: number): StatusError {
  return status(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** One field error of a 422 Invalid. */
export interface FieldCause {
  field: string;
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueNotSupported' | 'FieldValueDuplicate';
  message: string;
}

/** 422 `Pod "x" is invalid: metadata.name: Required value`. `kind` is the Kind, as the API server names it. */
export function invalid(group: string, kind: string, name: string, causes: FieldCause[]): StatusError {
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
  const details: NonNullable<KubeStatus['details']> = { name, ...(group === '' ? {} : { group }), kind, causes };
  return status(422, 'Invalid', `${kind}${group === '' ? '' : `.${group}`} "${name}" is invalid: ${summary}`, details);
}

/** 400 BadRequest with the server's message (selector parse errors, malformed bodies). */
export function badRequest(message: string): StatusError {
  return status(400, 'BadRequest', message);
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): StatusError {
  return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 415 for a patch type the resource does not support (strategic merge on custom resources). */
export function unsupportedMediaType(contentType: string): StatusError {
  return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType})`);
}

/** 429 TooManyRequests, as API Priority and Fairness answers; the server adds `Retry-After`. */
export function tooManyRequests(retryAfterSeconds = 1): StatusError {
  return status(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
}

/** 500 InternalError. */
export function internalError(message: string): StatusError {
  return status(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** 504 Timeout. */
export function timeout(message: string): StatusError {
  return status(504, 'Timeout', message);
}

/** 422 for a patch that cannot be applied (JSON-patch test failure, path missing). */
export function patchFailed(message: string): StatusError {
  return status(422, 'Invalid', message);
}

/** A success `Status` (what DELETE on a collection or some subresources return). */
export function success(details?: KubeStatus['details']): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', ...(details ? { details } : {}), code: 200 };
}
