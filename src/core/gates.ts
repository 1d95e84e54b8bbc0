import type { Eviction, Store } from './model.ts';

/** The health checks before a store is touched (topologies.md, "Order and health rules"). */
export type GateName =
  | 'pd-healthy'
  | 'other-stores-up'
  | 'region-health'
  | 'max-replicas'
  | 'no-foreign-eviction'
  | 'operator-idle'
  | 'pod-ready'
  | 'store-known';

/** What the gates look at, read fresh before each store. */
export interface GateInput {
  /** The store about to be touched (undefined when PD does not know the pod's store). */
  targetStoreId: number | undefined;
  targetPodName: string;
  targetPodReady: boolean;
  pdMembers: { name: string; healthy: boolean }[];
  pdLeaderName: string | undefined;
  /** Every non-tombstone store of the cluster (target included). */
  stores: Store[];
  downPeerRegionCount: number;
  missPeerRegionCount: number;
  maxReplicas: number;
  /** Stores in PD's evict-leader scheduler, with who added them. */
  evictions: Eviction[];
  /** tidb-operator v1 `status.tikv.phase`, when the topology has one. */
  operatorPhase?: string;
  force: boolean;
}

/** One gate's verdict. */
export interface GateResult {
  gate: GateName;
  ok: boolean;
  reason: string;
  suggestion?: string;
}

/** All gates' verdicts; `passed` is false when one failed and `--force` was not given. */
export interface GateReport {
  passed: boolean;
  results: GateResult[];
  /** Failed gates that `--force` overrode, and other things the user must hear (single-store cluster). */
  warnings: string[];
  /** No other store can take the leaders: restart without eviction instead of waiting forever. */
  skipEviction: boolean;
}

/** Evaluates every gate for one store; failures name the reason and what to do. */
export function evaluateGates(input: GateInput): GateReport {
  const results: GateResult[] = [];
  const others = input.stores.filter((s) => s.storeId !== input.targetStoreId);
  const singleStore = input.stores.length === 1 && input.targetStoreId !== undefined && others.length === 0;

  results.push(
    input.targetStoreId === undefined
      ? {
          gate: 'store-known',
          ok: false,
          reason: `PD has no store for pod ${input.targetPodName}`,
          suggestion: `Check that the TiKV in ${input.targetPodName} has registered with PD ('kubectl tikv status').`,
        }
      : { gate: 'store-known', ok: true, reason: `pod ${input.targetPodName} is store ${input.targetStoreId}` },
  );

  const unhealthy = input.pdMembers.filter((m) => !m.healthy).map((m) => m.name);
  if (input.pdLeaderName === undefined) {
    results.push({ gate: 'pd-healthy', ok: false, reason: 'PD has no leader', suggestion: 'Wait for PD to elect a leader; check the PD pods.' });
  } else if (unhealthy.length > 0) {
    results.push({
      gate: 'pd-healthy',
      ok: false,
      reason: `PD member${unhealthy.length > 1 ? 's' : ''} ${unhealthy.join(', ')} ${unhealthy.length > 1 ? 'are' : 'is'} unhealthy`,
      suggestion: 'Fix PD first; a TiKV restart while PD is degraded risks unavailability.',
    });
  } else {
    results.push({ gate: 'pd-healthy', ok: true, reason: `PD healthy, leader ${input.pdLeaderName}` });
  }

  const notUp = others.filter((s) => s.stateName !== 'Up');
  results.push(
    notUp.length > 0
      ? {
          gate: 'other-stores-up',
          ok: false,
          reason: `${describeStores(notUp)} ${notUp.length > 1 ? 'are' : 'is'} not Up`,
          suggestion: 'Restart one store at a time: wait until every other store is Up, or fix the one that is not.',
        }
      : { gate: 'other-stores-up', ok: true, reason: others.length === 0 ? 'no other stores' : `all ${others.length} other stores Up` },
  );

  const badRegions = input.downPeerRegionCount + input.missPeerRegionCount;
  results.push(
    badRegions > 0
      ? {
          gate: 'region-health',
          ok: false,
          reason: `${input.downPeerRegionCount} region(s) with down peers and ${input.missPeerRegionCount} with missing peers`,
          suggestion: "Wait until PD has repaired them ('kubectl tikv status' shows region health).",
        }
      : { gate: 'region-health', ok: true, reason: 'no down-peer or miss-peer regions' },
  );

  if (singleStore) {
    results.push({ gate: 'max-replicas', ok: true, reason: 'single-store cluster: no replicas to protect' });
  } else {
    results.push(
      input.maxReplicas < 3
        ? {
            gate: 'max-replicas',
            ok: false,
            reason: `max-replicas is ${input.maxReplicas}: restarting a store makes regions unavailable`,
            suggestion: 'Raise max-replicas to 3 (pd-ctl config set max-replicas 3), or accept the outage with --force.',
          }
        : { gate: 'max-replicas', ok: true, reason: `max-replicas ${input.maxReplicas}` },
    );
  }

  // Our own eviction of this very store (a resumed step) is expected; anything else is someone else's work.
  const foreignOthers = input.evictions.filter((e) => !(e.owner === 'kubectl-tikv' && e.storeId === input.targetStoreId));
  results.push(
    foreignOthers.length > 0
      ? {
          gate: 'no-foreign-eviction',
          ok: false,
          reason: `leader eviction already in progress on ${foreignOthers.map((e) => `store ${e.storeId} (${e.owner})`).join(', ')}`,
          suggestion: "Let it finish, or end it with 'kubectl tikv evict --end --store <id>' if nobody needs it.",
        }
      : { gate: 'no-foreign-eviction', ok: true, reason: 'no other leader eviction in progress' },
  );

  if (input.operatorPhase !== undefined) {
    results.push(
      input.operatorPhase !== 'Normal'
        ? {
            gate: 'operator-idle',
            ok: false,
            reason: `tidb-operator reports TiKV phase ${input.operatorPhase}`,
            suggestion: 'Wait until the operator is done (status.tikv.phase Normal).',
          }
        : { gate: 'operator-idle', ok: true, reason: 'tidb-operator TiKV phase Normal' },
    );
  }

  results.push(
    input.targetPodReady
      ? { gate: 'pod-ready', ok: true, reason: `pod ${input.targetPodName} is Ready` }
      : {
          gate: 'pod-ready',
          ok: false,
          reason: `pod ${input.targetPodName} is not Ready`,
          suggestion: `Find out why first ('kubectl describe pod ${input.targetPodName}'); restarting it will not evict anything safely.`,
        },
  );

  const failed = results.filter((r) => !r.ok);
  const warnings = input.force ? failed.map((r) => `--force: ignoring failed gate ${r.gate}: ${r.reason}`) : [];
  if (singleStore) {
    warnings.push(`single-store cluster: store ${input.targetStoreId}'s leaders have nowhere to go, so it restarts without eviction and the cluster is briefly unavailable`);
  }
  // Without a store id there is nothing to evict or verify, even with --force.
  const passed = (failed.length === 0 || input.force) && input.targetStoreId !== undefined;
  return { passed, results, warnings, skipEviction: singleStore };
}

/** The first failed gate, for a one-line error. */
export function firstFailure(report: GateReport): GateResult | undefined {
  return report.results.find((r) => !r.ok);
}

function describeStores(stores: Store[]): string {
  return stores.map((s) => `store ${s.storeId} (${s.stateName})`).join(', ');
}
