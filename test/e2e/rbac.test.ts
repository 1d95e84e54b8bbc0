import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/run-cli.ts';
import type { Topology } from '../../src/core/model.ts';
import type { KubeObject } from '../../src/kube/kube.ts';
import { startSimCluster, type SimCluster } from '../sim/cluster.ts';
import type { PolicyRule } from '../sim/kube/rbac.ts';
import { openSimSession } from '../services/sim-session.ts';
import { readClusterAfterRun } from '../faults/invariants.ts';
import { PAUSED_BY_US_ANNOTATION } from '../../src/services/upgrade-strategy.ts';

/**
 * docs/rbac.yaml is the whole truth about the permissions kubectl-tikv needs: applied as a Role with a RoleBinding
 * in the simulated API server (which enforces RBAC objects as a real one does), every command works with exactly
 * it on every topology; every permission in it is used by some command; and without any single one of them, the
 * command that needs it stops with a message naming the verb and the resource, leaving nothing behind.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROLE_FILE = path.join(REPO, 'docs', 'rbac.yaml');
const USER = 'tikv-maintainer';
const TOKEN = 'maintainer-token';
const RBAC = 'rbac.authorization.k8s.io/v1';

/** One permission: verb on a resource of an API group. */
interface Permission {
  group: string;
  resource: string;
  verb: string;
}

const key = (p: Permission) => `${p.verb} ${p.resource}${p.group ? `.${p.group}` : ''}`;

/** The Role of docs/rbac.yaml. */
function documentedRole(): KubeObject & { rules: PolicyRule[] } {
  const docs = parseAllDocuments(readFileSync(ROLE_FILE, 'utf8')).map((d) => d.toJS() as KubeObject & { rules?: PolicyRule[] });
  const role = docs.find((d) => d.kind === 'Role');
  assert.ok(role?.rules, 'docs/rbac.yaml holds a Role with rules');
  assert.equal(docs.filter((d) => d.kind === 'ClusterRole').length, 0, 'no ClusterRole is needed');
  return role as KubeObject & { rules: PolicyRule[] };
}

/** A Role's rules as single permissions. */
function permissionsOf(rules: PolicyRule[]): Permission[] {
  const all: Permission[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) for (const resource of rule.resources ?? []) for (const verb of rule.verbs) all.push({ group, resource, verb });
  }
  return all;
}

/** Rules granting exactly these permissions. */
function rulesOf(permissions: Permission[]): PolicyRule[] {
  return permissions.map((p) => ({ apiGroups: [p.group], resources: [p.resource], verbs: [p.verb] }));
}

/** A command run by a user through the CLI's own entry (`runCli`, what bin/ runs), with its output. */
interface Probe {
  topology: Topology;
  argv: (sim: SimCluster) => string[];
  /** What undoes the probe's intended result (an eviction begun stays until it is ended). */
  undo?: (sim: SimCluster) => string[];
  /** Sets the situation up before each run of the probe. */
  setup?: (sim: SimCluster) => void;
  /** A probe of a refusal: its exit code and message with the full Role (default: exit 0). */
  refused?: { code: number; message: RegExp };
  /** Permissions this probe used with the full Role (filled in by the first test). */
  used?: Set<string>;
}

const STEP_FLAGS = ['-y', '--poll-interval', '50ms', '--evict-timeout', '30s', '--ready-timeout', '30s', '--leader-return-timeout', '10s'];
let upgradeTo = 1;
const PROBES: Probe[] = [];
for (const topology of ['tidb-operator-v1', 'statefulset', 'tidb-operator-v2', 'tikv-operator'] as const) {
  PROBES.push(
    { topology, argv: () => ['status'] },
    { topology, argv: () => ['version'] },
    { topology, argv: (sim) => ['restart', sim.tikvPodNames()[1], ...STEP_FLAGS] },
    // Each upgrade goes one patch release further, so that it has work to do on the same cluster.
    { topology, argv: () => ['upgrade', '--version', `v8.5.${upgradeTo++}`, ...STEP_FLAGS] },
  );
  // A pod name that is no TiKV pod of the cluster: the pod itself is looked up to say what it is (or that it is not).
  if (topology === 'statefulset') PROBES.push({ topology, argv: () => ['restart', 'no-such-pod', ...STEP_FLAGS], refused: { code: 2, message: /pod "no-such-pod" not found in namespace/ } });
  if (topology === 'tidb-operator-v2') {
    // An earlier upgrade paused the Cluster when a gate failed between instances: this one unpauses it first.
    PROBES.push({ topology, setup: pausedByAnEarlierRun, argv: () => ['upgrade', '--version', `v8.5.${upgradeTo++}`, ...STEP_FLAGS] });
  } else {
    PROBES.push(
      {
        topology,
        argv: (sim) => ['evict', sim.tikvPodNames()[0], '-y', '--poll-interval', '50ms', '--evict-timeout', '30s'],
        undo: (sim) => ['evict', '--end', '--store', String(sim.pd.storeOfPod(sim.tikvPodNames()[0])!.storeId), '-y'],
      },
      { topology, argv: () => ['evict', '--list'] },
      { topology, argv: (sim) => ['evict', '--end', '--store', String(sim.pd.storeOfPod(sim.tikvPodNames()[0])!.storeId), '-y'] },
    );
  }
}

/** The v2 Cluster as an upgrade that stopped between instances leaves it: paused, with kubectl-tikv's note. */
function pausedByAnEarlierRun(sim: SimCluster): void {
  sim.store.mutate({ apiVersion: 'core.pingcap.com/v1alpha1', kind: 'Cluster' }, sim.namespace, sim.clusterName, (cluster: KubeObject & { spec?: Record<string, unknown> }) => {
    cluster.metadata.annotations = { ...(cluster.metadata.annotations ?? {}), [PAUSED_BY_US_ANNOTATION]: 'a health gate failed between instances' };
    cluster.spec = { ...(cluster.spec ?? {}), paused: true };
  });
}

/** Permissions that make commands better, not possible: without them, the documented fallback. */
const OPTIONAL: Record<string, string> = {
  'create events': 'the steps are not recorded as Kubernetes Events (a warning says so)',
  'list endpointslices.discovery.k8s.io': "PD's Ready pod is found from the service's selector instead",
  'delete leases.coordination.k8s.io': 'the Lease is released (holder cleared) instead of deleted',
};

describe('RBAC: the documented Role (docs/rbac.yaml) is exactly what kubectl-tikv needs', function () {
  this.timeout(300_000);
  const role = documentedRole();
  const permissions = permissionsOf(role.rules);
  const sims = new Map<Topology, SimCluster>();
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kt-rbac-'));
    for (const topology of ['tidb-operator-v1', 'statefulset', 'tidb-operator-v2', 'tikv-operator'] as const) {
      const sim = await startSimCluster({
        topology,
        stores: 3,
        timeScale: 0.025,
        regionsPerStore: 20,
        tls: topology !== 'statefulset',
        tikvVersion: 'v8.5.0',
        pdVersion: 'v8.5.1',
        users: [{ name: USER, token: TOKEN }],
      });
      sims.set(topology, sim);
      sim.store.create({ ...role, metadata: { name: 'kubectl-tikv', namespace: sim.namespace } });
      sim.store.create({
        apiVersion: RBAC,
        kind: 'RoleBinding',
        metadata: { name: 'kubectl-tikv', namespace: sim.namespace },
        subjects: [{ kind: 'User', name: USER }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubectl-tikv' },
      });
      sim.writeKubeconfig(path.join(dir, `${topology}.kubeconfig`), { user: USER });
    }
  });

  after(async () => {
    for (const sim of sims.values()) await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(topology: Topology, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const env = { KUBECONFIG: path.join(dir, `${topology}.kubeconfig`), HOME: dir };
    const code = await runCli(argv, {
      stdout: { write: (t: string) => (stdout += t), isTTY: false },
      stderr: { write: (t: string) => (stderr += t), isTTY: false },
      stdin: { isTTY: false },
      env,
      signal: new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  /** The permissions the user's requests needed, from the API server's log (History `kube-request`). */
  function usedSince(sim: SimCluster, from: number): Set<string> {
    const used = new Set<string>();
    for (const e of sim.history.entries.slice(from)) {
      if (e.type !== 'kube-request' || e.data.user !== USER || e.data.resource === undefined) continue;
      const group = /^\/apis\/([^/]+)\//.exec(String(e.data.path))?.[1] ?? '';
      const resource = e.data.subresource ? `${String(e.data.resource)}/${String(e.data.subresource)}` : String(e.data.resource);
      used.add(key({ group, resource, verb: String(e.data.verb) }));
    }
    return used;
  }

  function setRules(rules: PolicyRule[]): void {
    for (const sim of sims.values()) {
      sim.store.mutate({ apiVersion: RBAC, kind: 'Role' }, sim.namespace, 'kubectl-tikv', (object: KubeObject & { rules?: PolicyRule[] }) => {
        object.rules = structuredClone(rules);
      });
    }
  }

  /** Every probe run once with exactly the Role: how it ended, and what it asked the API server for. */
  const outcomes: { probe: Probe; where: string; code: number; denied: string[] }[] = [];
  before(async () => {
    for (const probe of PROBES) {
      const sim = sims.get(probe.topology)!;
      probe.setup?.(sim);
      const argv = probe.argv(sim);
      const from = sim.history.entries.length;
      const result = await run(probe.topology, argv);
      const denied = sim.history.entries.slice(from).filter((e) => e.type === 'kube-request' && e.data.user === USER && e.data.status === 403);
      outcomes.push({ probe, where: `kubectl tikv ${argv.join(' ')} on ${probe.topology}:\n${result.stderr}`, code: result.code, denied: denied.map((e) => `${String(e.data.verb)} ${String(e.data.resource)}`) });
      probe.used = usedSince(sim, from);
      await sim.waitUntilSettled({ timeoutMs: 30_000 });
    }
  });

  it('works with exactly the Role: status, version, restart, upgrade and evict on every topology', () => {
    assert.equal(outcomes.length, PROBES.length);
    for (const outcome of outcomes) {
      assert.equal(outcome.code, outcome.probe.refused?.code ?? 0, outcome.where);
      if (outcome.probe.refused) assert.match(outcome.where, outcome.probe.refused.message);
      assert.deepEqual(outcome.denied, [], `no request was forbidden: ${outcome.where}`);
    }
  });

  it('needs every permission of the Role (the Role is minimal)', () => {
    assert.ok(PROBES.every((p) => p.used), 'the probes ran');
    const used = new Set(PROBES.flatMap((p) => [...p.used!]));
    const unused = permissions.map(key).filter((k) => !used.has(k));
    assert.deepEqual(unused, [], 'permissions of docs/rbac.yaml no command used');
    const undocumented = [...used].filter((k) => !permissions.some((p) => key(p) === k));
    assert.deepEqual(undocumented, [], 'permissions used that docs/rbac.yaml does not grant');
  });

  describe('without one permission, the command that needs it names the verb and the resource', () => {
    for (const permission of permissionsOf(documentedRole().rules)) {
      const name = key(permission);
      it(`without ${name}${name in OPTIONAL ? ' (optional: the command still works)' : ''}`, async () => {
        const probes = PROBES.filter((p) => p.used?.has(name));
        assert.ok(probes.length > 0, `no command used ${name} with the full Role`);
        setRules(rulesOf(permissions.filter((p) => key(p) !== name)));
        const tried: string[] = [];
        try {
          for (const probe of probes) {
            const sim = sims.get(probe.topology)!;
            probe.setup?.(sim);
            const argv = probe.argv(sim);
            const result = await run(probe.topology, argv);
            const where = `kubectl tikv ${argv.join(' ')} on ${probe.topology} (exit ${result.code}):\n${result.stderr}`;
            if (result.code === 0 && probe.undo) {
              // The eviction it began is its result: end it (with the whole Role) before looking for leftovers.
              setRules(role.rules);
              const undone = await run(probe.topology, probe.undo(sim));
              assert.equal(undone.code, 0, undone.stderr);
              setRules(rulesOf(permissions.filter((p) => key(p) !== name)));
            }
            await assertNothingLeft(sim, where);
            if (result.code === (probe.refused?.code ?? 0) && (!probe.refused || probe.refused.message.test(result.stderr))) {
              tried.push(where);
              continue;
            }
            assert.ok(!(name in OPTIONAL), `${name} is documented as optional, yet ${where}`);
            const resource = permission.resource.split('/')[0];
            const pattern = new RegExp(`\\b${permission.verb}\\b[^\\n]*\\b${resource}\\b`);
            const [errorLine, ...suggestions] = result.stderr.slice(result.stderr.search(/(^|\n)error: /)).trim().split('\n');
            assert.match(errorLine, /^error: /, `an error line: ${where}`);
            assert.match(result.stderr, pattern, `names the verb and the resource of ${name}: ${where}`);
            assert.ok(suggestions.length > 0 && suggestions.some((s) => new RegExp(`"${permission.verb}" on "${resource}`).test(s)), `a suggestion names the permission to ask for: ${where}`);
            return;
          }
          assert.ok(name in OPTIONAL, `every command that uses ${name} works without it: it is not needed\n${tried.join('\n')}`);
        } finally {
          setRules(role.rules);
          // A refused unpause leaves the Cluster paused: the operator must run again for the next case.
          sims.get('tidb-operator-v2')!.store.mutate({ apiVersion: 'core.pingcap.com/v1alpha1', kind: 'Cluster' }, 'tidb', 'basic', (cluster: KubeObject & { spec?: Record<string, unknown> }) => {
            delete cluster.metadata.annotations?.[PAUSED_BY_US_ANNOTATION];
            cluster.spec = { ...(cluster.spec ?? {}), paused: false };
          });
          for (const sim of sims.values()) await sim.waitUntilSettled({ timeoutMs: 30_000 });
        }
      });
    }
  });

  /** Whatever a run stopped at, nothing of ours is left behind: no step record, no held Lease, no scheduler. */
  async function assertNothingLeft(sim: SimCluster, where: string): Promise<void> {
    const session = await openSimSession(sim);
    try {
      const after = await readClusterAfterRun(sim, session);
      assert.deepEqual(after.records, [], `no step record left: ${where}`);
      assert.equal(after.leaseHolder, undefined, `the Lease is released: ${where}`);
      assert.deepEqual(after.evicting, [], `no evict-leader scheduler left: ${where}`);
    } finally {
      await session.dispose();
    }
  }
});
