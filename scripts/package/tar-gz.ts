// A deterministic .tar.gz writer (POSIX ustar: fixed mtime, uid/gid 0, no user names, sorted entries; gzip with no
// name and no timestamp) and a reader for the archives npm and this writer produce.
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ArchiveEntry, archiveTimestampSec, normalizeEntries } from './archive-entry.ts';

const BLOCK = 512;

/** The bytes of a .tar.gz holding `entries`; the same entries always give the same bytes. */
export function writeTarGz(entries: readonly ArchiveEntry[], mtimeSec = archiveTimestampSec()): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of normalizeEntries(entries)) {
    const isDirectory = entry.data === undefined;
    blocks.push(header(isDirectory ? `${entry.path}/` : entry.path, entry.mode, isDirectory ? 0 : entry.data!.length, mtimeSec, isDirectory ? '5' : '0'));
    if (!isDirectory) {
      blocks.push(entry.data!);
      const padding = (BLOCK - (entry.data!.length % BLOCK)) % BLOCK;
      if (padding) blocks.push(Buffer.alloc(padding));
    }
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  // gzip's header then has no file name, mtime 0 and OS "unknown" from zlib: only the level changes the bytes.
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}

function header(name: string, mode: number, size: number, mtimeSec: number, type: '0' | '5'): Buffer {
  const block = Buffer.alloc(BLOCK);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long names at a `/` into prefix (155) and name (100).
    const cut = name.lastIndexOf('/', name.length - 2 > 155 ? 155 : name.length - 2);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(base) > 100) throw new Error(`path too long for ustar: ${name}`);
  }
  block.write(base, 0, 100, 'utf8');
  octal(block, 100, 8, mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtimeSec);
  block.fill(0x20, 148, 156);
  block.write(type, 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  const text = value.toString(8);
  if (text.length > length - 1) throw new Error(`value ${value} does not fit a ${length}-byte tar field`);
  block.write(`${text.padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

/** A member of a tar archive as read back. */
export interface TarMember {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  data: Buffer;
  linkTarget?: string;
}

/** The members of a .tar.gz (or, with `gzipped: false`, a plain tar); understands ustar and pax path records. */
export function readTarGz(archive: Buffer, options: { gzipped?: boolean; only?: (path: string) => boolean } = {}): TarMember[] {
  const tar = options.gzipped === false ? archive : gunzipSync(archive);
  const members: TarMember[] = [];
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) => block.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const number = (start: number, length: number) => parseInt(field(start, length).trim() || '0', 8);
    const size = number(124, 12);
    const typeflag = field(156, 1) || '0';
    const dataStart = offset + BLOCK;
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x') {
      const record = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(tar.toString('utf8', dataStart, dataStart + size));
      paxPath = record?.[1];
      continue;
    }
    if (typeflag === 'g') continue;
    const prefix = field(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    paxPath = undefined;
    const path = name.replace(/\/$/, '');
    if (options.only && !options.only(path)) continue;
    members.push({
      path,
      type: typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : typeflag === '2' ? 'symlink' : 'other',
      mode: number(100, 8) & 0o7777,
      uid: number(108, 8),
      gid: number(116, 8),
      mtimeSec: number(136, 12),
      data: Buffer.from(tar.subarray(dataStart, dataStart + size)),
      linkTarget: typeflag === '2' ? field(157, 100) : undefined,
    });
  }
  return members;
}
