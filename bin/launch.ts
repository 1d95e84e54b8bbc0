// Runs the program (bin/kubectl-tikv.ts) with V8's code cache; built to dist/launch.cjs. The npm package
// (bin/run.js) and the Linux/macOS archives (the `kubectl-tikv` sh launcher) start here with the program's files
// beside it; the Windows executable is a Node single-executable application whose main script is this file and
// whose assets are the program's files (scripts/package/sea.ts).
//
// The program is split in two files (scripts/build/split.ts): kubectl-tikv-core.cjs, what every start evaluates, and
// kubectl-tikv-lazy.cjs, loaded on the first dynamic import of a service, the Kubernetes client … — so --help reads
// and deserialises a fifth of the code.
//
// Why not module.enableCompileCache(): Node writes that cache right after compiling a file, before running it, so it
// holds only the top-level code; every function the CLI calls (oclif's config and help, the command) was compiled
// again at each start (measured: --help 66 ms of CPU with it, 48 ms with this). Here each file's cache is made with
// vm.Script#createCachedData() once the command has run, so it holds those functions too — also in the Windows
// executable, where Node's own SEA code cache cannot be made by a cross-build. V8 checks the cache against its
// version and flags (a rejected cache is rewritten) and the source only by length: the file name carries the file's
// content hash, which the build writes into this launcher together with the files.
//
// A cache made after `--help` lacks what `status` then compiles at every run; so each cache records how much heap
// the run that made it used, and a run that used a quarter more (it loaded more code) writes a new one, which holds
// what the cache had plus what this run compiled.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { compileCacheDirectory } from '../src/cli/compile-cache-dir.ts';

/** What the build wrote: each file's name, sha256 and length. */
declare const PROGRAM_FILES: { core: ProgramFile; lazy: ProgramFile };

interface ProgramFile {
  name: string;
  sha256: string;
  bytes: number;
}

/** First bytes of a cache file; the next four are the heap (KiB) of the run that wrote it, then V8's data. */
const MAGIC = 'KTC1';
/** Caches not written for this long belong to versions (of kubectl-tikv or Node) no longer run. */
const UNUSED_CACHE_MS = 30 * 24 * 3600 * 1000;

const sea = process.getBuiltinModule('node:sea');
const inSea = sea.isSea();

const cacheDirectory = process.env.NODE_DISABLE_COMPILE_CACHE
  ? undefined
  : compileCacheDirectory(process.env, process.platform, () => process.getBuiltinModule('node:os').homedir());

let lazyExports: ((id: string) => unknown) | undefined;
(globalThis as { __kubectlTikvLazy?: (id: string) => unknown }).__kubectlTikvLazy = (id) => {
  lazyExports ??= run(PROGRAM_FILES.lazy) as (id: string) => unknown;
  return lazyExports(id);
};
run(PROGRAM_FILES.core);

/** Compiles (with its code cache) and runs one file of the program as a CommonJS module; returns its exports. */
function run(file: ProgramFile): unknown {
  // In the single-executable application __dirname is the executable's directory: the name is for stack traces.
  const filename = path.join(__dirname, file.name);
  // esbuild writes ASCII only, so latin1 decodes it exactly and into V8's compact one-byte strings (a large one
  // outside V8's heap).
  const source = inSea ? Buffer.from(sea.getRawAsset(file.name)).toString('latin1') : readFileSync(filename, 'latin1');
  const cacheFile = cacheDirectory && source.length === file.bytes ? path.join(cacheDirectory, `${process.version}-${process.arch}-${file.sha256.slice(0, 16)}.v8cache`) : undefined;
  let cache: { data: Buffer; heapKiB: number } | undefined;
  try {
    if (cacheFile) cache = parseCacheFile(readFileSync(cacheFile));
  } catch {
    // No cache yet (first run after an install or an upgrade): compile, and write one when the command is done.
  }
  // The file is a function expression with CommonJS's parameters (scripts/build.ts): compiled as it is, a large
  // source stays an external string; Module.wrap() would make V8 copy it into its heap.
  const script = new vm.Script(source, {
    filename,
    cachedData: cache?.data,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cacheFile) {
    const stale = !cache || script.cachedDataRejected;
    // bin/kubectl-tikv.ts exits the process when the command and its cleanup are done; 'exit' listeners run then.
    process.once('exit', () => {
      const heapKiB = Math.round(process.memoryUsage().heapUsed / 1024);
      if (stale || heapKiB > (cache?.heapKiB ?? 0) * 1.25) saveCodeCache(cacheFile, script, heapKiB);
    });
  }
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {}, filename, id: filename };
  wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, path.dirname(filename));
  return module.exports;
}

/** The V8 data and the heap size recorded in a cache file (MAGIC, uint32 LE KiB, V8 data); undefined if not one. */
function parseCacheFile(file: Buffer): { data: Buffer; heapKiB: number } | undefined {
  if (file.length < 8 || file.toString('latin1', 0, 4) !== MAGIC) return undefined;
  return { data: file.subarray(8), heapKiB: file.readUInt32LE(4) };
}

function saveCodeCache(file: string, compiled: vm.Script, heapKiB: number): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const header = Buffer.alloc(8);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(Math.min(heapKiB, 0xffffffff), 4);
    // Written aside and renamed, so that a concurrent run never reads half a cache.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.concat([header, compiled.createCachedData()]));
    renameSync(partial, file);
    pruneCodeCaches(path.dirname(file));
  } catch {
    // An unwritable cache directory only costs start-up time.
  }
}

/**
 * Removes old caches of other builds (every upgrade leaves one); only when a cache was written, which is rare. A
 * cache still in use that is removed is written again by its next run.
 */
function pruneCodeCaches(directory: string): void {
  const now = Date.now();
  for (const name of readdirSync(directory)) {
    if (!/\.v8cache(\.\d+\.partial)?$/.test(name)) continue;
    const file = path.join(directory, name);
    try {
      if (now - statSync(file).mtimeMs > UNUSED_CACHE_MS) rmSync(file, { force: true });
    } catch {
      // Removed by a concurrent run.
    }
  }
}
