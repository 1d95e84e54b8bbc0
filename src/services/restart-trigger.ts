import type { DetectedCluster } from '../kube/detected-cluster.ts';
import { KINDS } from '../kube/kinds.ts';
import { KubeError } from '../kube/kube-error.ts';
import type { Kube } from '../kube/kube.ts';
import type { RestartTrigger } from './step-ports.ts';

/**
 * Restart by deleting the pod, with its uid as a precondition so a replacement is never deleted by mistake. Its
 * controller recreates it: the StatefulSet (tidb-operator v1 — which does not evict on a plain deletion, so
 * kubectl-tikv evicts first — and plain StatefulSets), the seed's TiKV controller, or tidb-operator v2, which
 * evicts the leaders of a terminating pod itself.
 */
export function deletePodTrigger(kube: Kube, cluster: DetectedCluster): RestartTrigger {
  return {
    async trigger(member, podUid, signal) {
      try {
        await kube.delete({ ...KINDS.pod, namespace: cluster.ref.namespace, name: member.podName }, { uid: podUid, signal });
      } catch (error) {
        // 409: the uid precondition failed — the pod was already replaced, which is what the trigger wanted.
        if (error instanceof KubeError && error.status === 409) return;
        throw error;
      }
    },
    describe: (member) => `delete pod ${member.podName}`,
  };
}
