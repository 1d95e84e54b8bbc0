import { stripAnsi } from './color.ts';

/** One column of a kubectl-style table. */
export interface Column<Row> {
  /** Header as printed (kubectl prints upper case: NAME, READY, STATUS). */
  header: string;
  /** The cell text; may contain ANSI colour, which is not counted in the width. */
  value: (row: Row) => string;
  /** Only shown with `-o wide`. */
  wide?: boolean;
  /** Numbers read better right-aligned. */
  align?: 'left' | 'right';
}

/**
 * Renders rows as kubectl does: an upper-case header line, columns padded to the widest cell and separated by three
 * spaces, no borders, no trailing spaces. Returns '' for no rows unless `emptyMessage` is given.
 */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[], options: { wide?: boolean; emptyMessage?: string } = {}): string {
  if (rows.length === 0) return options.emptyMessage ? `${options.emptyMessage}\n` : '';
  const shown = columns.filter((c) => options.wide || !c.wide);
  const cells = rows.map((row) => shown.map((c) => sanitize(c.value(row))));
  const widths = shown.map((c, i) => Math.max(visibleWidth(c.header), ...cells.map((r) => visibleWidth(r[i]))));
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const pad = ' '.repeat(widths[i] - visibleWidth(value));
        const last = i === values.length - 1;
        if (shown[i].align === 'right') return pad + value;
        return last ? value : value + pad;
      })
      .join('   ')
      .replace(/\s+$/, '');
  return [line(shown.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Cells are one line: a newline or tab inside a value would break the columns. */
function sanitize(value: string): string {
  return value === '' ? '' : value.replace(/[\r\n\t]+/g, ' ');
}

/** Display width: ANSI sequences count zero, East Asian wide characters two. */
export function visibleWidth(text: string): number {
  let width = 0;
  for (const char of stripAnsi(text)) {
    const code = char.codePointAt(0) ?? 0;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
