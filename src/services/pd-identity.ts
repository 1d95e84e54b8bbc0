import { UsageError, UserError } from '../errors.ts';
import { listTikvPods } from '../kube/tikv-pods.ts';
import type { ClusterSession } from './cluster-session.ts';
import { readClusterSnapshot } from './cluster-session.ts';

/** The pod label tidb-operator (v1 and v2) puts PD's cluster id in. */
export const CLUSTER_ID_LABEL = 'tidb.pingcap.com/cluster-id';

/**
 * Refuses a PD that serves another TiKV cluster (a `--pd-url` or `--pd-service` pointing elsewhere), before anything
 * is read from it or changed through it: its cluster id differs from the one tidb-operator recorded on the TiKV pods,
 * or — where no id is recorded — none of the cluster's TiKV pods is one of its stores. A PD that cannot be reached is
 * not judged here (the command then fails on it with its own message).
 */
export async function verifyPdIdentity(session: ClusterSession, options: { target: string; signal?: AbortSignal }): Promise<void> {
  const { pd, kube, cluster } = session;
  const { signal } = options;
  const members = await pd.members({ signal }).catch((error: unknown) => {
    // PD's service named by the user (or found) does not exist or has no such port: bad input, said plainly.
    const missing = userErrorIn(error);
    if (missing && /^service "[^"]+" (not found|in namespace "[^"]+" has no port)/.test(missing.message)) throw new UsageError(missing.message, { suggestions: missing.suggestions, cause: error });
    return undefined;
  });
  if (!members) return;
  const pods = await listTikvPods(kube, cluster, { signal });
  if (pods.length === 0) return;
  const suggestions = [
    `Point --pd-url or --pd-service at the PD of ${cluster.ref.name}, or leave them out to use the PD found for it.`,
    "'kubectl tikv status' shows which PD kubectl-tikv finds on its own.",
  ];
  const recorded = new Set(pods.map((p) => p.labels[CLUSTER_ID_LABEL]).filter((id): id is string => Boolean(id)));
  if (recorded.size > 0) {
    if (members.clusterId && !recorded.has(members.clusterId)) {
      throw new UsageError(`${options.target} belongs to another TiKV cluster: its cluster id is ${members.clusterId}, but ${cluster.ref.name}'s TiKV pods carry ${[...recorded].join(', ')}`, { suggestions });
    }
    return;
  }
  const snapshot = await readClusterSnapshot(session, signal).catch(() => undefined);
  if (!snapshot || snapshot.stores.length === 0) return;
  if (snapshot.mapping.members.every((m) => !m.store)) {
    throw new UsageError(`${options.target} serves another TiKV cluster: none of its ${snapshot.stores.length} stores is a TiKV pod of ${cluster.ref.name} in namespace "${cluster.ref.namespace}"`, { suggestions });
  }
}

/** The first UserError among an error's causes (a PD call failed because its port-forward target was refused). */
function userErrorIn(error: unknown): UserError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof UserError) return cause;
  }
  return undefined;
}
