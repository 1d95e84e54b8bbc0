/**
 * PD renders sizes as human strings (`"1.819TiB"`, `"300GiB"`, `"0B"`: Go's ByteSize, four significant digits,
 * binary units). Parsing accepts what PD's own parser accepts: binary multiples whether written `GiB`, `GB` or `G`.
 */

const MULTIPLIER: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
  e: 2 ** 60,
};

const BYTE_SIZE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgtpe]?)(i?b?)\s*$/i;

/** Bytes in a PD size string (`"1.819TiB"` → 1999947186814); undefined when it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const match = BYTE_SIZE.exec(text);
  if (!match) return undefined;
  const [, amount, prefix, suffix] = match;
  // A bare "i" (e.g. "5Gi" is fine, "5i" is not) only follows a prefix.
  if (prefix === '' && suffix.toLowerCase().startsWith('i')) return undefined;
  const multiplier = MULTIPLIER[prefix.toLowerCase()];
  return Math.round(Number(amount) * multiplier);
}
