import { stringify as toYaml } from 'yaml';

/** Machine output formats of `-o`. */
export type StructuredFormat = 'json' | 'yaml';

/** True for the `-o` values that print data for machines rather than a table. */
export function isStructured(format: string | undefined): format is StructuredFormat {
  return format === 'json' || format === 'yaml';
}

/**
 * Renders data for machines as kubectl does: JSON indented by four spaces, YAML in block style, each ending with a
 * newline. `undefined` fields are dropped in both.
 */
export function renderStructured(data: unknown, format: StructuredFormat): string {
  if (format === 'json') return `${JSON.stringify(data, null, 4)}\n`;
  const plain = JSON.parse(JSON.stringify(data ?? null)) as unknown;
  return toYaml(plain, { lineWidth: 0 });
}
