import type { Member, Store, TikvInstance, TikvPod } from './model.ts';

/** A TiKV pod as the topology reader found it, with its instance and any store id the topology claims for it. */
export interface PodCandidate {
  podName: string;
  pod?: TikvPod;
  instance?: TikvInstance;
  /** Store ids the topology's own records name for this pod, with where each came from. */
  storeIdClaims: { storeId: number; source: string }[];
}

/** The cluster's TiKVs joined to PD's stores, and what did not fit. */
export interface MemberMapping {
  members: Member[];
  /** Non-tombstone stores whose address names no pod of this cluster. */
  orphanStores: Store[];
  /** Disagreements that make it unsafe to act on the pods they name. */
  conflicts: { podName: string; reason: string }[];
}

/**
 * The pod a store address names, or undefined: the host's first label is the pod name and, when the host has a
 * namespace label (`<pod>.<service>.<namespace>[.svc…]`), it is this namespace.
 */
export function podNameOfAddress(address: string, namespace: string): string | undefined {
  const host = hostOf(address);
  const labels = host.split('.');
  if (labels.length < 2 || labels[0] === '') return undefined;
  if (labels.length >= 3 && labels[2] !== namespace) return undefined;
  return labels[0];
}

function hostOf(address: string): string {
  const withoutScheme = address.replace(/^[a-z]+:\/\//, '');
  if (withoutScheme.startsWith('[')) return withoutScheme.slice(1, withoutScheme.indexOf(']'));
  const colon = withoutScheme.lastIndexOf(':');
  return colon === -1 ? withoutScheme : withoutScheme.slice(0, colon);
}

/**
 * Joins pods to PD stores (topologies.md, "Mapping a pod to its PD store"): by address, cross-checked against
 * every store id the topology claims. Tombstones left by replaced pods are ignored; disagreements are conflicts.
 */
export function mapMembers(candidates: PodCandidate[], stores: Store[], namespace: string): MemberMapping {
  const byPod = new Map<string, Store[]>();
  const live = stores.filter((s) => s.stateName !== 'Tombstone');
  for (const store of live) {
    const podName = podNameOfAddress(store.address, namespace);
    if (podName === undefined) continue;
    const list = byPod.get(podName) ?? [];
    list.push(store);
    byPod.set(podName, list);
  }
  const storesById = new Map(stores.map((s) => [s.storeId, s]));
  const known = new Set(candidates.map((c) => c.podName));
  const members: Member[] = [];
  const conflicts: MemberMapping['conflicts'] = [];

  for (const candidate of [...candidates].sort((a, b) => comparePodNames(a.podName, b.podName))) {
    const member: Member = { podName: candidate.podName, pod: candidate.pod, instance: candidate.instance };
    const byAddress = byPod.get(candidate.podName) ?? [];
    if (byAddress.length > 1) {
      conflicts.push({
        podName: candidate.podName,
        reason: `PD has ${byAddress.length} live stores for pod ${candidate.podName} (${byAddress.map((s) => s.storeId).join(', ')})`,
      });
    }
    const addressStore = byAddress.length === 1 ? byAddress[0] : undefined;
    for (const claim of candidate.storeIdClaims) {
      if (addressStore && claim.storeId !== addressStore.storeId) {
        conflicts.push({
          podName: candidate.podName,
          reason: `${claim.source} says pod ${candidate.podName} is store ${claim.storeId}, but PD's store for its address is ${addressStore.storeId}`,
        });
      } else if (!addressStore) {
        const claimed = storesById.get(claim.storeId);
        if (claimed && claimed.stateName !== 'Tombstone') {
          conflicts.push({
            podName: candidate.podName,
            reason: `${claim.source} says pod ${candidate.podName} is store ${claim.storeId}, but that store's address is ${claimed.address}`,
          });
        }
      }
    }
    member.store = addressStore;
    members.push(member);
  }
  const orphanStores = live.filter((s) => {
    const podName = podNameOfAddress(s.address, namespace);
    return podName === undefined || !known.has(podName);
  });
  return { members, orphanStores, conflicts };
}

/** Orders pod names naturally: `tikv-2` before `tikv-10`. */
export function comparePodNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The StatefulSet ordinal of a pod name (`basic-tikv-3` → 3), or undefined. */
export function podOrdinal(podName: string): number | undefined {
  const match = /-(\d+)$/.exec(podName);
  return match ? Number(match[1]) : undefined;
}
