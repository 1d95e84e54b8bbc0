/**
 * Parses a Go duration string (`1500m`, `90s`, `1h30m`, `400ms`) as tidb-operator's spec fields carry them, into
 * milliseconds. Throws on anything Go's `time.ParseDuration` would reject.
 */
export function parseGoDurationMs(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const sign = trimmed.startsWith('-') ? -1 : 1;
  const body = trimmed.replace(/^[-+]/, '');
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < body.length) {
    part.lastIndex = index;
    const match = part.exec(body);
    if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}`);
    total += Number(match[1]) * units[match[2]];
    index = part.lastIndex;
  }
  if (body.length === 0) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return sign * total;
}
