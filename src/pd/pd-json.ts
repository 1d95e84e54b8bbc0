/**
 * Reading PD's JSON without losing what JavaScript numbers cannot hold: PD's uint64s (cluster and member ids,
 * `last_heartbeat` in nanoseconds) exceed 2^53, and `JSON.parse` would round them. Integers outside the safe range
 * come back as `bigint`, read from the source text (JSON.parse source access, V8 ≥ 11.4 / Node ≥ 21).
 */

interface ReviverContext {
  source?: string;
}

const INTEGER = /^-?\d+$/;

function keepBigIntegers(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && INTEGER.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

/** `JSON.parse`, except that integers beyond ±(2^53 − 1) are `bigint`s with every digit kept. Throws SyntaxError. */
export function parsePdJson(text: string): unknown {
  return JSON.parse(text, keepBigIntegers as (this: unknown, key: string, value: unknown) => unknown);
}

/**
 * Parses a body made of several JSON values one after another (PD v7.5 writes an error message twice:
 * `"msg"\n"msg"\n`). Returns every value in order; throws SyntaxError when the text is not such a sequence.
 */
export function parseJsonSequence(text: string): unknown[] {
  const values: unknown[] = [];
  let index = 0;
  const length = text.length;
  while (index < length) {
    while (index < length && isJsonSpace(text.charCodeAt(index))) index++;
    if (index >= length) break;
    const end = endOfValue(text, index);
    values.push(parsePdJson(text.slice(index, end)));
    index = end;
  }
  return values;
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Index just past the JSON value starting at `start` (strings, objects and arrays nest; scalars end at a delimiter). */
function endOfValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return endOfString(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let index = start;
    while (index < text.length) {
      const char = text[index];
      if (char === '"') {
        index = endOfString(text, index);
        continue;
      }
      if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') {
        depth--;
        if (depth === 0) return index + 1;
      }
      index++;
    }
    throw new SyntaxError('Unterminated JSON value');
  }
  let index = start;
  while (index < text.length && !isJsonSpace(text.charCodeAt(index)) && !'"{['.includes(text[index])) index++;
  return index;
}

function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') index += 2;
    else if (char === '"') return index + 1;
    else index++;
  }
  throw new SyntaxError('Unterminated JSON string');
}

const PD_CODE = /\[(PD:[A-Za-z0-9_.-]+:[A-Za-z0-9_]+)\]/;

/**
 * PD's message from an error body: a JSON string (`"[PD:core:ErrStoreNotFound]store 99 not found"`), `null` (DELETE
 * 404), Go's plain-text `404 page not found`, or an `{"message"|"msg"|"error": …}` object. PD v6/v7.5 handlers that
 * forgot to return after writing an error append a second JSON string (the error again, or the success message
 * "The scheduler is created."): the first message is the error. `pdCode` is the `[PD:<area>:<Code>]` code without
 * brackets, when present.
 */
export function decodePdErrorBody(body: string): { pdMessage: string; pdCode?: string } {
  const trimmed = body.trim();
  let message = trimmed;
  if (trimmed !== '') {
    try {
      message = parseJsonSequence(trimmed).map(messageOf).find((part) => part !== '') ?? '';
    } catch {
      // Not JSON: PD's router and Go's http package answer in plain text.
    }
  }
  const code = PD_CODE.exec(message)?.[1];
  return code === undefined ? { pdMessage: message } : { pdMessage: message, pdCode: code };
}

function messageOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of ['message', 'msg', 'error']) {
      if (typeof record[key] === 'string') return record[key];
    }
  }
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner));
}
