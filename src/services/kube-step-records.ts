import type { Member } from '../core/model.ts';
import { decodeStepRecord, encodeStepRecord, stepAnnotationKey, type StepRecord } from '../core/step-record.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import type { Kube } from '../kube/kube.ts';
import { recordHolder } from './record-holder.ts';
import type { StepRecordStore } from './step-ports.ts';

/** Step records as annotations (`kubectl-tikv.io/step-<storeId>`) on each member's record holder, merge-patched. */
export function kubeStepRecords(kube: Kube, cluster: DetectedCluster): StepRecordStore {
  const annotate = (member: Member, storeId: number, value: string | null, signal?: AbortSignal) =>
    kube.patch(recordHolder(cluster, member), { metadata: { annotations: { [stepAnnotationKey(storeId)]: value } } }, { type: 'merge', signal });
  return {
    async read(member, storeId, signal) {
      const holder = await kube.get(recordHolder(cluster, member), { signal });
      const value = holder?.metadata.annotations?.[stepAnnotationKey(storeId)];
      return value === undefined ? undefined : decodeStepRecord(value);
    },
    async write(member, record: StepRecord, signal) {
      await annotate(member, record.storeId, encodeStepRecord(record), signal);
    },
    async clear(member, storeId, signal) {
      await annotate(member, storeId, null, signal);
    },
  };
}
