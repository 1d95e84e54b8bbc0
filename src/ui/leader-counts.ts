import type { Step } from '../core/store-step.ts';

/** The leader count a wait is watching, and the count it waits for. */
export interface LeaderCounts {
  /** Leaders the store holds now (the larger of PD's and TiKV's count while draining: both must reach 0). */
  current: number;
  target: number;
}

/**
 * The live leader count of a leader wait, read from the reason the step machine gives (`store 2 still holds 37
 * leader(s) per PD, 35 per TiKV`, `store 2 holds 140 leader(s), waiting for 208 (had 312)`). Undefined for other
 * steps, or when the reason carries no count. The step carries no numbers of its own: these wordings are those of
 * `core/store-step.ts`, and the UI tests feed this the real `nextStep` reasons so a change of wording shows there.
 */
export function leaderCounts(step: Step): LeaderCounts | undefined {
  if (step.kind !== 'wait') return undefined;
  if (step.for === 'leaders-drained') {
    const match = /(\d+) leader\(s\)(?: per PD(?:, (\d+) per TiKV)?)?/.exec(step.reason);
    if (!match) return undefined;
    const pd = Number(match[1]);
    const tikv = match[2] === undefined ? pd : Number(match[2]);
    return { current: Math.max(pd, tikv), target: 0 };
  }
  if (step.for === 'leaders-returned') {
    const match = /holds (\d+) leader\(s\), waiting for (\d+)/.exec(step.reason);
    if (!match) return undefined;
    return { current: Number(match[1]), target: Number(match[2]) };
  }
  return undefined;
}
