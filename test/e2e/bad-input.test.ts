import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimCluster, type SimCluster } from '../sim/cluster.ts';
import { runCli, type ChildResult } from '../faults/signal-case.ts';

/**
 * Bad input, as users type it, against a whole simulated cluster (tidb-operator v1 with its operator; a second,
 * unrelated cluster for "PD of another cluster"; a v2 cluster for the operator's own refusal): the CLI (a child
 * process running the sources) answers each with one sentence and at least one suggestion on stderr, nothing on
 * stdout, exit 2 — and the cluster is unchanged: no write reached the API server, PD's schedulers are as they were,
 * no store restarted, no pod replaced.
 */

/** What is true of the cluster before a case, to compare after it. */
interface Fingerprint {
  writes: number;
  schedulers: string[];
  startSec: string;
  podUids: string;
}

function fingerprint(sim: SimCluster): Fingerprint {
  const writes = sim.history.entries.filter((e) => e.type === 'kube-request' && ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(String(e.data.verb)) && e.data.subresource !== 'portforward').length;
  const podUids = sim.store
    .list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: sim.namespace })
    .items.map((p) => `${p.metadata.name}=${p.metadata.uid}`)
    .sort()
    .join(',');
  const startSec = sim.pd
    .storeViews()
    .map((s) => `${s.storeId}:${s.startTimestampSec}`)
    .sort()
    .join(',');
  return { writes, schedulers: [...sim.pd.schedulerNames()].sort(), startSec, podUids };
}

/** exit 2, nothing on stdout, `error: <one line>` last but for its suggestions, at least one suggestion. */
function assertUsage(result: ChildResult, message: RegExp, where: string): void {
  assert.equal(result.code, 2, `exit 2 expected:\n${where}`);
  assert.equal(result.stdout, '', `nothing on stdout:\n${where}`);
  const at = result.stderr.search(/(^|\n)error: /);
  assert.ok(at >= 0, `an error line:\n${where}`);
  const [errorLine, ...suggestions] = result.stderr.slice(at).trim().split('\n');
  assert.match(errorLine.slice('error: '.length), message, where);
  assert.ok(suggestions.length > 0 && suggestions.every((s) => s.trim() !== '' && !/^\s+at /.test(s)), `one or more suggestions, no stack:\n${where}`);
}

describe('bad input: one sentence and a suggestion, exit 2, the cluster unchanged', function () {
  this.timeout(180_000);
  let sim: SimCluster;
  let other: SimCluster;
  let v2: SimCluster;
  let dir: string;
  const kubeconfig = () => path.join(dir, 'kubeconfig');
  const files = { empty: '', broken: '', notYaml: '', v2: '' };

  before(async () => {
    [sim, other, v2] = await Promise.all([
      startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.025, regionsPerStore: 20 }),
      // Another TiKV cluster, its PD with another cluster id (another seed).
      startSimCluster({ topology: 'statefulset', stores: 3, timeScale: 0.025, regionsPerStore: 20, clusterName: 'other', pd: { seed: 7 } }),
      startSimCluster({ topology: 'tidb-operator-v2', stores: 3, timeScale: 0.025, regionsPerStore: 20 }),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'kt-bad-input-'));
    sim.writeKubeconfig(kubeconfig());
    files.empty = path.join(dir, 'empty.yaml');
    writeFileSync(files.empty, '');
    files.broken = path.join(dir, 'broken.yaml');
    writeFileSync(files.broken, 'apiVersion: v1\nkind: Config\nclusters: 3\n');
    files.notYaml = path.join(dir, 'not-yaml.yaml');
    writeFileSync(files.notYaml, 'clusters: [\n  - name: x\n');
    files.v2 = path.join(dir, 'v2.kubeconfig');
    v2.writeKubeconfig(files.v2);
  });

  after(async () => {
    await Promise.all([sim?.stop(), other?.stop(), v2?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const tikv = (i: number) => sim.tikvPodNames()[i];
  const step = ['--poll-interval', '50ms'];
  const cases: { title: string; argv: () => string[]; env?: () => Record<string, string>; cluster?: () => SimCluster; message: RegExp }[] = [
    { title: 'an unknown pod', argv: () => ['restart', 'basic-tikv-7', '-y', ...step], message: /^pod "basic-tikv-7" not found in namespace "tidb"$/ },
    { title: 'a pod of another component (restart)', argv: () => ['restart', 'basic-pd-0', '-y', ...step], message: /^pod "basic-pd-0" is not a TiKV pod of cluster basic \(it is a pd pod\)$/ },
    { title: 'a pod of another component (evict)', argv: () => ['evict', 'basic-pd-0', '-y'], message: /^pod "basic-pd-0" is not a TiKV pod of cluster basic/ },
    { title: 'a store id that does not exist', argv: () => ['evict', '--store', '99', '-y'], message: /^store 99 does not exist in PD$/ },
    { title: 'a store id that is not one', argv: () => ['evict', '--store', '0', '-y'], message: /^invalid --store "0"/ },
    { title: 'a malformed version', argv: () => ['upgrade', '--version', 'v8.5', '-y'], message: /^malformed version "v8\.5": expected vMAJOR\.MINOR\.PATCH/ },
    { title: 'a version that is a word', argv: () => ['upgrade', '--version', 'latest', '-y'], message: /^malformed version "latest"/ },
    { title: 'a missing version', argv: () => ['upgrade', '-y'], message: /^missing required flag --version$/ },
    { title: 'a downgrade', argv: () => ['upgrade', '--version', 'v7.5.0', '-y', ...step], message: /^upgrading to 7\.5\.0 would downgrade store \d+ \(pod basic-tikv-\d\) from 8\.5\.0$/ },
    { title: 'an unknown topology', argv: () => ['status', '--topology', 'helm'], message: /^invalid value "helm" for --topology/ },
    { title: 'missing CRDs (a topology the API server does not serve)', argv: () => ['status', '--topology', 'tikv-operator'], message: /^--topology tikv-operator was given, but the API server does not serve its resources/ },
    { title: 'a topology the namespace does not hold', argv: () => ['restart', tikv(1), '-y', '--topology', 'statefulset', ...step], message: /^no TiKV cluster found in namespace "tidb"$/ },
    { title: 'no PD service of that name', argv: () => ['status', '--pd-service', 'nope'], message: /^service "nope" not found in namespace "tidb"$/ },
    { title: 'the PD of another cluster (status)', argv: () => ['status', '--pd-url', other.pdDirectUrl!], message: /belongs to another TiKV cluster: its cluster id is \d+, but basic's TiKV pods carry \d+$/ },
    { title: 'the PD of another cluster (restart)', argv: () => ['restart', tikv(1), '-y', '--pd-url', other.pdDirectUrl!, ...step], message: /belongs to another TiKV cluster/ },
    { title: 'an unknown context', argv: () => ['status', '--context', 'prod'], message: /^context "prod" does not exist in the kubeconfig/ },
    { title: 'an empty kubeconfig', argv: () => ['status'], env: () => ({ KUBECONFIG: files.empty }), message: /^no kubeconfig found: the kubeconfig \(.*empty\.yaml\) defines no clusters, users or contexts$/ },
    { title: 'a kubeconfig of the wrong shape', argv: () => ['status'], env: () => ({ KUBECONFIG: files.broken }), message: /^the kubeconfig file ".*broken\.yaml" is malformed: "clusters" is not a list$/ },
    { title: 'a kubeconfig that is not YAML', argv: () => ['status'], env: () => ({ KUBECONFIG: files.notYaml }), message: /^the kubeconfig file ".*not-yaml\.yaml" is not valid YAML/ },
    { title: 'a --kubeconfig that does not exist', argv: () => ['restart', tikv(1), '-y', '--kubeconfig', '/nonexistent/config'], message: /^the kubeconfig file "\/nonexistent\/config" given with --kubeconfig does not exist$/ },
    { title: '--pd-url with --pd-service', argv: () => ['status', '--pd-url', 'http://127.0.0.1:1', '--pd-service', 'basic-pd'], message: /^--pd-url and --pd-service cannot be used together$/ },
    { title: 'POD with --all', argv: () => ['restart', tikv(1), '--all', '-y'], message: /^give POD names or --all, not both$/ },
    { title: 'POD with --store', argv: () => ['evict', tikv(1), '--store', '4', '-y'], message: /^give either a POD or --store, not both$/ },
    { title: '--list with --end', argv: () => ['evict', '--list', '--end'], message: /^--list takes no POD, --store or --end$/ },
    { title: 'no terminal and no --yes (restart)', argv: () => ['restart', tikv(1), ...step], message: /^refusing to restart TiKV without confirmation: there is no terminal to ask on$/ },
    { title: 'no terminal and no --yes (upgrade)', argv: () => ['upgrade', '--version', 'v8.5.1', ...step], message: /^refusing to upgrade TiKV without confirmation: there is no terminal to ask on$/ },
    { title: 'no terminal and no pod to pick', argv: () => ['restart', '-y'], message: /^name the TiKV pods to restart, or pass --all/ },
    { title: 'a timeout of zero', argv: () => ['restart', tikv(1), '-y', '--evict-timeout', '0s'], message: /^--evict-timeout must be greater than 0$/ },
    { title: 'a negative timeout', argv: () => ['restart', tikv(1), '-y', '--ready-timeout', '-5m'], message: /^invalid duration "-5m" for --ready-timeout: it cannot be negative$/ },
    { title: 'a duration without a unit', argv: () => ['restart', tikv(1), '-y', '--evict-timeout', '5'], message: /^invalid duration "5" for --evict-timeout: a unit is missing/ },
    { title: 'an --on-evict-timeout that is not a policy', argv: () => ['restart', tikv(1), '-y', '--on-evict-timeout', 'maybe'], message: /^invalid value "maybe" for --on-evict-timeout: expected one of abort, restart$/ },
    { title: 'a pod named twice', argv: () => ['restart', tikv(1), tikv(1), '-y'], message: /^pod "basic-tikv-1" is named twice$/ },
    { title: 'a namespace that cannot exist', argv: () => ['status', '-n', 'Prod_1'], message: /^invalid namespace "Prod_1"/ },
    { title: 'a namespace without a TiKV cluster', argv: () => ['restart', '--all', '-y', '-n', 'default'], message: /^no TiKV cluster found in namespace "default"$/ },
    { title: 'a --cluster that is not there', argv: () => ['restart', '--all', '-y', '--cluster', 'other'], message: /^no TiKV cluster named "other" in namespace "tidb"; found tidb-operator-v1 TidbCluster "basic"$/ },
    { title: 'a --pd-url that is not a URL', argv: () => ['status', '--pd-url', 'pd:2379'], message: /^invalid --pd-url "pd:2379"/ },
    { title: 'a misspelt flag', argv: () => ['restart', tikv(1), '--evict-timout', '5m'], message: /^unknown flag: --evict-timout$/ },
    { title: 'a misspelt command', argv: () => ['restat'], message: /^unknown command "restat" for "kubectl tikv"$/ },
    {
      title: 'a bare eviction on tidb-operator v2 (the operator undoes foreign schedulers)',
      cluster: () => v2,
      env: () => ({ KUBECONFIG: files.v2 }),
      argv: () => ['evict', v2.tikvPodNames()[0], '-y'],
      message: /operator/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.title}`, async () => {
      const target = c.cluster?.() ?? sim;
      const before = fingerprint(target);
      const argv = c.argv();
      const result = await runCli(argv, { KUBECONFIG: kubeconfig(), HOME: dir, ...c.env?.() });
      const where = `kubectl tikv ${argv.join(' ')}\n  exit ${result.code}\n  stdout: ${result.stdout}\n  stderr:\n${result.stderr}`;
      assertUsage(result, c.message, where);
      assert.deepEqual(fingerprint(target), before, `the cluster is unchanged:\n${where}`);
      assert.deepEqual(target.pd.evictLeaderStoreIds(), [], 'no store is being evicted');
    });
  }
});
