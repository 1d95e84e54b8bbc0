import { comparePodNames, podOrdinal } from './members.ts';
import type { Member } from './model.ts';
import { compareVersions, imageTag, parseVersion, type Version } from './version.ts';

/** How stores are ordered: fewest leaders first (fewest leader moves), by ordinal, or highest ordinal first. */
export type StoreOrder = 'leaders' | 'ordinal' | 'reverse-ordinal';

/** Every order `--order` accepts. */
export const STORE_ORDERS: readonly StoreOrder[] = ['leaders', 'ordinal', 'reverse-ordinal'];

/** One store's line in a plan. */
export interface PlanEntry {
  podName: string;
  storeId?: number;
  /** Version now: PD's store version, else the pod's image tag. */
  from?: string;
  /** Version after (upgrade), or the same (restart). */
  to?: string;
  leaders: number;
  action: 'restart' | 'upgrade' | 'skip';
  /** Why it is skipped, or a note shown beside it. */
  note?: string;
}

/** A rolling restart or upgrade, computed before anything changes and shown before the confirmation. */
export interface Plan {
  entries: PlanEntry[];
  /** How the order was chosen, in words (the plan table says it). */
  orderRule: string;
  warnings: string[];
  /** Reasons the plan must not run; each is a bad-input error for the user. */
  refusals: { reason: string; suggestion: string }[];
}

/** Orders members for a rolling operation; `forcedReverseOrdinal` when a StatefulSet partition dictates it. */
export function orderMembers(members: Member[], order: StoreOrder, forcedReverseOrdinal: boolean): { members: Member[]; rule: string } {
  const byName = (a: Member, b: Member) => comparePodNames(a.podName, b.podName);
  const byOrdinal = (a: Member, b: Member) => (podOrdinal(a.podName) ?? 0) - (podOrdinal(b.podName) ?? 0) || byName(a, b);
  const sorted = [...members];
  if (forcedReverseOrdinal) {
    sorted.sort((a, b) => byOrdinal(b, a));
    return { members: sorted, rule: 'highest ordinal first (the StatefulSet partition only moves downwards)' };
  }
  switch (order) {
    case 'leaders':
      sorted.sort((a, b) => (a.store?.leaderCount ?? 0) - (b.store?.leaderCount ?? 0) || byName(a, b));
      return { members: sorted, rule: 'fewest leaders first (fewest leader moves while the cluster is mixed)' };
    case 'ordinal':
      sorted.sort(byOrdinal);
      return { members: sorted, rule: 'by pod ordinal' };
    case 'reverse-ordinal':
      sorted.sort((a, b) => byOrdinal(b, a));
      return { members: sorted, rule: 'highest ordinal first' };
  }
}

/** Input of an upgrade plan. */
export interface UpgradePlanInput {
  members: Member[];
  targetVersion: string;
  /** PD's version (`v8.5.0`), to warn when TiKV would run ahead of it. */
  pdVersion?: string;
  order: StoreOrder;
  forcedReverseOrdinal: boolean;
  allowDowngrade: boolean;
}

/** Plans an upgrade: which stores move from which version, in which order, and what is refused or warned. */
export function planUpgrade(input: UpgradePlanInput): Plan & { target?: Version } {
  const target = parseVersion(input.targetVersion);
  if (!target) {
    return {
      entries: [],
      orderRule: '',
      warnings: [],
      refusals: [{ reason: `"${input.targetVersion}" is not a version`, suggestion: 'Give a release version such as v8.5.1 (--version vMAJOR.MINOR.PATCH).' }],
    };
  }
  const warnings: string[] = [];
  const refusals: Plan['refusals'] = [];
  const { members, rule } = orderMembers(input.members, input.order, input.forcedReverseOrdinal);
  const entries: PlanEntry[] = [];
  for (const member of members) {
    const storeVersion = member.store?.version;
    const tag = member.pod ? imageTag(member.pod.image) : undefined;
    const from = storeVersion ?? tag;
    const parsedFrom = from ? parseVersion(from) : undefined;
    const parsedTag = tag ? parseVersion(tag) : undefined;
    const entry: PlanEntry = { podName: member.podName, storeId: member.store?.storeId, from, to: target.text, leaders: member.store?.leaderCount ?? 0, action: 'upgrade' };
    if (storeVersion && parsedTag && parseVersion(storeVersion) && compareVersions(parseVersion(storeVersion)!, parsedTag) !== 0) {
      warnings.push(`pod ${member.podName} runs image ${member.pod!.image} but its store reports version ${storeVersion}`);
    }
    if (parsedFrom && compareVersions(parsedFrom, target) === 0 && (!parsedTag || compareVersions(parsedTag, target) === 0)) {
      entry.action = 'skip';
      entry.note = 'already on the target version';
    } else if (parsedFrom && compareVersions(parsedFrom, target) > 0 && !input.allowDowngrade) {
      refusals.push({
        reason: `upgrading to ${target.text} would downgrade store ${member.store?.storeId ?? '?'} (pod ${member.podName}) from ${parsedFrom.text}`,
        suggestion: 'Check the version; TiKV downgrades are not supported in general. Pass --allow-downgrade if you are sure.',
      });
    } else if (parsedFrom && compareVersions(parsedFrom, target) > 0) {
      entry.note = 'downgrade (--allow-downgrade)';
    }
    if (!from) entry.note = 'version unknown (no store, no image tag)';
    entries.push(entry);
  }
  const pd = input.pdVersion ? parseVersion(input.pdVersion) : undefined;
  if (pd && compareVersions(target, pd) > 0) {
    warnings.push(`TiKV ${target.text} would run ahead of PD ${pd.text}: upgrade PD first (TiUP and tidb-operator upgrade PD before TiKV)`);
  }
  if (input.allowDowngrade && entries.some((e) => e.note?.startsWith('downgrade'))) {
    warnings.push('--allow-downgrade: some stores move to an older version');
  }
  return { entries, orderRule: rule, warnings, refusals, target };
}

/** Plans a rolling restart of the given members. */
export function planRestart(members: Member[], order: StoreOrder, forcedReverseOrdinal: boolean): Plan {
  const ordered = orderMembers(members, order, forcedReverseOrdinal);
  return {
    entries: ordered.members.map((m) => ({
      podName: m.podName,
      storeId: m.store?.storeId,
      from: m.store?.version,
      to: m.store?.version,
      leaders: m.store?.leaderCount ?? 0,
      action: 'restart',
    })),
    orderRule: ordered.rule,
    warnings: [],
    refusals: [],
  };
}

/** Moves stores with a step in progress (left by an interrupted run) to the front, so they are finished first. */
export function resumeFirst(plan: Plan, podNames: string[]): void {
  const rank = (podName: string) => (podNames.includes(podName) ? 0 : 1);
  plan.entries.sort((a, b) => rank(a.podName) - rank(b.podName));
}
