/**
 * The three patch formats the API server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch (Kubernetes' merge with list merge keys, for the fields of pods, workloads, services and
 * metadata that matter here). Errors are 422 StatusErrors worded like the API server's.
 */
import { patchFailed } from './kube-status.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch. Returns a new value; inputs are not modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchFailed(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean, path: string): number {
  if (token === '-' && forAdd) return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchFailed(`doc is missing path: "${path}": invalid array index "${token}"`);
  const index = Number(token);
  if (index > arr.length || (!forAdd && index === arr.length)) throw patchFailed(`doc is missing path: "${path}": index out of range`);
  return index;
}

function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let at = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(at)) at = at[arrayIndex(at, token, false, path)];
    else if (isObject(at) && Object.hasOwn(at, token)) at = at[token];
    else throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return at;
}

function getAt(doc: unknown, path: string): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, path)];
  if (isObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  throw patchFailed(`doc is missing path: "${path}": missing value`);
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = decodePointer(path);
  const parent = parentOf(doc, tokens, path);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0];
  if (isObject(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return value;
  }
  throw patchFailed(`Unable to remove nonexistent key: ${last}: missing value`);
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, path), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw patchFailed(`doc is missing path: "${path}": missing value`);
  return doc;
}

function replaceAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens.at(-1)!;
  if (Array.isArray(parent)) parent[arrayIndex(parent, last, false, path)] = value;
  else if (isObject(parent) && Object.hasOwn(parent, last)) parent[last] = value;
  else throw patchFailed(`replace operation does not apply: doc is missing key: ${path}: missing value`);
  return doc;
}

/** RFC 6902 JSON patch. Returns a new value; throws a 422 StatusError when an operation does not apply. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw patchFailed('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc: unknown = structuredClone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw patchFailed(`invalid JSON patch operation: ${JSON.stringify(op)}`);
    const value = structuredClone(op.value);
    switch (op.op) {
      case 'add':
        if (!Object.hasOwn(op, 'value')) throw patchFailed('add operation does not apply: value is missing');
        doc = addAt(doc, op.path, value);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'replace':
        if (!Object.hasOwn(op, 'value')) throw patchFailed('replace operation does not apply: value is missing');
        doc = replaceAt(doc, op.path, value);
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw patchFailed('move operation does not apply: from is missing');
        const moved = removeAt(doc, op.from);
        doc = addAt(doc, op.path, moved);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw patchFailed('copy operation does not apply: from is missing');
        doc = addAt(doc, op.path, structuredClone(getAt(doc, op.from)));
        break;
      }
      case 'test': {
        let actual: unknown;
        try {
          actual = getAt(doc, op.path);
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual, op.value)) throw patchFailed(`testing value ${op.path} failed: test failed`);
        break;
      }
      default:
        throw patchFailed(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

/** Structural equality of JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Where lists are merged rather than replaced under strategic merge patch: dotted path (list indices dropped) →
 * the merge key, or `''` for lists of primitives merged as sets (finalizers).
 */
const podSpecMergeKeys: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  'containers.ports': 'containerPort',
  'initContainers.ports': 'containerPort',
  'containers.env': 'name',
  'initContainers.env': 'name',
  'containers.volumeMounts': 'mountPath',
  'initContainers.volumeMounts': 'mountPath',
  'containers.volumeDevices': 'devicePath',
  'containers.resizePolicy': 'resourceName',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  schedulingGates: 'name',
  resourceClaims: 'name',
};

const metadataMergeKeys: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'metadata.finalizers': '',
};

function prefixed(prefix: string, keys: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).map(([k, v]) => [`${prefix}${k}`, v]));
}

const workloadKeys = { ...prefixed('spec.template.spec.', podSpecMergeKeys), ...prefixed('spec.template.', metadataMergeKeys) };

/** Merge keys by kind (group/Kind). Kinds not listed get metadata keys only. */
const strategicKeysByKind: Record<string, Record<string, string>> = {
  Pod: {
    ...prefixed('spec.', podSpecMergeKeys),
    'status.conditions': 'type',
    'status.podIPs': 'ip',
    'status.hostIPs': 'ip',
  },
  'apps/StatefulSet': { ...workloadKeys, 'status.conditions': 'type' },
  'apps/Deployment': { ...workloadKeys, 'status.conditions': 'type' },
  'apps/ReplicaSet': { ...workloadKeys, 'status.conditions': 'type' },
  'apps/DaemonSet': { ...workloadKeys, 'status.conditions': 'type' },
  Service: { 'spec.ports': 'port' },
  Node: { 'status.conditions': 'type', 'status.addresses': 'type' },
  'policy/PodDisruptionBudget': { 'status.conditions': 'type' },
};

/** The strategic-merge keys of a kind: `group` is '' for the core group. */
export function strategicMergeKeys(group: string, kind: string): Record<string, string> {
  return { ...metadataMergeKeys, ...(strategicKeysByKind[group === '' ? kind : `${group}/${kind}`] ?? {}) };
}

function mergeList(original: unknown[], patch: unknown[], path: string, keys: Record<string, string>): unknown[] {
  const mergeKey = keys[path];
  if (mergeKey === undefined) {
    // Atomic list: replaced, with directives stripped from its elements.
    return patch.filter((p) => !(isObject(p) && p.$patch === 'delete')).map((p) => (isObject(p) ? stripDirectives(p) : p));
  }
  if (patch.length === 1 && isObject(patch[0]) && patch[0].$patch === 'replace') return [];
  if (mergeKey === '') {
    const out = [...original];
    for (const p of patch) if (!out.some((o) => deepEqual(o, p))) out.push(structuredClone(p));
    return out;
  }
  let out = original.map((o) => structuredClone(o));
  for (const p of patch) {
    if (!isObject(p)) throw patchFailed(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    if (p.$patch === 'replace') continue;
    const key = p[mergeKey];
    if (key === undefined) throw patchFailed(`map: ${JSON.stringify(p)} does not contain declared merge key: ${mergeKey}`);
    const at = out.findIndex((o) => isObject(o) && deepEqual(o[mergeKey], key));
    if (p.$patch === 'delete') {
      if (at >= 0) out = out.filter((_, i) => i !== at);
      continue;
    }
    if (at >= 0) out[at] = strategicMergeAt(out[at], p, path, keys);
    else out.push(strategicMergeAt(undefined, p, path, keys));
  }
  return out;
}

function stripDirectives(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = isObject(v) ? stripDirectives(v) : v;
  }
  return out;
}

function strategicMergeAt(original: unknown, patch: unknown, path: string, keys: Record<string, string>): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isObject(original) ? structuredClone(original) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(value)) out[field] = (out[field] as unknown[]).filter((v) => !value.some((d) => deepEqual(d, v)));
      continue;
    }
    const childPath = path === '' ? key : `${path}.${key}`;
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      out[key] = mergeList(Array.isArray(out[key]) ? (out[key] as unknown[]) : [], value, childPath, keys);
    } else if (isObject(value)) {
      const merged = strategicMergeAt(out[key], value, childPath, keys);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const key of Object.keys(out)) if (!patch.$retainKeys.includes(key)) delete out[key];
  }
  return out;
}

/**
 * Strategic merge patch of a built-in object: maps merge recursively, `null` deletes, lists with a merge key
 * (containers by name, ports by containerPort, env by name, ownerReferences by uid …) merge element by element,
 * other lists are replaced; `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/…` honoured and
 * `$setElementOrder/…` accepted.
 */
export function strategicMergePatch(target: unknown, patch: unknown, keys: Record<string, string>): unknown {
  if (!isObject(patch)) throw patchFailed('strategic merge patch must be a JSON object');
  return strategicMergeAt(target, patch, '', keys);
}

export type { Json };
