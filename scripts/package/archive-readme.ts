// README.md of a release archive: what is inside, how to install and run it, what it needs.
import type { Platform } from './platforms.ts';

/** The README text for `platform`'s archive of `version`. */
export function archiveReadme(version: string, platform: Platform, nodeVersion: string): string {
  const windows = platform.os === 'windows';
  const layout = windows
    ? [
        '    kubectl-tikv.exe               the plugin: Node.js with kubectl-tikv inside (a single executable)',
        '    kubectl_complete-tikv.cmd      shell completion hook for kubectl 1.26+',
      ]
    : [
        '    kubectl-tikv                   the plugin (a small sh launcher)',
        '    kubectl_complete-tikv          shell completion hook for kubectl 1.26+',
        `    node/bin/node                  Node.js v${nodeVersion}, the official build, unmodified`,
        '    lib/                           kubectl-tikv itself (bundled JavaScript)',
      ];
  return `# kubectl tikv v${version} (${platform.os}/${platform.arch})

Safe, boring TiKV maintenance on Kubernetes: \`kubectl tikv status\`, \`evict\`,
\`restart\`, \`upgrade\` and \`version\`, with your current kubeconfig. Leaders are
evicted through PD before a TiKV pod goes down, and every scheduler the plugin
adds is removed again, whatever happens.

This archive needs nothing else installed: it carries its own Node.js.

## Install

With krew: \`kubectl krew install tikv\`. By hand: unpack this archive into a
directory of its own and put ${windows ? '`kubectl-tikv.exe`' : 'a symlink to `kubectl-tikv`'} on your PATH${windows ? ' (with the other files beside it)' : ''}.
Then \`kubectl tikv --help\`.

## Shell completion

kubectl 1.26 and later complete plugin commands, flags and TiKV pod names when
\`kubectl_complete-tikv\` is on PATH. After a krew install, copy it next to the
plugin once:

${
  windows
    ? '    copy "%USERPROFILE%\\.krew\\store\\tikv\\v' + version + '\\kubectl_complete-tikv.cmd" "%USERPROFILE%\\.krew\\bin\\"'
    : `    cp "\${KREW_ROOT:-$HOME/.krew}/store/tikv/v${version}/kubectl_complete-tikv" "\${KREW_ROOT:-$HOME/.krew}/bin/"`
}

## Contents

${layout.join('\n')}
    LICENSE                        kubectl-tikv's licence (Apache-2.0)
    THIRD-PARTY-NOTICES.txt        licences of Node.js and the bundled packages

## Environment

- \`KUBECONFIG\` and the usual kubectl flags select the cluster.
- V8's code cache is kept in ${windows ? '`%LOCALAPPDATA%\\kubectl-tikv`' : platform.os === 'darwin' ? '`~/Library/Caches/kubectl-tikv`' : '`$XDG_CACHE_HOME/kubectl-tikv` (`~/.cache/kubectl-tikv`)'}
  to start faster; \`NODE_DISABLE_COMPILE_CACHE=1\` turns it off.${
    windows
      ? ''
      : `
- \`NODE_OPTIONS\` is ignored (it is meant for your own Node.js);
  \`KUBECTL_TIKV_NODE_OPTIONS\` passes options to the bundled one.`
  }
`;
}
