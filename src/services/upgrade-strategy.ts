import { podOrdinal } from '../core/members.ts';
import type { Member } from '../core/model.ts';
import { imageTag, sameVersion, withImageTag } from '../core/version.ts';
import { UserError } from '../errors.ts';
import type { DetectedCluster } from '../kube/detected-cluster.ts';
import type { Kube, KubeObject, ObjectRef } from '../kube/kube.ts';
import type { Clock } from './clock.ts';
import type { ClusterSession } from './cluster-session.ts';
import { deletePodTrigger } from './restart-trigger.ts';
import type { RestartTrigger } from './step-ports.ts';

/**
 * How a topology changes TiKV's version:
 * - `driven`: kubectl-tikv moves one store at a time with its own eviction (the seed's tikv-operator, plain
 *   StatefulSets, tidb-operator v1 with `OnDelete`), via `trigger`;
 * - `followed`: the operator rolls the stores itself once `prepare` changed the version (tidb-operator v1 with
 *   RollingUpdate, v2), and kubectl-tikv follows and verifies each store live.
 */
export interface UpgradeStrategy {
  mode: 'driven' | 'followed';
  /** A StatefulSet partition (or the v1 operator) dictates highest ordinal first. */
  forcedReverseOrdinal: boolean;
  /** For the plan: what changes, in words. */
  describe: string;
  /** The cluster-wide change (idempotent): hold the partition and change the image, or patch the version. */
  prepare(version: string, signal: AbortSignal): Promise<void>;
  /** Driven mode: restart one member onto the new version. */
  trigger: RestartTrigger;
  /** After every store is done (idempotent). */
  finish(version: string, signal: AbortSignal): Promise<string[]>;
}

type StatefulSetObject = KubeObject & {
  spec?: {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
    template?: { spec?: { containers?: { name: string; image?: string }[] } };
  };
  status?: { updateRevision?: string; currentRevision?: string };
};

/** The version string a topology's spec wants (`v8.5.1`: tidb-operator and the seed write it with a `v`). */
export function specVersion(version: string): string {
  return version.startsWith('v') ? version : `v${version}`;
}

/** Picks the upgrade strategy of the detected cluster (reads the StatefulSet / TidbCluster update strategy). */
export async function upgradeStrategyFor(session: ClusterSession, clock: Clock, version: string, signal: AbortSignal): Promise<UpgradeStrategy> {
  const { kube, cluster } = session;
  switch (cluster.ref.topology) {
    case 'statefulset': {
      const sts = await requireObject<StatefulSetObject>(kube, cluster.statefulSet!, signal);
      return sts.spec?.updateStrategy?.type === 'OnDelete' ? statefulSetOnDelete(kube, cluster) : statefulSetPartitioned(kube, cluster);
    }
    case 'tidb-operator-v1': {
      const tc = await requireObject<KubeObject & { spec?: { tikv?: { statefulSetUpdateStrategy?: string } } }>(kube, cluster.object, signal);
      return tc.spec?.tikv?.statefulSetUpdateStrategy === 'OnDelete' ? v1OnDelete(kube, cluster, clock) : v1Followed(kube, cluster);
    }
    case 'tidb-operator-v2':
      return v2Followed(kube, cluster);
    case 'tikv-operator':
      return seedInstances(kube, cluster, version);
  }
}

/** Plain StatefulSet, RollingUpdate: hold the partition at `replicas`, change the image, lower it one ordinal at a time. */
function statefulSetPartitioned(kube: Kube, cluster: DetectedCluster): UpgradeStrategy {
  const ref = cluster.statefulSet!;
  return {
    mode: 'driven',
    forcedReverseOrdinal: true,
    describe: `change the TiKV image of StatefulSet ${ref.name} with its partition held at the replica count, then lower the partition one ordinal at a time after each eviction`,
    async prepare(version, signal) {
      const sts = await requireObject<StatefulSetObject>(kube, ref, signal);
      const container = tikvContainer(sts);
      const image = withImageTag(container.image ?? 'pingcap/tikv', specVersion(version));
      if (container.image === image) return; // resumed: the image is set and the partition is where the last run left it
      const replicas = sts.spec?.replicas ?? 1;
      // One strategic-merge patch: the partition must be up before the new template exists, or the controller would
      // start replacing pods (without eviction) the moment the image changes.
      await kube.patch(ref, { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: replicas } }, template: { spec: { containers: [{ name: container.name, image }] } } } }, { type: 'strategic', signal });
    },
    trigger: {
      async trigger(member, _podUid, signal) {
        const ordinal = podOrdinal(member.podName);
        if (ordinal === undefined) throw new UserError(`pod ${member.podName} has no StatefulSet ordinal`);
        const sts = await requireObject<StatefulSetObject>(kube, ref, signal);
        const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
        if (partition > ordinal) await kube.patch(ref, { spec: { updateStrategy: { rollingUpdate: { partition: ordinal } } } }, { type: 'merge', signal });
      },
      describe: (member) => `lower the partition of StatefulSet ${ref.name} to ${podOrdinal(member.podName)} (replaces pod ${member.podName})`,
    },
    async finish() {
      return [];
    },
  };
}

/** Plain StatefulSet, OnDelete: change the image, then delete pods one at a time. */
function statefulSetOnDelete(kube: Kube, cluster: DetectedCluster): UpgradeStrategy {
  const ref = cluster.statefulSet!;
  return {
    mode: 'driven',
    forcedReverseOrdinal: false,
    describe: `change the TiKV image of StatefulSet ${ref.name} (OnDelete: nothing restarts by itself), then delete one pod at a time after each eviction`,
    async prepare(version, signal) {
      const sts = await requireObject<StatefulSetObject>(kube, ref, signal);
      const container = tikvContainer(sts);
      const image = withImageTag(container.image ?? 'pingcap/tikv', specVersion(version));
      if (container.image !== image) await kube.patch(ref, { spec: { template: { spec: { containers: [{ name: container.name, image }] } } } }, { type: 'strategic', signal });
    },
    trigger: deletePodTrigger(kube, cluster),
    async finish() {
      return [];
    },
  };
}

/** tidb-operator v1 with OnDelete: patch the TidbCluster's TiKV version, wait for the operator to update the StatefulSet, delete pods one at a time. */
function v1OnDelete(kube: Kube, cluster: DetectedCluster, clock: Clock): UpgradeStrategy {
  const ref = cluster.statefulSet!;
  return {
    mode: 'driven',
    forcedReverseOrdinal: false,
    describe: `set spec.tikv.version of TidbCluster ${cluster.ref.name} (statefulSetUpdateStrategy OnDelete: the operator only updates the StatefulSet), then delete one pod at a time after each eviction`,
    async prepare(version, signal) {
      await kube.patch(cluster.object, { spec: { tikv: { version: specVersion(version) } } }, { type: 'merge', signal });
      // Deleting a pod before the operator rewrote the StatefulSet would bring it back on the old image.
      for (const deadline = clock.now() + 120_000; ; ) {
        const sts = await requireObject<StatefulSetObject>(kube, ref, signal);
        const tag = imageTag(tikvContainer(sts).image ?? '');
        if (tag && sameVersion(tag, version)) return;
        if (clock.now() > deadline) {
          throw new UserError(`tidb-operator has not updated StatefulSet ${ref.name} to ${specVersion(version)} within 2 minutes`, { suggestions: ['Check that tidb-operator is running and the TidbCluster is not paused.'] });
        }
        await clock.sleep(500, signal);
      }
    },
    trigger: deletePodTrigger(kube, cluster),
    async finish() {
      return [];
    },
  };
}

/** tidb-operator v1 with RollingUpdate: the operator upgrades TiKV itself (with eviction); kubectl-tikv follows. */
function v1Followed(kube: Kube, cluster: DetectedCluster): UpgradeStrategy {
  return {
    mode: 'followed',
    forcedReverseOrdinal: true,
    describe: `set spec.tikv.version of TidbCluster ${cluster.ref.name}; tidb-operator upgrades one pod at a time (highest ordinal first) with its own leader eviction, and kubectl-tikv follows and verifies each store`,
    async prepare(version, signal) {
      await kube.patch(cluster.object, { spec: { tikv: { version: specVersion(version) } } }, { type: 'merge', signal });
    },
    trigger: notDriven(),
    async finish() {
      return [];
    },
  };
}

/** Annotation kubectl-tikv sets on a v2 Cluster it paused (so the next run knows to unpause it). */
export const PAUSED_BY_US_ANNOTATION = 'kubectl-tikv.io/paused';

/** tidb-operator v2: patch the TiKVGroup version; the operator rolls instance by instance; kubectl-tikv follows. */
function v2Followed(kube: Kube, cluster: DetectedCluster): UpgradeStrategy {
  return {
    mode: 'followed',
    forcedReverseOrdinal: false,
    describe: `set spec.template.spec.version of TiKVGroup ${cluster.tikvGroups.map((g) => g.name).join(', ')}; tidb-operator v2 replaces one instance at a time, evicting its leaders first, and kubectl-tikv follows and verifies each store (it pauses the Cluster if a health gate fails between instances)`,
    async prepare(version, signal) {
      await resumeV2(kube, cluster, signal);
      for (const group of cluster.tikvGroups) {
        await kube.patch(group, { spec: { template: { spec: { version: specVersion(version) } } } }, { type: 'merge', signal });
      }
    },
    trigger: notDriven(),
    async finish(_version, signal) {
      await resumeV2(kube, cluster, signal);
      return [];
    },
  };
}

/** Unpauses a v2 Cluster that kubectl-tikv paused (and only then). */
async function resumeV2(kube: Kube, cluster: DetectedCluster, signal: AbortSignal): Promise<void> {
  const object = await kube.get(cluster.object, { signal });
  if (object?.metadata.annotations?.[PAUSED_BY_US_ANNOTATION]) {
    await kube.patch(cluster.object, { metadata: { annotations: { [PAUSED_BY_US_ANNOTATION]: null } }, spec: { paused: false } }, { type: 'merge', signal });
  }
}

/** Pauses a v2 Cluster between instances (a gate failed), marking that kubectl-tikv did it. */
export async function pauseV2(kube: Kube, cluster: DetectedCluster, reason: string, signal: AbortSignal): Promise<void> {
  await kube.patch(cluster.object, { metadata: { annotations: { [PAUSED_BY_US_ANNOTATION]: reason } }, spec: { paused: true } }, { type: 'merge', signal });
}

/** The seed's tikv-operator: note the target on the TiKVGroup, then per instance evict → patch its version. */
function seedInstances(kube: Kube, cluster: DetectedCluster, target: string): UpgradeStrategy {
  return {
    mode: 'driven',
    forcedReverseOrdinal: false,
    describe: `set the TiKVGroup template version (which alone upgrades nothing), then per instance: evict its leaders, set its spec.version (its controller recreates the pod), wait for it`,
    async prepare(version, signal) {
      for (const group of cluster.tikvGroups) {
        await kube.patch(group, { metadata: { annotations: { 'kubectl-tikv.io/target-version': specVersion(version) } }, spec: { template: { spec: { version: specVersion(version) } } } }, { type: 'merge', signal });
      }
    },
    trigger: {
      async trigger(member, _podUid, signal) {
        const ref = instanceRef(cluster, member);
        await kube.patch(ref, { spec: { version: specVersion(target) } }, { type: 'merge', signal });
      },
      describe: (member) => `set spec.version of TiKV ${instanceRef(cluster, member).name} to ${specVersion(target)}`,
    },
    async finish(version, signal) {
      // Revision tracking the seed asks for: which version the group is on, and how many instances are updated.
      const instances = await kube.list(cluster.instanceKind!, { namespace: cluster.ref.namespace, labelSelector: cluster.instanceSelector, signal });
      const updated = instances.items.filter((i) => sameVersion(String((i.spec as { version?: string } | undefined)?.version ?? ''), version)).length;
      for (const group of cluster.tikvGroups) {
        await kube.patch(group, { metadata: { annotations: { 'kubectl-tikv.io/current-version': specVersion(version), 'kubectl-tikv.io/updated-instances': `${updated}/${instances.items.length}` } } }, { type: 'merge', signal });
      }
      return [];
    },
  };
}

function instanceRef(cluster: DetectedCluster, member: Member): ObjectRef {
  const name = member.instance?.name ?? member.podName;
  return { ...cluster.instanceKind!, namespace: cluster.ref.namespace, name };
}

function notDriven(): RestartTrigger {
  return {
    async trigger() {
      throw new Error('this topology is upgraded by its operator; kubectl-tikv does not restart its pods');
    },
    describe: () => 'the operator restarts the pod',
  };
}

function tikvContainer(sts: StatefulSetObject): { name: string; image?: string } {
  const containers = sts.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'tikv') ?? containers[0];
  if (!container) throw new UserError(`StatefulSet ${sts.metadata.name} has no containers`);
  return container;
}

async function requireObject<T extends KubeObject>(kube: Kube, ref: ObjectRef, signal: AbortSignal): Promise<T> {
  const object = await kube.get<T>(ref, { signal });
  if (!object) throw new UserError(`${ref.kind} ${ref.name} disappeared from namespace ${ref.namespace}`, { suggestions: ["Run 'kubectl tikv status'."] });
  return object;
}
