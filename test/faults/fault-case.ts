import type { Topology } from '../../src/core/model.ts';
import type { StepRecord } from '../../src/core/step-record.ts';
import type { ExitCodeValue } from '../../src/errors.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import type { RestartOptions } from '../../src/services/restart-options.ts';
import type { StoreAction } from '../../src/services/progress.ts';
import type { UpgradeOptions } from '../../src/services/upgrade-options.ts';
import type { SimCluster, SimClusterOptions } from '../sim/cluster.ts';
import type { openSimSession } from '../services/sim-session.ts';

/** The commands the matrix drives. */
export type FaultCommand = 'restart' | 'upgrade';

/**
 * Where in a store's step a fault is injected: `store-start` (the gates passed, nothing written yet) or the moment a
 * service reports one of its actions for the target store.
 */
export type FaultStep = 'store-start' | Extract<StoreAction, 'record-written' | 'scheduler-added' | 'leaders-drained' | 'restart-triggered' | 'pod-ready' | 'store-up' | 'scheduler-removed'>;

/** Every step, in the order a store goes through them. */
export const ALL_STEPS: readonly FaultStep[] = ['store-start', 'record-written', 'scheduler-added', 'leaders-drained', 'restart-triggered', 'pod-ready', 'store-up', 'scheduler-removed'];

/** A connection made as the CLI makes it. */
export type SimSession = Awaited<ReturnType<typeof openSimSession>>;

/** A TiKV pod and its store. */
export interface StoreRef {
  podName: string;
  storeId: number;
}

/** What one run of a command ended with, as the user sees it. */
export interface RunOutcome {
  code: ExitCodeValue;
  /** stderr as `runCli` renders the error (empty on success). */
  text: string;
  /** Warnings the run reported. */
  warnings: string[];
  /** Informational progress the run reported (in-process runs only). */
  infos?: string[];
  error?: unknown;
}

/** What a fault tells the invariant checks about itself. */
export interface FaultNotes {
  /**
   * Stores the fault itself takes down, from a wall-clock time on (Unix ms): from then on their unavailability and
   * the leaders they lose are not the plugin's doing.
   */
  downedStores: Map<number, number>;
  /** Stores the fault (a person, another tool) put into the evict-leader scheduler: not ours to remove. */
  foreignEvictions: Set<number>;
  /** `--on-evict-timeout restart`: a store may be restarted while it still holds leaders. */
  leadersAtStopAllowed: boolean;
  /**
   * Stores whose leaders the fault itself may make unmovable once their restart began (tidb-operator v2 does not
   * evict while another store has down peers, and lets the pod's grace period run out).
   */
  leadersMayBeLost?: Set<number>;
  /** A second run started at the step, and how it ended. */
  concurrentRun?: Promise<RunOutcome>;
}

/** What a fault can reach when it is injected. */
export interface InjectContext {
  sim: SimCluster;
  session: SimSession;
  topology: Topology;
  command: FaultCommand;
  step: FaultStep;
  /** The store whose step the fault was injected at. */
  target: StoreRef;
  /** The cluster's other stores, in pod order. */
  others: StoreRef[];
  /** Stores the run has started on so far (the target included). */
  started: StoreRef[];
  notes: FaultNotes;
  /** Aborts the run's signal, as the CLI does on SIGINT/SIGTERM. */
  interrupt(): void;
  /** Registers a repair, run once the first run ended (before a next run) and at the end of the case. */
  onHeal(heal: () => void | Promise<void>): void;
  /** Starts another run of the same command with another holder, now (the concurrent-run fault). */
  startConcurrentRun(): Promise<RunOutcome>;
}

/** What a case must end with. */
export interface FaultExpectation {
  /** The first run's exit code. */
  exit: 0 | 1 | 130;
  /** The first line of the rendered error (after `error: `); required for non-zero exits. */
  message?: RegExp;
  /** A warning the run must have reported. */
  warning?: RegExp;
  /** Whether a step record may be left for the next run (which must then resolve it). Default: never on exit 0. */
  recordMayRemain?: boolean;
  /** The run must have changed nothing (pod not restarted, no scheduler ever added). */
  nothingChanged?: boolean;
  /**
   * With `exit: 0`: a refusal before anything changed is acceptable too (exit 1, this message, nothing changed) —
   * for faults that can make the first store's gates fail as they are read.
   */
  orRefused?: RegExp;
}

/** Everything about a case that the expectation may depend on. */
export interface CaseShape {
  topology: Topology;
  command: FaultCommand;
  step: FaultStep;
}

/** One row of the fault table: a fault, where it applies and what the plugin must do about it. */
export interface FaultSpec {
  name: string;
  /** The fault in a few words (test names). */
  description: string;
  appliesTo: readonly Topology[];
  commands: readonly FaultCommand[];
  /** Steps the fault is injected at (per topology and command). */
  steps(topology: Topology, command: FaultCommand): readonly FaultStep[];
  /** Simulated-cluster options the fault needs (e.g. three PD members). */
  sim?: Partial<SimClusterOptions>;
  /** Command options the fault needs (short timeouts …). */
  options?: Partial<RestartOptions & UpgradeOptions>;
  /** Restart: how many pods are named (the second one shows the gates between stores). Default 1. */
  restartPods?: 1 | 2;
  /** Called before the run starts (e.g. to remember PD's view for a stale leader change). */
  prepare?(sim: SimCluster): void | Promise<void>;
  inject(context: InjectContext): void | Promise<void>;
  expect(shape: CaseShape): FaultExpectation;
}

/** A PdClient that records which stores it added to and removed from the evict-leader scheduler. */
export function recordingPd(pd: PdClient): { pd: PdClient; added: Set<number>; removed: Set<number> } {
  const added = new Set<number>();
  const removed = new Set<number>();
  const wrapped: PdClient = Object.create(pd) as PdClient;
  wrapped.addEvictLeader = (storeId, options) => {
    added.add(storeId);
    return pd.addEvictLeader(storeId, options);
  };
  wrapped.removeEvictLeader = (storeId, options) => {
    removed.add(storeId);
    return pd.removeEvictLeader(storeId, options);
  };
  return { pd: wrapped, added, removed };
}

/** Step records as found in the cluster, by store id. */
export type RecordsByStore = Map<number, StepRecord>;
