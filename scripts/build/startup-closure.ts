// What the bundle evaluates at every start: the modules reachable from the entry through static imports and
// require() calls, as esbuild's metafile records them (dynamic import() edges are where lazy loading begins).
import type { Metafile } from 'esbuild';

/** The modules every start loads: the program entry and the CLI it imports right away. */
export const STARTUP_ROOTS = ['bin/kubectl-tikv.ts', 'src/cli/main.ts'] as const;

/** Inputs of `metafile` statically reachable from `roots` (paths as the metafile lists inputs). */
export function startupClosure(metafile: Metafile, roots: readonly string[]): Set<string> {
  const reached = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const input = pending.pop() as string;
    if (reached.has(input) || !metafile.inputs[input]) continue;
    reached.add(input);
    for (const edge of metafile.inputs[input].imports) {
      if (edge.external || edge.kind === 'dynamic-import') continue;
      pending.push(edge.path);
    }
  }
  return reached;
}

/** The npm package an input belongs to (`@scope/name` or `name`), or undefined for the project's own files. */
export function packageOf(input: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/** Bytes of source per package (own files under their top folder, `src/cli` …) among `inputs`. */
export function closureSizes(metafile: Metafile, inputs: Iterable<string>): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const input of inputs) {
    const key = packageOf(input) ?? input.split('/').slice(0, 2).join('/');
    sizes.set(key, (sizes.get(key) ?? 0) + metafile.inputs[input].bytes);
  }
  return sizes;
}
