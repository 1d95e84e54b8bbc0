import { Flags } from '@oclif/core';
import { TOPOLOGIES } from '../core/model.ts';

/**
 * Flags every command takes. Kept apart from the commands so that argv normalisation (flags anywhere) and help
 * can enumerate them. Durations stay strings here: `resolveGlobalOptions` parses them with a message that names the
 * flag (oclif's own parse-error wording is not what kubectl users read).
 */
const KUBECTL = 'KUBECTL';
const CLUSTER = 'TIKV CLUSTER';
const OUTPUT = 'OUTPUT';

/** The kubectl flags users expect (stack.md), with kubectl's meaning. */
export const kubectlFlags = {
  kubeconfig: Flags.string({ helpGroup: KUBECTL, helpValue: 'PATH', description: 'Path to the kubeconfig file to use (instead of $KUBECONFIG or ~/.kube/config).' }),
  context: Flags.string({ helpGroup: KUBECTL, helpValue: 'NAME', description: 'The kubeconfig context to use.' }),
  'kube-cluster': Flags.string({
    helpGroup: KUBECTL,
    helpValue: 'NAME',
    description: "The kubeconfig cluster to use (kubectl's --cluster; here --cluster names the TiKV cluster).",
  }),
  user: Flags.string({ helpGroup: KUBECTL, helpValue: 'NAME', description: 'The kubeconfig user to use.' }),
  namespace: Flags.string({ char: 'n', helpGroup: KUBECTL, helpValue: 'NS', description: "Namespace of the TiKV cluster (default: the context's namespace, else 'default')." }),
  as: Flags.string({ helpGroup: KUBECTL, helpValue: 'USER', description: 'Username to impersonate for the operation.' }),
  'as-group': Flags.string({
    helpGroup: KUBECTL,
    helpValue: 'GROUP',
    multiple: true,
    multipleNonGreedy: true,
    description: 'Group to impersonate for the operation; repeat for several groups.',
  }),
  'request-timeout': Flags.string({
    helpGroup: KUBECTL,
    helpValue: 'DURATION',
    description: 'How long to wait for one Kubernetes API request (e.g. 10s, 1m; a bare number is seconds; 0 waits forever). Default 30s.',
  }),
  server: Flags.string({ char: 's', helpGroup: KUBECTL, helpValue: 'URL', description: 'Address and port of the Kubernetes API server.' }),
  token: Flags.string({ helpGroup: KUBECTL, helpValue: 'TOKEN', description: 'Bearer token for authentication to the API server.' }),
  'insecure-skip-tls-verify': Flags.boolean({
    helpGroup: KUBECTL,
    description: "Don't verify the API server's certificate (insecure).",
  }),
};

/** Which TiKV cluster, and how to reach its PD. */
export const clusterFlags = {
  cluster: Flags.string({
    helpGroup: CLUSTER,
    helpValue: 'NAME',
    description: 'The TiKV cluster (TidbCluster, Cluster, tikv.org cluster or StatefulSet) when the namespace holds several. Not the kubeconfig cluster: that is --kube-cluster.',
  }),
  topology: Flags.string({
    helpGroup: CLUSTER,
    options: [...TOPOLOGIES],
    helpValue: 'TOPOLOGY',
    description: `Skip detection and treat the cluster as this topology: ${TOPOLOGIES.join(', ')}.`,
  }),
  selector: Flags.string({
    char: 'l',
    helpGroup: CLUSTER,
    helpValue: 'SELECTOR',
    description: 'Label selector of TiKV StatefulSets/pods for the plain StatefulSet topology (default app.kubernetes.io/component=tikv).',
  }),
  'pd-service': Flags.string({ helpGroup: CLUSTER, helpValue: 'NAME', description: "PD's Kubernetes service to port-forward to (default: found from the topology)." }),
  'pd-url': Flags.string({ helpGroup: CLUSTER, helpValue: 'URL', description: 'Reach PD directly at this URL instead of through a port-forward.' }),
  'pd-insecure-skip-tls-verify': Flags.boolean({
    helpGroup: CLUSTER,
    description: "Don't verify the TLS certificates of PD and TiKV (insecure: anyone on the path can read and change the traffic). Warns on every run.",
  }),
};

/** Output and diagnostics. */
export const outputFlags = {
  output: Flags.string({ char: 'o', helpGroup: OUTPUT, options: ['json', 'yaml', 'wide'], helpValue: 'FORMAT', description: 'Output format: json, yaml or wide.' }),
  verbose: Flags.boolean({ char: 'v', helpGroup: OUTPUT, description: 'Explain more: causes of errors, every step.' }),
  'no-color': Flags.boolean({ helpGroup: OUTPUT, description: 'No colours (also when NO_COLOR is set or output is not a terminal).' }),
  'poll-interval': Flags.string({ hidden: true, helpValue: 'DURATION', description: 'How often PD and TiKV are polled (default 500ms).' }),
};

/** The knobs of every command that evicts leaders (evict, restart, upgrade). */
export const evictionFlags = {
  yes: Flags.boolean({ char: 'y', description: 'Do not ask for confirmation (required without a terminal).' }),
  'evict-timeout': Flags.string({ helpValue: 'DURATION', default: '10m', description: 'How long to wait for a store to hold 0 leaders.' }),
  force: Flags.boolean({ description: 'Skip the health gates (PD healthy, every other store Up, no down peers). Loud and dangerous.' }),
};

/** The safety knobs of the commands that restart stores (restart, upgrade). */
export const operationFlags = {
  ...evictionFlags,
  'on-evict-timeout': Flags.string({
    options: ['abort', 'restart'],
    helpValue: 'abort|restart',
    default: 'abort',
    description: 'When eviction times out: abort (the store keeps its leaders, the scheduler is removed) or restart anyway.',
  }),
  'ready-timeout': Flags.string({ helpValue: 'DURATION', default: '10m', description: 'How long to wait for a restarted pod to be Ready and its store Up.' }),
  'leader-return-timeout': Flags.string({
    helpValue: 'DURATION',
    default: '5m',
    description: 'How long to wait for leaders to come back to a restarted store.',
  }),
  'skip-leader-return': Flags.boolean({ description: 'Do not wait for leaders to come back after a restart.' }),
};

/** Flags of every command. */
export const globalFlags = { ...kubectlFlags, ...clusterFlags, ...outputFlags };
