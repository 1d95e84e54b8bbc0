// The Windows single-executable application: Node's SEA blob — the launcher (dist/launch.cjs) as the CommonJS main
// script, the program's files as assets it reads with node:sea — made by the pinned Node (the blob format belongs to
// the Node version, not the platform, so Linux builds it for Windows) and injected with postject into a copy of the
// official node.exe, whose Authenticode signature is removed first (the injection would leave it invalid, which
// Windows treats worse than none). No SEA code cache and no snapshot: both are specific to the platform that builds
// them; the launcher keeps its own code cache on the user's machine instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The fuse Node checks at start-up to know a blob was injected (all Node 20–24 builds). */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The resource (PE), note (ELF) or section (Mach-O) name Node reads the blob from. */
export const SEA_RESOURCE = 'NODE_SEA_BLOB';

/**
 * Builds the SEA preparation blob with `node` (which must be the Node version of the target): `mainScript` runs at
 * start, and `assets` (name → file) are embedded for it to read with `node:sea`.
 */
export function buildSeaBlob(mainScript: string, assets: Readonly<Record<string, string>> = {}, node = process.execPath): Buffer {
  const work = mkdtempSync(path.join(tmpdir(), 'kt-sea-'));
  try {
    const config = path.join(work, 'sea-config.json');
    const output = path.join(work, 'sea-prep.blob');
    writeFileSync(
      config,
      JSON.stringify({ main: mainScript, output, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets }),
    );
    const result = spawnSync(node, ['--experimental-sea-config', config], { encoding: 'utf8', cwd: work });
    if (result.status !== 0) throw new Error(`node --experimental-sea-config failed (exit ${result.status}): ${result.stderr.trim()}`);
    return readFileSync(output);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The blob of kubectl-tikv.exe: the launcher as main script, the split program as its assets (scripts/build.ts). */
export function programSeaBlob(dist: string, node = process.execPath): Buffer {
  const assets = Object.fromEntries(PROGRAM_FILES.map((name) => [name, path.join(dist, name)]));
  return buildSeaBlob(path.join(dist, 'launch.cjs'), assets, node);
}

/** The files of the program that dist/launch.cjs runs. */
export const PROGRAM_FILES = ['kubectl-tikv-core.cjs', 'kubectl-tikv-lazy.cjs'] as const;

/**
 * `executable` (a Node binary: PE, ELF or Mach-O) with `blob` injected and the SEA fuse flipped, by postject's CLI
 * in a child process: its WebAssembly LIEF writes warnings straight to the process's stderr, shown only on failure.
 */
export function injectSeaBlob(executable: Buffer, blob: Buffer, node = process.execPath): Buffer {
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  const work = mkdtempSync(path.join(tmpdir(), 'kt-sea-'));
  try {
    const file = path.join(work, 'executable');
    const blobFile = path.join(work, 'sea-prep.blob');
    writeFileSync(file, executable);
    writeFileSync(blobFile, blob);
    const args = [postject, file, SEA_RESOURCE, blobFile, '--sentinel-fuse', SEA_FUSE, '--macho-segment-name', 'NODE_SEA'];
    const result = spawnSync(node, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`postject failed (exit ${result.status}): ${`${result.stdout}${result.stderr}`.trim()}`);
    return readFileSync(file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The single-executable `kubectl-tikv.exe`: unsigned node.exe + blob, with a correct PE checksum. */
export function windowsExecutable(nodeExe: Buffer, blob: Buffer): Buffer {
  const injected = injectSeaBlob(withoutAuthenticode(nodeExe), blob);
  return withPeChecksum(injected);
}

/** Offsets of the PE32+ fields this file reads and writes. */
function peLayout(pe: Buffer): { optional: number; sections: number; sectionCount: number; directories: number } {
  if (pe.toString('latin1', 0, 2) !== 'MZ') throw new Error('not a PE file: no MZ header');
  const signature = pe.readUInt32LE(0x3c);
  if (pe.toString('latin1', signature, signature + 4) !== 'PE\0\0') throw new Error('not a PE file: no PE signature');
  const coff = signature + 4;
  const optional = coff + 20;
  if (pe.readUInt16LE(optional) !== 0x20b) throw new Error('not a PE32+ (64-bit) executable');
  return {
    optional,
    sections: optional + pe.readUInt16LE(coff + 16),
    sectionCount: pe.readUInt16LE(coff + 2),
    directories: optional + 112,
  };
}

/** `pe` without its Authenticode signature (the certificate table, which sits at the end of the file). */
export function withoutAuthenticode(pe: Buffer): Buffer {
  const { directories } = peLayout(pe);
  const security = directories + 4 * 8;
  const offset = pe.readUInt32LE(security);
  const size = pe.readUInt32LE(security + 4);
  if (offset === 0 || size === 0) return pe;
  if (offset + size < pe.length - 8) throw new Error('the certificate table is not at the end of the executable');
  const stripped = Buffer.from(pe.subarray(0, offset));
  stripped.writeUInt32LE(0, security);
  stripped.writeUInt32LE(0, security + 4);
  return stripped;
}

/** True when `pe` carries a certificate table (an Authenticode signature). */
export function hasAuthenticode(pe: Buffer): boolean {
  const { directories } = peLayout(pe);
  return pe.readUInt32LE(directories + 4 * 8 + 4) !== 0;
}

/** `pe` with the optional header's CheckSum recomputed (the algorithm of ImageHlp's CheckSumMappedFile). */
export function withPeChecksum(pe: Buffer): Buffer {
  const { optional } = peLayout(pe);
  const result = Buffer.from(pe);
  result.writeUInt32LE(peChecksum(result, optional + 64), optional + 64);
  return result;
}

/** The PE checksum of `pe`, skipping the 4-byte field at `checksumAt`. */
export function peChecksum(pe: Buffer, checksumAt = peLayout(pe).optional + 64): number {
  let sum = 0;
  const end = pe.length & ~1;
  for (let i = 0; i < end; i += 2) {
    if (i === checksumAt || i === checksumAt + 2) continue;
    sum += pe[i] | (pe[i + 1] << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (pe.length & 1) {
    sum += pe[pe.length - 1];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + pe.length) >>> 0;
}

/** The stored CheckSum field of `pe`. */
export function storedPeChecksum(pe: Buffer): number {
  return pe.readUInt32LE(peLayout(pe).optional + 64);
}

/**
 * The data of the RCDATA resource named `name` in `pe` (as Windows' FindResource(NULL, name, RT_RCDATA) finds it),
 * or undefined. Reads the resource directory tree: type → name → language → data entry.
 */
export function peResource(pe: Buffer, name: string): Buffer | undefined {
  const { sections, sectionCount, directories } = peLayout(pe);
  const resourceRva = pe.readUInt32LE(directories + 2 * 8);
  if (resourceRva === 0) return undefined;
  const toOffset = (rva: number): number => {
    for (let i = 0; i < sectionCount; i++) {
      const header = sections + i * 40;
      const virtualAddress = pe.readUInt32LE(header + 12);
      const size = Math.max(pe.readUInt32LE(header + 8), pe.readUInt32LE(header + 16));
      if (rva >= virtualAddress && rva < virtualAddress + size) return rva - virtualAddress + pe.readUInt32LE(header + 20);
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  };
  const root = toOffset(resourceRva);
  const entries = (directory: number) => {
    const count = pe.readUInt16LE(directory + 12) + pe.readUInt16LE(directory + 14);
    return Array.from({ length: count }, (_, i) => {
      const entry = directory + 16 + i * 8;
      const id = pe.readUInt32LE(entry);
      const target = pe.readUInt32LE(entry + 4);
      const label = id & 0x80000000 ? pe.toString('utf16le', root + (id & 0x7fffffff) + 2, root + (id & 0x7fffffff) + 2 + 2 * pe.readUInt16LE(root + (id & 0x7fffffff))) : id;
      return { label, subdirectory: (target & 0x80000000) !== 0, offset: root + (target & 0x7fffffff) };
    });
  };
  const RT_RCDATA = 10;
  const type = entries(root).find((e) => e.label === RT_RCDATA && e.subdirectory);
  const named = type && entries(type.offset).find((e) => e.label === name && e.subdirectory);
  const language = named && entries(named.offset).find((e) => !e.subdirectory);
  if (!language) return undefined;
  const dataAt = toOffset(pe.readUInt32LE(language.offset));
  return Buffer.from(pe.subarray(dataAt, dataAt + pe.readUInt32LE(language.offset + 4)));
}
