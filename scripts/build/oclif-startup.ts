// esbuild plugins that keep oclif's start-up work to what kubectl-tikv uses, without changing oclif's behaviour
// for it. Each one checks the module it replaces still has the shape it expects and fails the build otherwise, so
// an oclif upgrade cannot silently change what ships.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'esbuild';

/** A module of oclif to replace, found by its path inside @oclif/core. */
const ON = (file: string) => new RegExp(`[\\\\/]@oclif[\\\\/]core[\\\\/]lib[\\\\/]${file.replace(/[/.]/g, (c) => (c === '/' ? '[\\\\/]' : '\\.'))}$`);

/**
 * oclif's `lib/index.js` requires every part of oclif when it is loaded (the parser, the command runner, the help
 * renderer, the update checker's helpers …) and checks the Node version against its own `engines` with semver, which
 * alone compiles dozens of regular expressions at every start. The replacement exports the same names as getters
 * that require each part on first use, and drops the engines check (kubectl-tikv pins its Node, and bin/run.js
 * checks the version for npm installs against kubectl-tikv's stricter range).
 */
export function lazyOclifIndex(): Plugin {
  return {
    name: 'lazy-oclif-index',
    setup(build) {
      build.onLoad({ filter: ON('index.js') }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        return { contents: lazyIndexSource(source, args.path), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** The lazy equivalent of oclif's compiled index (TypeScript's CommonJS output). Exported for tests. */
export function lazyIndexSource(source: string, file = 'lib/index.js'): string {
  const declared = /^exports\.(\w+(?: = exports\.\w+)*) = void 0;$/m.exec(source)?.[1].split(' = exports.') ?? [];
  const modules = new Map<string, string>(); // TypeScript's `var x_1 = require("./x")` → ./x
  for (const [, variable, request] of source.matchAll(/^var (\w+) = require\("([^"]+)"\);$/gm)) modules.set(variable, request);
  const getters = new Map<string, string>();
  for (const [, name, request] of source.matchAll(/^exports\.(\w+) = __importStar\(require\("([^"]+)"\)\);$/gm)) {
    getters.set(name, `require(${JSON.stringify(request)})`);
  }
  const reexport = /^Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return (\w+)\.(\w+); \} \}\);$/gm;
  for (const [, name, variable, member] of source.matchAll(reexport)) {
    const request = modules.get(variable);
    if (request) getters.set(name, `require(${JSON.stringify(request)}).${member}`);
  }
  const missing = declared.filter((name) => !getters.has(name));
  if (declared.length === 0 || missing.length > 0 || getters.size !== declared.length) {
    throw new Error(`${file}: unexpected shape of @oclif/core's index (exports ${declared.join(', ') || 'not found'}; not understood: ${missing.join(', ')}); update scripts/build/oclif-startup.ts`);
  }
  const lines = [
    '"use strict";',
    'Object.defineProperty(exports, "__esModule", { value: true });',
    // oclif's own start-up warning, kept: a deleted working directory makes every path look odd.
    'try { process.cwd(); } catch (error) { if (error.code === "ENOENT") process.stderr.write("WARNING: current directory does not exist\\n"); }',
    ...[...getters].map(([name, expression]) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: function () { return ${expression}; } });`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * oclif's `lib/util/os.js`: at every start `Config.load` asks it for the platform (which imports wsl-utils to tell
 * WSL apart) and the shell — and on Windows, where SHELL is normally unset, it finds the shell by spawning PowerShell
 * to look up the parent process, hundreds of milliseconds per run. kubectl-tikv uses neither answer; the replacement
 * reports `os.platform()` and the shell from SHELL/ComSpec without spawning anything.
 */
export function quickOclifPlatform(): Plugin {
  return {
    name: 'quick-oclif-platform',
    setup(build) {
      build.onLoad({ filter: ON('util/os.js') }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const exported = [...source.matchAll(/^exports\.(\w+) = (\w+);$/gm)].map(([, name]) => name).sort();
        if (exported.join() !== 'getHomeDir,getPlatform,getShell') {
          throw new Error(`${args.path}: @oclif/core's util/os exports ${exported.join(', ')}; update scripts/build/oclif-startup.ts`);
        }
        return { contents: QUICK_OS, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

const QUICK_OS = `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const os = require("node:os");
exports.getHomeDir = function getHomeDir() { return os.homedir(); };
exports.getPlatform = async function getPlatform() { return os.platform(); };
exports.getShell = async function getShell() {
  const shell = process.env.SHELL || (process.platform === "win32" ? process.env.ComSpec || "cmd.exe" : os.userInfo().shell) || "unknown";
  return shell.split(/[\\\\/]/).pop() || "unknown";
};
`;

/**
 * oclif's `lib/config/plugin.js` sorts the commands with String#localeCompare at every start, and the first
 * localeCompare of a process sets up an ICU collator (4 ms of CPU, a tenth of `--help`). Command ids are ASCII
 * words, which sort the same by code unit; the replacement compares them so.
 */
export function plainOclifCommandSort(): Plugin {
  return {
    name: 'plain-oclif-command-sort',
    setup(build) {
      build.onLoad({ filter: ON('config/plugin.js') }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        return { contents: plainCommandSortSource(source, args.path), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

const LOCALE_SORT = '.sort((a, b) => a.id.localeCompare(b.id));';

/** oclif's plugin.js with its command sort by code unit. Exported for tests. */
export function plainCommandSortSource(source: string, file = 'lib/config/plugin.js'): string {
  if (source.split(LOCALE_SORT).length !== 2) {
    throw new Error(`${file}: @oclif/core's command sort is not the expected \`${LOCALE_SORT}\`; update scripts/build/oclif-startup.ts`);
  }
  return source.replace(LOCALE_SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));');
}
