import path from 'node:path';

/**
 * Where kubectl-tikv keeps V8's compile cache (`module.enableCompileCache`): the user's cache directory, as each
 * platform names it — `$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
 * Windows — with a `kubectl-tikv` folder inside. Undefined when no home is known; Node then uses its own default.
 * Pure (no fs): Node creates the directory, and silently runs without the cache when it cannot.
 */
export function compileCacheDirectory(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform,
  home: () => string | undefined,
): string | undefined {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || (env.USERPROFILE ? path.win32.join(env.USERPROFILE, 'AppData', 'Local') : undefined);
    return local ? path.win32.join(local, 'kubectl-tikv', 'compile-cache') : undefined;
  }
  // XDG says relative values are to be ignored.
  if (platform !== 'darwin' && env.XDG_CACHE_HOME && path.posix.isAbsolute(env.XDG_CACHE_HOME)) {
    return path.posix.join(env.XDG_CACHE_HOME, 'kubectl-tikv', 'compile-cache');
  }
  const userHome = env.HOME || home();
  if (!userHome) return undefined;
  return platform === 'darwin'
    ? path.posix.join(userHome, 'Library', 'Caches', 'kubectl-tikv', 'compile-cache')
    : path.posix.join(userHome, '.cache', 'kubectl-tikv', 'compile-cache');
}
