/** A file or directory to put into a release archive. Paths use `/` and are relative to the archive's root. */
export interface ArchiveEntry {
  path: string;
  /** Absent for a directory. */
  data?: Buffer;
  /** Unix permission bits: 0o755 for executables and directories, 0o644 otherwise. */
  mode: number;
}

/**
 * The timestamp every archive entry carries: SOURCE_DATE_EPOCH when set (reproducible-builds.org), else
 * 1980-01-01T00:00:00Z, the earliest time a zip file can record. Archives then depend only on their contents.
 */
export function archiveTimestampSec(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const fromEnv = env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Math.max(Number(fromEnv), DOS_EPOCH_SEC);
  return DOS_EPOCH_SEC;
}

const DOS_EPOCH_SEC = 315_532_800;

/** Entries sorted by path, with a directory entry before its contents and every parent directory present. */
export function normalizeEntries(entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  const byPath = new Map<string, ArchiveEntry>();
  for (const entry of entries) {
    if (entry.path === '' || entry.path.startsWith('/') || entry.path.split('/').includes('..')) throw new Error(`unsafe archive path: ${entry.path}`);
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const directory = parts.slice(0, i).join('/');
      if (!byPath.has(directory)) byPath.set(directory, { path: directory, mode: 0o755 });
    }
    if (byPath.has(entry.path) && entry.data !== undefined) throw new Error(`duplicate archive path: ${entry.path}`);
    byPath.set(entry.path, entry);
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
