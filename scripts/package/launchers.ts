// The small scripts in the archives that kubectl runs: POSIX sh for Linux and macOS (no readlink -f, no bash), a
// .cmd for Windows' completion hook.

/**
 * `kubectl-tikv` for Linux and macOS. krew puts a symlink to it on PATH (~/.krew/bin/kubectl-tikv →
 * ~/.krew/store/tikv/v…/kubectl-tikv); it follows the links to its real directory and execs the Node.js shipped
 * there with the bundle's launcher, so argv, stdio, signals and the exit code are the CLI's own. NODE_OPTIONS and
 * NODE_PATH are the user's settings for *their* Node (a `--require` hook there would break this one), so they are
 * dropped; KUBECTL_TIKV_NODE_OPTIONS passes options to the bundled Node instead.
 */
export function posixLauncher(version: string): string {
  return `#!/bin/sh
# kubectl-tikv v${version}: runs the Node.js runtime shipped beside this file with the kubectl-tikv bundle.
${RESOLVE_SELF}
unset NODE_PATH
NODE_OPTIONS=\${KUBECTL_TIKV_NODE_OPTIONS-}
export NODE_OPTIONS
exec "$dir/node/bin/node" "$dir/lib/launch.cjs" "$@"
`;
}

/**
 * `kubectl_complete-tikv`, kubectl's completion hook for the plugin (kubectl ≥ 1.26 runs it from PATH). It runs
 * the \`kubectl-tikv\` beside it: in the install directory that is the launcher; copied next to krew's link in
 * ~/.krew/bin it is that link, so completion keeps working across \`kubectl krew upgrade\`.
 */
export function posixCompletionLauncher(version: string): string {
  return `#!/bin/sh
# kubectl_complete-tikv v${version}: shell completion for \`kubectl tikv\` (kubectl 1.26+ runs this from PATH).
${RESOLVE_SELF}
exec "$dir/kubectl-tikv" __complete "$@"
`;
}

// Follows symlinks with readlink(1) (no -f: macOS before 12.3 lacks it), or ls -l where readlink is missing; a
// relative link is relative to the directory of the link. Sets $dir to the directory of the real file.
const RESOLVE_SELF = `self=$0
while [ -h "$self" ]; do
  if command -v readlink >/dev/null 2>&1; then
    link=$(readlink "$self")
  else
    link=$(ls -ld "$self") && link=\${link#* -> }
  fi
  case $link in
    /*) self=$link ;;
    *) case $self in */*) self=\${self%/*}/$link ;; *) self=$link ;; esac ;;
  esac
done
case $self in */*) dir=\${self%/*} ;; *) dir=. ;; esac`;

/** `kubectl_complete-tikv.cmd` for Windows: runs kubectl-tikv.exe from its own directory. */
export function windowsCompletionLauncher(version: string): string {
  return [
    '@echo off',
    `rem kubectl_complete-tikv v${version}: shell completion for "kubectl tikv" (kubectl 1.26+ runs this from PATH).`,
    '"%~dp0kubectl-tikv.exe" __complete %*',
    '',
  ].join('\r\n');
}
