/**
 * A minimal OpenAPI v3 surface (`/openapi/v3` and `/openapi/v3/<api|apis/group>/<version>`): for every served kind
 * the object paths with their operations, each tagged with `x-kubernetes-group-version-kind` and declaring the
 * `fieldValidation`/`dryRun`/`fieldManager` query parameters. It exists so that `kubectl create/apply/replace`
 * find server-side field validation supported (its query-parameter verifier reads exactly this) instead of failing
 * with "failed to download openapi"; schemas are open objects (no client-side schema validation).
 */
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './resources.ts';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** `/openapi/v3`: group-version → serverRelativeURL (with a content hash, as the real server). */
export function openApiV3Root(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [group, versions] of registry.groups()) {
    for (const version of versions) {
      const doc = openApiV3GroupVersion(registry, group, version);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
      paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
    }
  }
  return { paths };
}

const queryParameters = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));

/** The document of one group/version, or undefined when it is not served. */
export function openApiV3GroupVersion(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const served = registry.all().filter((r) => r.group === group && r.versions.includes(version));
  if (served.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const r of served) {
    const gvk = { group, version, kind: r.kind };
    const schemaName = `${group === '' ? 'io.k8s.api.core' : group}.${version}.${r.kind}`;
    schemas[schemaName] = { type: 'object', 'x-kubernetes-group-version-kind': [gvk], 'x-kubernetes-preserve-unknown-fields': true };
    const ref = { $ref: `#/components/schemas/${schemaName}` };
    const body = { content: { 'application/json': { schema: ref } } };
    const response = { 200: { description: 'OK', content: { 'application/json': { schema: ref } } } };
    const op = (id: string, extra: Record<string, unknown> = {}) => ({
      operationId: `${id}${r.kind}`, 'x-kubernetes-action': id, 'x-kubernetes-group-version-kind': gvk, parameters: queryParameters, responses: response, ...extra,
    });
    const prefix = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    paths[prefix] = { post: op('create', { requestBody: body }), get: op('list') };
    paths[`${prefix}/{name}`] = {
      get: op('get'),
      put: op('put', { requestBody: body }),
      // No strategic-merge-patch body here: kubectl apply then builds its patch from its compiled-in types (built-ins)
      // or as a JSON merge patch (custom resources) instead of from these open schemas.
      patch: op('patch', { requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json-patch+json': { schema: { type: 'object' } }, 'application/apply-patch+yaml': { schema: { type: 'object' } } } } }),
      delete: op('delete'),
    };
    if (r.statusSubresource) paths[`${prefix}/{name}/status`] = { get: op('get'), put: op('put', { requestBody: body }), patch: op('patch') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas },
  };
}
