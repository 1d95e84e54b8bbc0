// A deterministic .zip writer (sorted entries, one fixed DOS timestamp, Unix permissions, no extra fields) and a
// reader for tests. Files are deflated at level 9, or stored when that does not make them smaller.
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { type ArchiveEntry, archiveTimestampSec, normalizeEntries } from './archive-entry.ts';

/** The bytes of a .zip holding `entries`; the same entries always give the same bytes. */
export function writeZip(entries: readonly ArchiveEntry[], mtimeSec = archiveTimestampSec()): Buffer {
  const { time, date } = dosDateTime(mtimeSec);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of normalizeEntries(entries)) {
    const isDirectory = entry.data === undefined;
    const name = Buffer.from(isDirectory ? `${entry.path}/` : entry.path, 'utf8');
    const data = entry.data ?? Buffer.alloc(0);
    const deflated = isDirectory ? data : deflateRawSync(data, { level: 9 });
    const method = !isDirectory && deflated.length < data.length ? 8 : 0;
    const stored = method === 8 ? deflated : data;
    const checksum = crc32(data);
    if (stored.length > 0xfffffffe || offset > 0xfffffffe) throw new Error(`zip64 is not supported (${entry.path})`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate, directories)
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so that the mode below is read
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(checksum, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    const unixMode = (isDirectory ? 0o040000 : 0o100000) | entry.mode;
    central.writeUInt32LE(((unixMode << 16) | (isDirectory ? 0x10 : 0)) >>> 0, 38); // high: Unix mode; low: MS-DOS directory bit
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** MS-DOS time and date fields for a Unix time, read as UTC. */
function dosDateTime(sec: number): { time: number; date: number } {
  const d = new Date(sec * 1000);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A member of a zip archive as read back. */
export interface ZipMember {
  path: string;
  directory: boolean;
  mode: number;
  method: number;
  dosTime: number;
  dosDate: number;
  data: Buffer;
}

/** The members of a zip (central directory order), inflated and checked against their CRC-32. */
export function readZip(archive: Buffer): ZipMember[] {
  const endAt = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt < 0) throw new Error('not a zip: no end of central directory');
  const count = archive.readUInt16LE(endAt + 10);
  let at = archive.readUInt32LE(endAt + 16);
  const members: ZipMember[] = [];
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at ${at}`);
    const method = archive.readUInt16LE(at + 10);
    const checksum = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const external = archive.readUInt32LE(at + 38);
    const localAt = archive.readUInt32LE(at + 42);
    const name = archive.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = localAt + 30 + archive.readUInt16LE(localAt + 26) + archive.readUInt16LE(localAt + 28);
    const raw = archive.subarray(dataAt, dataAt + compressedSize);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    if (crc32(data) !== checksum) throw new Error(`CRC mismatch for ${name}`);
    members.push({
      path: name.replace(/\/$/, ''),
      directory: name.endsWith('/'),
      mode: (external >>> 16) & 0o7777,
      method,
      dosTime: archive.readUInt16LE(at + 12),
      dosDate: archive.readUInt16LE(at + 14),
      data,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}
