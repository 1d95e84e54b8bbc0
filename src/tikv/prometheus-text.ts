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
  if (options.names !== undefined) return parseNamed(text, new Set(options.names));
  const samples: PrometheusSample[] = [];
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    const sample = parseLine(lineAt(text, start, end), () => lineNumber, undefined);
    if (sample !== undefined) samples.push(sample);
    start = end + 1;
  }
  return samples;
}

/** Only the lines of the wanted metrics, found by searching for their names instead of reading every line. */
function parseNamed(text: string, wanted: Set<string>): PrometheusSample[] {
  const found: { at: number; sample: PrometheusSample }[] = [];
  for (const name of wanted) {
    let from = 0;
    for (;;) {
      const at = text.indexOf(name, from);
      if (at === -1) break;
      from = at + name.length;
      let lineStart = at;
      while (lineStart > 0 && (text[lineStart - 1] === ' ' || text[lineStart - 1] === '\t')) lineStart--;
      const after = text[at + name.length];
      const atLineStart = lineStart === 0 || text[lineStart - 1] === '\n';
      if (!atLineStart || (after !== '{' && after !== ' ' && after !== '\t')) continue;
      let end = text.indexOf('\n', at);
      if (end === -1) end = text.length;
      const sample = parseLine(lineAt(text, lineStart, end), () => lineNumberAt(text, lineStart), wanted);
      if (sample !== undefined) found.push({ at, sample });
      from = end;
    }
  }
  return found.sort((a, b) => a.at - b.at).map((entry) => entry.sample);
}

function lineAt(text: string, start: number, end: number): string {
  return text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
}

function lineNumberAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

function parseLine(line: string, lineOf: () => number, wanted: Set<string> | undefined): PrometheusSample | undefined {
  const fail = (reason: string): never => {
    throw new PrometheusParseError(lineOf(), reason, line);
  };
  let index = skipBlanks(line, 0);
  if (index >= line.length || line[index] === '#') return undefined;

  const nameStart = index;
  if (!NAME_START.test(line[index])) fail('invalid metric name');
  while (index < line.length && NAME_CHAR.test(line[index])) index++;
  const name = line.slice(nameStart, index);
  if (wanted !== undefined && !wanted.has(name)) return undefined;

  const labels: Record<string, string> = {};
  index = skipBlanks(line, index);
  if (line[index] === '{') {
    index = parseLabels(line, index + 1, labels, fail);
    index = skipBlanks(line, index);
  }

  const valueStart = index;
  while (index < line.length && line[index] !== ' ' && line[index] !== '\t') index++;
  const valueText = line.slice(valueStart, index);
  if (valueText === '') fail('missing value');
  const value = parseGoFloat(valueText);
  if (value === undefined) return fail(`invalid value ${JSON.stringify(valueText)}`);

  index = skipBlanks(line, index);
  const sample: PrometheusSample = { name, labels, value };
  if (index < line.length) {
    const timestampText = line.slice(index).trimEnd();
    if (!/^-?\d+$/.test(timestampText)) fail(`invalid timestamp ${JSON.stringify(timestampText)}`);
    sample.timestampMs = Number(timestampText);
  }
  return sample;
}

/** Parses `name="value", …}` from just after `{`; returns the index after `}`. */
function parseLabels(line: string, from: number, labels: Record<string, string>, fail: (reason: string) => never): number {
  let index = skipBlanks(line, from);
  while (line[index] !== '}') {
    if (index >= line.length) fail('unterminated label set');
    const labelStart = index;
    if (!LABEL_START.test(line[index])) fail('invalid label name');
    while (index < line.length && LABEL_CHAR.test(line[index])) index++;
    const labelName = line.slice(labelStart, index);
    index = skipBlanks(line, index);
    if (line[index] !== '=') fail(`expected = after label ${labelName}`);
    index = skipBlanks(line, index + 1);
    if (line[index] !== '"') fail(`expected a quoted value for label ${labelName}`);
    index++;
    let value = '';
    for (;;) {
      if (index >= line.length) fail(`unterminated value of label ${labelName}`);
      const char = line[index];
      if (char === '"') break;
      if (char === '\\') {
        const escaped = line[index + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else fail(`invalid escape \\${escaped ?? ''} in label ${labelName}`);
        index += 2;
        continue;
      }
      value += char;
      index++;
    }
    if (Object.hasOwn(labels, labelName)) fail(`duplicate label ${labelName}`);
    labels[labelName] = value;
    index = skipBlanks(line, index + 1);
    if (line[index] === ',') index = skipBlanks(line, index + 1);
    else if (line[index] !== '}') fail('expected , or } after a label');
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
