import { UsageError } from '../errors.ts';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a human duration as kubectl and Go write them (`90s`, `10m`, `1h30m`, `1.5h`, `500ms`) into milliseconds.
 * A bare `0` means zero; other bare numbers are rejected unless `bareNumberUnit` says what they mean (kubectl's
 * `--request-timeout=5` is five seconds). Throws a UsageError naming the flag.
 */
export function parseDuration(input: string, flag: string, options: { bareNumberUnit?: 's' } = {}): number {
  const text = input.trim();
  const fail = (why: string): never => {
    throw new UsageError(`invalid duration "${input}" for --${flag}: ${why}`, {
      suggestions: [`Use a number with a unit, for example --${flag}=90s, --${flag}=10m or --${flag}=1h30m.`],
    });
  };
  if (text === '') fail('it is empty');
  if (/^\d+(\.\d+)?$/.test(text)) {
    const value = Number(text);
    if (value === 0) return 0;
    if (options.bareNumberUnit === 's') return Math.round(value * 1000);
    fail('a unit is missing (ms, s, m or h)');
  }
  let rest = text;
  let totalMs = 0;
  const seen = new Set<string>();
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)/.exec(rest);
    if (!match) {
      fail(/^-/.test(rest) ? 'it cannot be negative' : `"${rest}" is not a number followed by ms, s, m or h`);
      break;
    }
    const [whole, amount, unit] = match;
    if (seen.has(unit)) fail(`the unit "${unit}" appears twice`);
    seen.add(unit);
    totalMs += Number(amount) * UNIT_MS[unit];
    rest = rest.slice(whole.length);
  }
  if (!Number.isFinite(totalMs) || totalMs > Number.MAX_SAFE_INTEGER) fail('it is too large');
  return Math.round(totalMs);
}

/** Formats milliseconds the way users write durations: `1h30m`, `10m`, `90s` → `1m30s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}`;
}
