import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { archiveTimestampSec, type ArchiveEntry, normalizeEntries } from '../../scripts/package/archive-entry.ts';
import { readTarGz, writeTarGz } from '../../scripts/package/tar-gz.ts';
import { readZip, writeZip } from '../../scripts/package/zip.ts';

const entries: ArchiveEntry[] = [
  { path: 'node/bin/node', data: Buffer.from('binary\u0000\u0001'.repeat(1000)), mode: 0o755 },
  { path: 'LICENSE', data: Buffer.from('Apache License\n'), mode: 0o644 },
  { path: 'kubectl-tikv', data: Buffer.from('#!/bin/sh\nexit 0\n'), mode: 0o755 },
  { path: `lib/${'a'.repeat(60)}/${'b'.repeat(60)}.cjs`, data: Buffer.alloc(0), mode: 0o644 },
];

/** Unpacks with a system tool into a temporary directory and returns `ls`-like facts of one file. */
function unpackWith(tool: string[], archive: Buffer, name: string, file: string): { mode: number; mtimeSec: number; content: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kt-unpack-'));
  try {
    const archivePath = path.join(dir, name);
    writeFileSync(archivePath, archive);
    const result = spawnSync(tool[0], [...tool.slice(1), archivePath], { cwd: dir, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const stat = statSync(path.join(dir, file));
    return { mode: stat.mode & 0o777, mtimeSec: Math.round(stat.mtimeMs / 1000), content: readFileSync(path.join(dir, file)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('release archive formats', () => {
  it('orders entries by path, adds parent directories and refuses unsafe paths', () => {
    assert.deepEqual(
      normalizeEntries(entries).map((e) => e.path),
      ['LICENSE', 'kubectl-tikv', 'lib', `lib/${'a'.repeat(60)}`, `lib/${'a'.repeat(60)}/${'b'.repeat(60)}.cjs`, 'node', 'node/bin', 'node/bin/node'],
    );
    assert.throws(() => normalizeEntries([{ path: '../x', data: Buffer.alloc(0), mode: 0o644 }]), /unsafe archive path/);
    assert.throws(() => normalizeEntries([{ path: '/etc/x', data: Buffer.alloc(0), mode: 0o644 }]), /unsafe archive path/);
  });

  it('stamps entries with SOURCE_DATE_EPOCH, or 1980-01-01 without it', () => {
    assert.equal(archiveTimestampSec({}), 315_532_800);
    assert.equal(archiveTimestampSec({ SOURCE_DATE_EPOCH: '1700000000' }), 1_700_000_000);
    assert.equal(archiveTimestampSec({ SOURCE_DATE_EPOCH: 'yesterday' }), 315_532_800);
  });

  describe('tar.gz', () => {
    it('gives the same bytes for the same entries in any order, and other bytes for other contents', () => {
      const one = writeTarGz(entries);
      assert.ok(one.equals(writeTarGz([...entries].reverse())));
      assert.ok(!one.equals(writeTarGz([...entries.slice(1), { ...entries[0], mode: 0o644 }])));
      // gzip header: no file name (FLG 0) and no timestamp (MTIME 0).
      assert.equal(one[3], 0);
      assert.equal(one.readUInt32LE(4), 0);
    });

    it('reads back every entry with its mode, owner root and the fixed time', () => {
      const members = readTarGz(writeTarGz(entries, 1_700_000_000));
      assert.deepEqual(members.map((m) => [m.path, m.type, m.mode.toString(8), m.uid, m.gid, m.mtimeSec]), [
        ['LICENSE', 'file', '644', 0, 0, 1_700_000_000],
        ['kubectl-tikv', 'file', '755', 0, 0, 1_700_000_000],
        ['lib', 'directory', '755', 0, 0, 1_700_000_000],
        [`lib/${'a'.repeat(60)}`, 'directory', '755', 0, 0, 1_700_000_000],
        [`lib/${'a'.repeat(60)}/${'b'.repeat(60)}.cjs`, 'file', '644', 0, 0, 1_700_000_000],
        ['node', 'directory', '755', 0, 0, 1_700_000_000],
        ['node/bin', 'directory', '755', 0, 0, 1_700_000_000],
        ['node/bin/node', 'file', '755', 0, 0, 1_700_000_000],
      ]);
      assert.ok(members.find((m) => m.path === 'node/bin/node')?.data.equals(entries[0].data as Buffer));
    });

    it('unpacks with GNU tar, keeping modes, times and long paths', () => {
      const archive = writeTarGz(entries, 1_700_000_000);
      const listing = spawnSync('tar', ['-tvzf', '-', '--numeric-owner'], { input: archive, encoding: 'utf8' });
      assert.equal(listing.status, 0, listing.stderr);
      assert.match(listing.stdout, /^-rwxr-xr-x 0\/0 +\d+ 2023-11-14 \d\d:\d\d node\/bin\/node$/m);
      const unpacked = unpackWith(['tar', '-xzf'], archive, 'a.tar.gz', `lib/${'a'.repeat(60)}/${'b'.repeat(60)}.cjs`);
      assert.equal(unpacked.mode, 0o644);
      const launcher = unpackWith(['tar', '-xzf'], archive, 'a.tar.gz', 'kubectl-tikv');
      assert.deepEqual([launcher.mode, launcher.mtimeSec, launcher.content.toString()], [0o755, 1_700_000_000, '#!/bin/sh\nexit 0\n']);
    });
  });

  describe('zip', () => {
    it('gives the same bytes for the same entries in any order', () => {
      assert.ok(writeZip(entries).equals(writeZip([...entries].reverse())));
    });

    it('reads back every entry, deflated when that is smaller, with Unix modes and the fixed DOS time', () => {
      const members = readZip(writeZip(entries, 1_700_000_000));
      const node = members.find((m) => m.path === 'node/bin/node');
      assert.ok(node?.data.equals(entries[0].data as Buffer));
      assert.equal(node?.method, 8);
      assert.equal(members.find((m) => m.path === 'LICENSE')?.method, 0, 'a tiny file is stored');
      assert.deepEqual(members.filter((m) => m.directory).map((m) => m.path), ['lib', `lib/${'a'.repeat(60)}`, 'node', 'node/bin']);
      assert.equal(node?.mode, 0o755);
      // 2023-11-14 22:13:20 UTC
      assert.deepEqual([node?.dosDate, node?.dosTime], [((2023 - 1980) << 9) | (11 << 5) | 14, (22 << 11) | (13 << 5) | 10]);
    });

    it('unpacks with Info-ZIP unzip, keeping Unix modes', () => {
      const archive = writeZip(entries, 1_700_000_000);
      const unpacked = unpackWith(['unzip', '-q'], archive, 'a.zip', 'kubectl-tikv');
      assert.deepEqual([unpacked.mode, unpacked.content.toString()], [0o755, '#!/bin/sh\nexit 0\n']);
    });
  });
});
