// Splits the program into two CommonJS files for the launcher (bin/launch.ts): the *core* — everything every start
// evaluates (the static closure of the entry and the CLI) — and the *lazy* part — everything only reached through
// dynamic import() from the core (services, the Kubernetes client, undici, listr2, inquirer, YAML …). --help and
// `version --client` then read and deserialise 0.8 of 4 MB.
//
// The module graph comes from the one-file build's metafile. In the core build, a dynamic import of a lazy module
// becomes `globalThis.__kubectlTikvLazy(id)`; in the lazy build, any import of a core module becomes
// `globalThis.__kubectlTikvCore(id)`, which the core answers from a table of its own modules — so each module exists
// once (one UserError class, one oclif), exactly as in the one-file build.
import path from 'node:path';
import type { Metafile, Plugin } from 'esbuild';

/** The two sides of the split, as metafile input paths (relative to the working directory, `/`-separated). */
export interface SplitPlan {
  core: Set<string>;
  /** Lazy modules the core imports dynamically: the entries of the lazy file. */
  lazyEntries: string[];
  /** Core modules the lazy side imports: what the core's table must offer. */
  sharedCore: string[];
}

/** Plans the split of a one-file build whose start-up closure is `core`. */
export function planSplit(metafile: Metafile, core: Set<string>): SplitPlan {
  const lazyEntries = new Set<string>();
  const sharedCore = new Set<string>();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const edge of imports) {
      if (edge.external) continue;
      if (core.has(input) && !core.has(edge.path)) {
        if (edge.kind !== 'dynamic-import') throw new Error(`${input} imports ${edge.path} statically, yet it is outside the start-up closure`);
        lazyEntries.add(edge.path);
      }
      if (!core.has(input) && core.has(edge.path)) sharedCore.add(edge.path);
    }
  }
  return { core, lazyEntries: [...lazyEntries].sort(), sharedCore: [...sharedCore].sort() };
}

const LAZY = 'kt-lazy';
const CORE = 'kt-core';

/** A require() table module: `ids` by metafile path, each loaded on first use. */
function table(ids: readonly string[]): string {
  return `{\n${ids.map((id) => `  ${JSON.stringify(id)}: () => require(${JSON.stringify(`./${id}`)}),`).join('\n')}\n}`;
}

/**
 * The core build: entry `entry`, whose dynamic imports of lazy modules go to `globalThis.__kubectlTikvLazy`, and
 * which registers `globalThis.__kubectlTikvCore` for the lazy file before the program starts.
 */
export function coreSide(root: string, plan: SplitPlan, entry: string): { entry: string; plugin: Plugin } {
  return {
    entry: 'kt-core-entry',
    plugin: {
      name: 'split-core',
      setup(build) {
        build.onResolve({ filter: /^kt-core-entry$/ }, () => ({ path: 'kt-core-entry', namespace: 'kt-entry' }));
        build.onLoad({ filter: /.*/, namespace: 'kt-entry' }, () => ({
          contents: `const modules = ${table(plan.sharedCore)};\nglobalThis.__kubectlTikvCore = (id) => modules[id]();\nrequire(${JSON.stringify(`./${entry}`)});\n`,
          loader: 'js',
          resolveDir: root,
        }));
        build.onResolve({ filter: /.*/ }, async (args) => {
          if (args.kind !== 'dynamic-import' || args.pluginData === 'resolving') return undefined;
          const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
          if (resolved.errors.length > 0 || resolved.external) return undefined;
          const id = path.relative(root, resolved.path).split(path.sep).join('/');
          return plan.core.has(id) ? undefined : { path: id, namespace: LAZY };
        });
        build.onLoad({ filter: /.*/, namespace: LAZY }, (args) => ({ contents: `module.exports = globalThis.__kubectlTikvLazy(${JSON.stringify(args.path)});\n`, loader: 'js' }));
      },
    },
  };
}

/** The lazy build: one module exporting `load(id)` for the lazy entries; core modules come from the core's table. */
export function lazySide(root: string, plan: SplitPlan): { entry: string; plugin: Plugin } {
  return {
    entry: 'kt-lazy-entry',
    plugin: {
      name: 'split-lazy',
      setup(build) {
        build.onResolve({ filter: /^kt-lazy-entry$/ }, () => ({ path: 'kt-lazy-entry', namespace: 'kt-entry' }));
        build.onLoad({ filter: /.*/, namespace: 'kt-entry' }, () => ({
          contents: `const modules = ${table(plan.lazyEntries)};\nmodule.exports = (id) => modules[id]();\n`,
          loader: 'js',
          resolveDir: root,
        }));
        build.onResolve({ filter: /.*/ }, async (args) => {
          if (args.pluginData === 'resolving' || args.kind === 'entry-point') return undefined;
          const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
          if (resolved.errors.length > 0 || resolved.external) return undefined;
          const id = path.relative(root, resolved.path).split(path.sep).join('/');
          if (!plan.core.has(id)) return undefined;
          if (!plan.sharedCore.includes(id)) throw new Error(`the lazy file imports ${id}, which the core does not offer`);
          return { path: id, namespace: CORE };
        });
        build.onLoad({ filter: /.*/, namespace: CORE }, (args) => ({ contents: `module.exports = globalThis.__kubectlTikvCore(${JSON.stringify(args.path)});\n`, loader: 'js' }));
      },
    },
  };
}
