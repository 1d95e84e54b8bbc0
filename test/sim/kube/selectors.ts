/**
 * Label selectors (the full string syntax of k8s.io/apimachinery/pkg/labels and the `LabelSelector` object of
 * workloads and services) and field selectors (`metadata.name=x,status.phase!=Running`).
 */
import type { KubeObject } from '../../../src/kube/kube.ts';
import { badRequest } from './kube-status.ts';

/** One parsed requirement of a label selector. */
export interface LabelRequirement {
  key: string;
  operator: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

export type LabelSelector = LabelRequirement[];

/** The `LabelSelector` object of Kubernetes APIs. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseError(selector: string, why: string): Error {
  return badRequest(`unable to parse requirement: ${why} (selector "${selector}")`);
}

/** Splits on top-level commas (commas inside `( … )` belong to set values). */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function checkKey(selector: string, key: string): string {
  if (!keyPattern.test(key) || key.split('/').at(-1)!.length > 63) throw parseError(selector, `invalid label key "${key}"`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!valuePattern.test(value) || value.length > 63) throw parseError(selector, `invalid label value: "${value}"`);
  return value;
}

/** Parses a label selector string; throws a 400 StatusError on bad syntax. The empty selector matches everything. */
export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (selector === undefined || selector.trim() === '') return [];
  const out: LabelRequirement[] = [];
  for (const raw of splitRequirements(selector)) {
    const part = raw.trim();
    if (part === '') throw parseError(selector, 'found \'\', expected: !, identifier, or \'end of string\'');
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*([^\s=!<>(),]+)$/))) {
      out.push({ key: checkKey(selector, m[1]), operator: '!exists', values: [] });
    } else if ((m = part.match(/^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3].split(',').map((v) => checkValue(selector, v.trim()));
      out.push({ key: checkKey(selector, m[1]), operator: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^\s=!<>(),]+)\s*(==|=|!=)\s*([^\s=!<>(),]*)$/))) {
      out.push({ key: checkKey(selector, m[1]), operator: m[2] === '!=' ? '!=' : '=', values: [checkValue(selector, m[3])] });
    } else if ((m = part.match(/^([^\s=!<>(),]+)\s*([<>])\s*(-?\d+)$/))) {
      out.push({ key: checkKey(selector, m[1]), operator: m[2] === '>' ? 'gt' : 'lt', values: [m[3]] });
    } else if ((m = part.match(/^([^\s=!<>(),]+)$/))) {
      out.push({ key: checkKey(selector, m[1]), operator: 'exists', values: [] });
    } else {
      throw parseError(selector, `found '${part}', expected: !, identifier, or 'end of string'`);
    }
  }
  return out;
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const value = l[r.key];
    switch (r.operator) {
      case 'exists': return has;
      case '!exists': return !has;
      case '=': return has && value === r.values[0];
      case '!=': return !has || value !== r.values[0];
      case 'in': return has && r.values.includes(value);
      case 'notin': return !has || !r.values.includes(value);
      case 'gt': return has && /^-?\d+$/.test(value) && Number(value) > Number(r.values[0]);
      case 'lt': return has && /^-?\d+$/.test(value) && Number(value) < Number(r.values[0]);
    }
  });
}

/**
 * A `LabelSelector` object as requirements. As in metav1.LabelSelectorAsSelector, a missing selector matches
 * nothing and an empty one matches everything.
 */
export function selectorFromObject(selector: LabelSelectorObject | undefined | null): LabelSelector | undefined {
  if (selector === undefined || selector === null) return undefined;
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) out.push({ key, operator: '=', values: [value] });
  for (const e of selector.matchExpressions ?? []) {
    const operator = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator];
    if (!operator) throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    out.push({ key: e.key, operator, values: e.values ?? [] });
  }
  return out;
}

/** Whether labels match a `LabelSelector` object (a missing selector matches nothing). */
export function matchesSelectorObject(selector: LabelSelectorObject | undefined | null, labels: Record<string, string> | undefined): boolean {
  const parsed = selectorFromObject(selector);
  return parsed !== undefined && matchesLabels(parsed, labels);
}

/** The selector as a string, in the form kubectl prints and accepts. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector.map((r) => {
    switch (r.operator) {
      case 'exists': return r.key;
      case '!exists': return `!${r.key}`;
      case '=': return `${r.key}=${r.values[0]}`;
      case '!=': return `${r.key}!=${r.values[0]}`;
      case 'in': return `${r.key} in (${r.values.join(',')})`;
      case 'notin': return `${r.key} notin (${r.values.join(',')})`;
      case 'gt': return `${r.key}>${r.values[0]}`;
      case 'lt': return `${r.key}<${r.values[0]}`;
    }
  }).join(',');
}

/** One parsed field requirement. */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** Parses a field selector string; throws a 400 StatusError on bad syntax. */
export function parseFieldSelector(selector: string | undefined): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  const out: FieldRequirement[] = [];
  for (const raw of selector.split(/(?<!\\),/)) {
    const m = raw.trim().match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${raw}'`);
    out.push({ field: m[1], operator: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]) });
  }
  return out;
}

/** The value of a dotted field path (`involvedObject.name`, `spec.nodeName`) as the field selector compares it. */
export function fieldValue(object: KubeObject, field: string): string {
  let at: unknown = object;
  for (const part of field.split('.')) {
    if (at === null || typeof at !== 'object') return '';
    at = (at as Record<string, unknown>)[part];
  }
  if (at === undefined || at === null) return '';
  return typeof at === 'string' ? at : String(at);
}

/**
 * Checks that every field is selectable for a resource (`metadata.name`, `metadata.namespace` always; the rest per
 * resource); throws the API server's 400 otherwise.
 */
export function checkFieldLabels(requirements: FieldRequirement[], allowed: string[], kindForMessage: string): void {
  for (const r of requirements) {
    if (r.field === 'metadata.name' || r.field === 'metadata.namespace' || allowed.includes(r.field)) continue;
    throw badRequest(`Unable to find "${kindForMessage}" that match label selector "", field selector "${r.field}${r.operator}${r.value}": field label not supported: ${r.field}`);
  }
}

export function matchesFields(requirements: FieldRequirement[], object: KubeObject): boolean {
  return requirements.every((r) => {
    const value = fieldValue(object, r.field);
    return r.operator === '=' ? value === r.value : value !== r.value;
  });
}
