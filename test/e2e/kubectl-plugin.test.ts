import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { type CliResult, createUserEnvironment, ensureBuilt, runPlugin, type UserEnvironment } from './harness.ts';
import { type SimCluster, startSimCluster } from '../sim/cluster.ts';

/** Asserts a usage error: exit 2, nothing on stdout, `error: <first line>` on stderr. */
function assertUsageError(result: CliResult, firstLine: RegExp): void {
  assert.equal(result.code, 2, `exit code 2 expected, got ${result.code}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const [first, ...rest] = result.stderr.trimEnd().split('\n');
  assert.match(first, /^error: /);
  assert.match(first.slice('error: '.length), firstLine);
  assert.ok(rest.length > 0, 'a suggestion follows the error');
}

describe('kubectl tikv, run as a user runs it (built bundle, real kubectl plugin discovery)', function () {
  // Each run is a Node process start; two cores are shared, so give slow machines room.
  this.timeout(60_000);
  let user: UserEnvironment;

  before(() => ensureBuilt());
  beforeEach(() => {
    user = createUserEnvironment();
  });
  afterEach(() => user.dispose());

  describe('without a cluster', () => {
    it('is found by kubectl on PATH and prints help that reads `kubectl tikv`', async () => {
      const result = await runPlugin(user, ['--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\$ kubectl tikv \[COMMAND\]/);
      assert.match(result.stdout, /restart +Gracefully restart TiKV pods/);
      assert.equal(result.stderr, '');
    });

    it('takes flags before the command, as kubectl users type them', async () => {
      const result = await runPlugin(user, ['-n', 'prod', 'restart', '--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /\$ kubectl tikv restart \[POD\.\.\.\] \[--all\] \[flags\]/);
    });

    it('prints its version with --client, without a kubeconfig', async () => {
      const result = await runPlugin(user, ['version', '--client']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^kubectl-tikv v\d+\.\d+\.\d+ \(node v22\.\d+\.\d+, \w+\/\w+\)\n$/);
    });

    it('answers `version` without any kubeconfig with the plugin version and a note', async () => {
      const result = await runPlugin(user, ['version']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^kubectl-tikv v/);
      assert.match(result.stderr, /^note: no cluster versions: no kubeconfig found/);
    });

    it('says "no kubeconfig found" instead of trying localhost:8080', async () => {
      assertUsageError(await runPlugin(user, ['status']), /^no kubeconfig found: KUBECONFIG is not set and .*\/\.kube\/config does not exist$/);
      assertUsageError(await runPlugin(user, ['status'], { env: { KUBECONFIG: path.join(user.home, 'a.yaml') } }), /^no kubeconfig found: none of the files in KUBECONFIG exist/);
    });

    it("completes commands through kubectl's plugin completion (kubectl_complete-tikv)", async () => {
      const result = await runPlugin(user, ['__complete', 'tikv', 're'], { rawKubectl: true });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'restart\tGracefully restart TiKV pods, one store at a time, leaders evicted first.\n:4\n');
    });

    for (const [argv, message] of [
      [['restat'], /^unknown command "restat" for "kubectl tikv"$/],
      [['restart', '--evict-timout', '5m'], /^unknown flag: --evict-timout$/],
      [['restart', 'x', '-y', '--evict-timeout', '5'], /^invalid duration "5" for --evict-timeout: a unit is missing/],
      [['status', '-o', 'xml'], /^invalid value "xml" for --output: expected one of json, yaml, wide$/],
      [['upgrade', '-y'], /^missing required flag --version$/],
      [['upgrade', '--version', 'latest', '-y'], /^malformed version "latest"/],
      [['restart', 'basic-tikv-0'], /^refusing to restart TiKV without confirmation: there is no terminal to ask on$/],
      [['evict', '--store', 'five', '-y'], /^invalid --store "five"/],
      [['status', '--pd-url', 'pd:2379'], /^invalid --pd-url "pd:2379"/],
      [['status', '--topology', 'helm'], /^invalid value "helm" for --topology/],
    ] as const) {
      it(`rejects \`kubectl tikv ${argv.join(' ')}\` with exit 2`, async () => {
        assertUsageError(await runPlugin(user, [...argv]), message);
      });
    }
  });

  describe('against a simulated cluster', () => {
    let sim: SimCluster;
    /** Writes that reached the API server (the operators write in-process; these are API clients', i.e. ours). */
    const writes = () =>
      sim.history.ofType('kube-request').filter((e) => ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(String(e.data.verb)) && e.data.subresource !== 'portforward').length;
    before(async () => {
      sim = await startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.01 });
    });
    after(async () => sim.stop());
    beforeEach(() => {
      // The user's own kubeconfig: ~/.kube/config with the simulated API server's CA and an admin token.
      sim.writeKubeconfig(user.kubeconfigPath);
    });

    it('shows PD and TiKV versions through the in-process port-forward', async () => {
      const result = await runPlugin(user, ['version']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^Plugin: +kubectl-tikv v/);
      assert.match(result.stdout, /\nCluster: +basic \(tidb-operator-v1\) in namespace "tidb", context "sim"\n/);
      assert.match(result.stdout, /\nPD: +v8\.5\.0\n/);
      assert.match(result.stdout, /\nTiKV: +v8\.5\.0 \(3 stores\)\n$/);
    });

    it('completes the TiKV pods of the cluster for `kubectl tikv restart <TAB>`', async () => {
      const result = await runPlugin(user, ['__complete', 'tikv', 'restart', ''], { rawKubectl: true });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'basic-tikv-0\nbasic-tikv-1\nbasic-tikv-2\n:4\n');
    });

    it('prints the versions as JSON on stdout only', async () => {
      const result = await runPlugin(user, ['version', '-o', 'json'], { viaKubectl: false });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout).tikv, { versions: [{ version: 'v8.5.0', stores: 3 }] });
    });

    describe('bad input exits 2 with one sentence and changes nothing', () => {
      let writesBefore: number;
      let schedulersBefore: string[];
      beforeEach(() => {
        writesBefore = writes();
        schedulersBefore = [...sim.pd.schedulerNames()].sort();
      });
      afterEach(() => {
        assert.equal(writes(), writesBefore, 'no write reached the API server');
        assert.deepEqual([...sim.pd.schedulerNames()].sort(), schedulersBefore, "PD's schedulers are unchanged");
      });

      it('names an unknown context and lists the known ones', async () => {
        const result = await runPlugin(user, ['status', '--context', 'prod']);
        assertUsageError(result, /^context "prod" does not exist in the kubeconfig \(.*\/\.kube\/config\)$/);
        assert.match(result.stderr, /\nKnown contexts: sim\.\n/);
      });

      it('names a --kubeconfig that does not exist', async () => {
        assertUsageError(await runPlugin(user, ['restart', 'basic-tikv-0', '-y', '--kubeconfig', '/nonexistent/config']), /^the kubeconfig file "\/nonexistent\/config" given with --kubeconfig does not exist$/);
      });

      it('names an unknown --kube-cluster and --user', async () => {
        assertUsageError(await runPlugin(user, ['status', '--kube-cluster', 'other']), /^cluster "other" \(given with --kube-cluster\) does not exist/);
        assertUsageError(await runPlugin(user, ['status', '--user', 'nobody']), /^user "nobody" \(given with --user\) does not exist/);
      });

      it('reports a kubeconfig that is not YAML', async () => {
        writeFileSync(user.kubeconfigPath, 'clusters: [\n  - name: x\n');
        assertUsageError(await runPlugin(user, ['status']), /^the kubeconfig file ".*config" is not valid YAML: /);
      });

      it('rejects an impossible namespace before any request', async () => {
        assertUsageError(await runPlugin(user, ['status', '-n', 'Prod_1']), /^invalid namespace "Prod_1"/);
      });

      it('explains a rejected token (401)', async () => {
        const result = await runPlugin(user, ['-y', 'restart', 'basic-tikv-0', '--token', 'stolen']);
        assertUsageError(result, /^the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ rejected the credentials \(context "sim"\) \(401 Unauthorized\)$/);
      });

      it('names the verb and resource RBAC denies (403) and points at the Role', async () => {
        sim.apiServer.addToken('e2e-viewer', { name: 'viewer' });
        sim.apiServer.authz.bind('viewer', [{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps'], resources: ['pods', 'services', 'statefulsets', 'secrets'] }]);
        const result = await runPlugin(user, ['status', '--token', 'e2e-viewer']);
        assertUsageError(result, /^cannot list tidbclusters\.pingcap\.com in namespace "tidb": tidbclusters\.pingcap\.com is forbidden: User "viewer" cannot list resource "tidbclusters" in API group "pingcap\.com" in the namespace "tidb"$/);
        assert.match(result.stderr, /ask your cluster admin for the Role in the README/);
      });

      it('says where TiKV clusters are when the namespace has none', async () => {
        const result = await runPlugin(user, ['status', '-n', 'default']);
        assertUsageError(result, /^no TiKV cluster found in namespace "default"$/);
        assert.match(result.stderr, /TiKV clusters exist in namespace "tidb": use -n NAMESPACE\./);
      });

      it('lists the TiKV clusters found when --cluster names none of them', async () => {
        assertUsageError(await runPlugin(user, ['status', '--cluster', 'other']), /^no TiKV cluster named "other" in namespace "tidb"; found tidb-operator-v1 TidbCluster "basic"$/);
      });

      it('merges KUBECONFIG like kubectl: the first file wins the current-context', async () => {
        const second = path.join(user.home, 'second.yaml');
        writeFileSync(
          second,
          stringify({
            apiVersion: 'v1',
            kind: 'Config',
            clusters: [{ name: 'nowhere', cluster: { server: 'https://127.0.0.1:1' } }],
            users: [{ name: 'u', user: { token: 't' } }],
            contexts: [{ name: 'nowhere', context: { cluster: 'nowhere', user: 'u' } }],
            'current-context': 'nowhere',
          }),
        );
        const env = { KUBECONFIG: `${user.kubeconfigPath}${path.delimiter}${second}` };
        const result = await runPlugin(user, ['version', '-o', 'json'], { env });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(JSON.parse(result.stdout).cluster.context, 'sim');
        // The second file's context is there to choose.
        const other = await runPlugin(user, ['version', '--context', 'nowhere'], { env });
        assert.equal(other.code, 1);
        assert.match(other.stderr, /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1 \(context "nowhere"\)/);
      });
    });

    it('exits 130 after a SIGINT, once it has stopped', async () => {
      // The API server answers the TidbCluster list slowly: after discovery, the run is waiting when the signal comes.
      const clear = sim.faults.kube.delayRequests({ verb: 'list', resource: 'tidbclusters', delayMs: 3_000 });
      try {
        let pid = 0;
        const running = runPlugin(user, ['status'], { viaKubectl: true, onSpawn: (p) => (pid = p) });
        const seen = sim.history.entries.length;
        await sim.history.waitFor((e) => e.type === 'kube-request' && e.data.path === '/apis' && sim.history.entries.indexOf(e) >= seen);
        process.kill(pid, 'SIGINT');
        const result = await running;
        assert.equal(result.code, 130, result.stderr);
        assert.match(result.stderr, /Interrupted: stopping and cleaning up…\n/);
        assert.match(result.stderr, /error: interrupted by SIGINT; cleanup done\n$/);
      } finally {
        clear();
      }
    });
  });
});
