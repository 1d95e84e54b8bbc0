/**
 * The Prometheus text exposition format (0.0.4, and the OpenMetrics text TiKV may serve): `# HELP`/`# TYPE` and
 * other comments, samples `name{label="value",…} value [timestamp]` with labels in any order, escaped label values
 * (`\\`, `\"`, `\n`), a trailing comma, blanks between tokens, and Go float syntax for values (`NaN`, `+Inf`, `-Inf`,
 * exponents).
 */

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** A sample line that is not valid exposition format; `line` is 1-based. */
export class PrometheusParseError extends Error {
  readonly line: number;

  constructor(line: number, reason: string, text: string) {
    super(`line ${line}: ${reason}: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`);
    this.name = 'PrometheusParseError';
    this.line = line;
  }
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Every sample in `text`, in order. With `names`, lines of other metrics are skipped unparsed (TiKV serves
 * megabytes of metrics; a malformed line elsewhere does not matter to one metric). Throws PrometheusParseError.
 */
export function parsePrometheusText(text: string, options: { names?: Iterable<string> } = {}): PrometheusSample[] {
  const wanted = options.names === undefined ? undefined : new Set(options.names);
  const samples: PrometheusSample[] = [];
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    const line = text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    const sample = parseLine(line, lineNumber, wanted);
    if (sample !== undefined) samples.push(sample);
  }
  return samples;
}

function parseLine(line: string, lineNumber: number, wanted: Set<string> | undefined): PrometheusSample | undefined {
  let index = skipBlanks(line, 0);
  if (index >= line.length || line[index] === '#') return undefined;

  const nameStart = index;
  if (!NAME_START.test(line[index])) throw new PrometheusParseError(lineNumber, 'invalid metric name', line);
  while (index < line.length && NAME_CHAR.test(line[index])) index++;
  const name = line.slice(nameStart, index);
  if (wanted !== undefined && !wanted.has(name)) return undefined;

  const labels: Record<string, string> = {};
  index = skipBlanks(line, index);
  if (line[index] === '{') {
    index = parseLabels(line, index + 1, labels, lineNumber);
    index = skipBlanks(line, index);
  }

  const valueStart = index;
  while (index < line.length && line[index] !== ' ' && line[index] !== '\t') index++;
  const valueText = line.slice(valueStart, index);
  if (valueText === '') throw new PrometheusParseError(lineNumber, 'missing value', line);
  const value = parseGoFloat(valueText);
  if (value === undefined) throw new PrometheusParseError(lineNumber, `invalid value ${JSON.stringify(valueText)}`, line);

  index = skipBlanks(line, index);
  const sample: PrometheusSample = { name, labels, value };
  if (index < line.length) {
    const timestampText = line.slice(index).trimEnd();
    if (!/^-?\d+$/.test(timestampText)) throw new PrometheusParseError(lineNumber, `invalid timestamp ${JSON.stringify(timestampText)}`, line);
    sample.timestampMs = Number(timestampText);
  }
  return sample;
}

/** Parses `name="value", …}` from just after `{`; returns the index after `}`. */
function parseLabels(line: string, from: number, labels: Record<string, string>, lineNumber: number): number {
  let index = skipBlanks(line, from);
  while (line[index] !== '}') {
    if (index >= line.length) throw new PrometheusParseError(lineNumber, 'unterminated label set', line);
    const labelStart = index;
    if (!LABEL_START.test(line[index])) throw new PrometheusParseError(lineNumber, 'invalid label name', line);
    while (index < line.length && LABEL_CHAR.test(line[index])) index++;
    const labelName = line.slice(labelStart, index);
    index = skipBlanks(line, index);
    if (line[index] !== '=') throw new PrometheusParseError(lineNumber, `expected = after label ${labelName}`, line);
    index = skipBlanks(line, index + 1);
    if (line[index] !== '"') throw new PrometheusParseError(lineNumber, `expected a quoted value for label ${labelName}`, line);
    index++;
    let value = '';
    for (;;) {
      if (index >= line.length) throw new PrometheusParseError(lineNumber, `unterminated value of label ${labelName}`, line);
      const char = line[index];
      if (char === '"') break;
      if (char === '\\') {
        const escaped = line[index + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else throw new PrometheusParseError(lineNumber, `invalid escape \\${escaped ?? ''} in label ${labelName}`, line);
        index += 2;
        continue;
      }
      value += char;
      index++;
    }
    if (Object.hasOwn(labels, labelName)) throw new PrometheusParseError(lineNumber, `duplicate label ${labelName}`, line);
    labels[labelName] = value;
    index = skipBlanks(line, index + 1);
    if (line[index] === ',') index = skipBlanks(line, index + 1);
    else if (line[index] !== '}') throw new PrometheusParseError(lineNumber, 'expected , or } after a label', line);
  }
  return index + 1;
}

function skipBlanks(line: string, index: number): number {
  while (index < line.length && (line[index] === ' ' || line[index] === '\t')) index++;
  return index;
}

/** Go's strconv.ParseFloat for the forms exporters write: decimals, exponents, NaN and ±Inf (any case). */
function parseGoFloat(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  const unsigned = lower.replace(/^[+-]/, '');
  if (unsigned === 'inf' || unsigned === 'infinity') return lower.startsWith('-') ? -Infinity : Infinity;
  return DECIMAL.test(text) ? Number(text) : undefined;
}
