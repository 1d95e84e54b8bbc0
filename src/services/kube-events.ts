import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import { KINDS } from '../kube/kinds.ts';
import type { Kube, ObjectRef } from '../kube/kube.ts';
import type { Clock } from './clock.ts';
import { recordHolder } from './record-holder.ts';
import type { EventSink, PodSource } from './step-ports.ts';

/**
 * Kubernetes Events (core/v1, source `kubectl-tikv`) for each step, on the member's record holder (it outlives the
 * pod, so `kubectl describe` of the TidbCluster, StatefulSet or TiKV instance tells the whole story) and on the pod
 * as it is at that moment.
 */
export function kubeEvents(kube: Kube, cluster: DetectedCluster, pods: PodSource, clock: Clock): EventSink {
  const namespace = cluster.ref.namespace;
  const reportingInstance = hostname();
  const create = async (involved: ObjectRef & { uid?: string }, type: string, reason: string, message: string) => {
    const now = new Date(clock.now()).toISOString();
    await kube.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, namespace, name: involved.name, ...(involved.uid ? { uid: involved.uid } : {}) },
      type,
      reason,
      message,
      source: { component: 'kubectl-tikv' },
      reportingComponent: 'kubectl-tikv',
      reportingInstance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  };
  return {
    async record(member, event) {
      const targets: (ObjectRef & { uid?: string })[] = [recordHolder(cluster, member)];
      const pod = pods.get(member.podName);
      if (pod) targets.push({ ...KINDS.pod, namespace, name: pod.name, uid: pod.uid });
      const results = await Promise.allSettled(targets.map((t) => create(t, event.type, event.reason, event.message)));
      return results.every((r) => r.status === 'fulfilled');
    },
  };
}
