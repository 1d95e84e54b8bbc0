import { createHash, randomBytes } from 'node:crypto';

/**
 * A short stable hash of a JSON value (keys sorted), for revision names the way controllers derive them from a
 * pod template: `<prefix>-<10 chars>`.
 */
export function revisionName(prefix: string, value: unknown): string {
  const digest = createHash('sha256').update(stableJson(value)).digest();
  return `${prefix}-${Array.from(digest.subarray(0, 10), (b) => SAFE_CHARS[b % SAFE_CHARS.length]).join('')}`;
}

/** `n` random characters from apimachinery's "safe" alphabet (no vowels, no look-alikes), as generateName uses. */
export function randomSuffix(n = 6): string {
  return Array.from(randomBytes(n), (b) => SAFE_CHARS[b % SAFE_CHARS.length]).join('');
}

const SAFE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
