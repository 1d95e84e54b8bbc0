/**
 * How PD's Go code puts values on the wire, reproduced so the simulator answers byte for byte:
 * `encoding/json` (HTML-escaped strings, uint64 numbers beyond 2^53, `MarshalIndent` with two spaces),
 * `time.Duration.String()`, RFC 3339 with nanoseconds, and docker/go-units byte sizes (`1.819TiB`).
 */

/** A uint64 that must reach the wire as its exact digits (member ids, cluster ids, nanosecond timestamps). */
export class GoUint64 {
  readonly value: bigint;

  constructor(value: bigint | number) {
    this.value = BigInt(value);
  }

  toString(): string {
    return this.value.toString();
  }
}

/** A value already encoded as JSON text, spliced in verbatim (easyjson output inside a larger document). */
export class RawJson {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

const htmlUnsafe = /[<>&\u2028\u2029]/g;

/** Go's `encoding/json` string encoding: JSON escaping plus `<`, `>`, `&`, U+2028 and U+2029 as `\u00XX`. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(htmlUnsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's float64 formatting in JSON (`strconv.FormatFloat(f, 'f'/'e', -1, 64)` as encoding/json chooses). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${n}`);
  if (Object.is(n, -0)) return '-0';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go writes e-notation with at least two exponent digits: 1e-07, 1e+21.
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
}

function encode(value: unknown, indent: string, level: number): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof GoUint64) return value.toString();
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const newline = indent ? `\n${indent.repeat(level + 1)}` : '';
  const close = indent ? `\n${indent.repeat(level)}` : '';
  const colon = indent ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => newline + encode(v, indent, level + 1)).join(',')}${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, v]) => `${newline}${goQuote(k)}${colon}${encode(v, indent, level + 1)}`).join(',')}${close}}`;
}

/**
 * `json.Marshal` (compact) or `json.MarshalIndent(v, "", "  ")`. Object keys keep insertion order (Go uses struct
 * field order; maps are sorted by the caller where Go sorts them). `undefined` members are omitted (omitempty).
 */
export function goJson(value: unknown, options: { indent?: boolean } = {}): string {
  return encode(value, options.indent ? '  ' : '', 0);
}

/** What unrolled/render's `JSON` with `IndentJSON: true` writes: indented JSON and a trailing newline. */
export function renderJson(value: unknown): string {
  return `${goJson(value, { indent: true })}\n`;
}

const units: [bigint, string][] = [
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'm'],
];

function fraction(ns: bigint, unitNs: bigint): string {
  const whole = ns / unitNs;
  const rest = ns % unitNs;
  if (rest === 0n) return whole.toString();
  const digits = unitNs.toString().length - 1;
  return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go's `time.Duration.String()` for a duration in nanoseconds: `2m3.456s`, `1h0m0s`, `500ms`, `0s`. */
export function goDuration(ns: bigint | number): string {
  let d = BigInt(ns);
  if (d === 0n) return '0s';
  const sign = d < 0n ? '-' : '';
  if (d < 0n) d = -d;
  if (d < 1_000_000_000n) {
    if (d < 1_000n) return `${sign}${d}ns`;
    if (d < 1_000_000n) return `${sign}${fraction(d, 1_000n)}µs`;
    return `${sign}${fraction(d, 1_000_000n)}ms`;
  }
  let out = '';
  let rest = d;
  let started = false;
  for (const [unitNs, suffix] of units) {
    const count = rest / unitNs;
    if (count > 0n || started) {
      out += `${count}${suffix}`;
      started = true;
    }
    rest %= unitNs;
  }
  return `${sign}${out}${fraction(rest, 1_000_000_000n)}s`;
}

/** Go's `time.Time` JSON form (RFC 3339 with nanoseconds, trailing zeros trimmed) in UTC, as PD pods run. */
export function goTime(unixNs: bigint): string {
  const ms = unixNs / 1_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  const nanos = unixNs % 1_000_000_000n;
  const frac = nanos === 0n ? '' : `.${nanos.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${frac}Z`;
}

const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** docker/go-units `BytesSize` (`%.4g` + binary unit), which PD's `typeutil.ByteSize` uses: `1.819TiB`, `0B`. */
export function goByteSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < binaryUnits.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${binaryUnits[i]}`;
}
