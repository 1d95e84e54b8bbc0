/**
 * Shape-checked reads of PD's JSON. PD omits zero values and fields added after a client's version, so every reader
 * says whether a field may be missing; a present field of the wrong type is a PdShapeError naming where it was.
 */

/** PD's JSON does not have the shape its API promises; `where` names the field (`stores[2].store.id`). */
export class PdShapeError extends Error {
  constructor(where: string, expected: string, value: unknown) {
    super(`${where}: expected ${expected}, got ${describe(value)}`);
    this.name = 'PdShapeError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PdShapeError(where, 'an object', value);
  return value as JsonObject;
}

/** An array; Go's nil slice (`null`) and a missing field read as empty. */
export function asArrayOrEmpty(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new PdShapeError(where, 'an array', value);
  return value;
}

export function optionalString(object: JsonObject, key: string, where: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new PdShapeError(`${where}.${key}`, 'a string', value);
  return value;
}

export function requiredString(object: JsonObject, key: string, where: string): string {
  const value = optionalString(object, key, where);
  if (value === undefined) throw new PdShapeError(`${where}.${key}`, 'a string', object[key]);
  return value;
}

/** A number that fits a JS number (safe integers, floats); `bigint` only within the safe range. */
export function optionalNumber(object: JsonObject, key: string, where: string): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number(value);
  }
  throw new PdShapeError(`${where}.${key}`, 'a number', value);
}

export function optionalInteger(object: JsonObject, key: string, where: string): number | undefined {
  const value = optionalNumber(object, key, where);
  if (value !== undefined && !Number.isInteger(value)) throw new PdShapeError(`${where}.${key}`, 'an integer', value);
  return value;
}

export function requiredInteger(object: JsonObject, key: string, where: string): number {
  const value = optionalInteger(object, key, where);
  if (value === undefined) throw new PdShapeError(`${where}.${key}`, 'an integer', object[key]);
  return value;
}

/** A uint64 of any size as a decimal string (PD's cluster and member ids exceed 2^53). */
export function optionalUint64String(object: JsonObject, key: string, where: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'bigint' && value >= 0n) return value.toString();
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  throw new PdShapeError(`${where}.${key}`, 'an unsigned integer', value);
}

/** A boolean that PD may send as a JSON boolean or, for `,string` Go fields, as `"true"`/`"false"`. */
export function optionalBoolean(object: JsonObject, key: string, where: string): boolean | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new PdShapeError(`${where}.${key}`, 'a boolean', value);
}

export function optionalStringArray(object: JsonObject, key: string, where: string): string[] {
  return asArrayOrEmpty(object[key], `${where}.${key}`).map((item, index) => {
    if (typeof item !== 'string') throw new PdShapeError(`${where}.${key}[${index}]`, 'a string', item);
    return item;
  });
}
