import assert from 'node:assert/strict';
import type { Topology } from '../../src/core/model.ts';
import { type SimCluster, type SimClusterOptions, startSimCluster } from '../sim/cluster.ts';
import { createUserEnvironment, ensureBuilt, runPlugin, type UserEnvironment } from './harness.ts';

/** What `version -o json` reports for a cluster. */
interface VersionJson {
  cluster: { topology: Topology; namespace: string; name: string; context: string };
  pd: { version: string };
  tikv: { versions: { version: string; stores: number }[] };
}

/**
 * The plugin finds each topology of topologies.md in a whole simulated cluster (operators, kubelet, StatefulSet
 * and endpoints controllers, PD and TiKV simulations) and reaches its PD through the port-forward — with cluster
 * TLS where the operator turns it on.
 */
describe('kubectl tikv on every topology (whole simulated clusters)', function () {
  this.timeout(120_000);
  let user: UserEnvironment;
  let sim: SimCluster | undefined;

  before(() => ensureBuilt());
  beforeEach(() => {
    user = createUserEnvironment();
  });
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    user.dispose();
  });

  async function versionOf(options: SimClusterOptions, argv: string[] = []): Promise<VersionJson> {
    sim = await startSimCluster({ stores: 3, timeScale: 0.01, ...options });
    sim.writeKubeconfig(user.kubeconfigPath);
    const result = await runPlugin(user, ['version', '-o', 'json', ...argv]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    return JSON.parse(result.stdout) as VersionJson;
  }

  const cases: { topology: Topology; name: string; tls?: boolean; pdVersion?: string; tikvVersion?: string }[] = [
    { topology: 'tidb-operator-v1', name: 'basic' },
    { topology: 'tidb-operator-v1', name: 'basic', tls: true },
    { topology: 'tidb-operator-v2', name: 'basic', tls: true },
    { topology: 'tikv-operator', name: 'basic', tikvVersion: 'v7.5.0', pdVersion: 'v7.5.0' },
    { topology: 'statefulset', name: 'basic-tikv', tls: true },
  ];
  for (const c of cases) {
    it(`finds a ${c.topology} cluster${c.tls ? ' with cluster TLS' : ''} and reads PD and TiKV versions through the tunnel`, async () => {
      const report = await versionOf({ topology: c.topology, tls: c.tls, pdVersion: c.pdVersion, tikvVersion: c.tikvVersion });
      assert.deepEqual(report.cluster, { topology: c.topology, namespace: 'tidb', name: c.name, context: report.cluster.context });
      assert.equal(report.pd.version, c.pdVersion ?? 'v8.5.0');
      assert.deepEqual(report.tikv.versions, [{ version: c.tikvVersion ?? 'v8.5.0', stores: 3 }]);
    });
  }

  it('asks which cluster when two share a namespace, and --cluster chooses', async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v2', stores: 1, timeScale: 0.01, extraClusters: [{ clusterName: 'other', stores: 2 }] });
    sim.writeKubeconfig(user.kubeconfigPath);
    const ambiguous = await runPlugin(user, ['version']);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /^error: found 2 TiKV clusters in namespace "tidb": tidb-operator-v2 Cluster "basic", tidb-operator-v2 Cluster "other"\nChoose one with --cluster NAME \(basic, other\)/);
    const chosen = await runPlugin(user, ['version', '-o', 'json', '--cluster', 'other']);
    assert.equal(chosen.code, 0, chosen.stderr);
    const report = JSON.parse(chosen.stdout) as VersionJson;
    assert.equal(report.cluster.name, 'other');
    assert.deepEqual(report.tikv.versions, [{ version: 'v8.5.0', stores: 2 }]);
  });

  it('works with the minimal read-only rules: get/list/watch on the kinds it reads, create on pods/portforward', async () => {
    sim = await startSimCluster({
      topology: 'tidb-operator-v1',
      stores: 1,
      timeScale: 0.01,
      users: [
        {
          name: 'tikv-maintainer',
          token: 'maintainer-token',
          rules: [
            { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods', 'services', 'endpoints', 'secrets'], namespaces: ['tidb'] },
            { verbs: ['get', 'list', 'watch'], apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], namespaces: ['tidb'] },
            { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['statefulsets'], namespaces: ['tidb'] },
            { verbs: ['get', 'list', 'watch'], apiGroups: ['pingcap.com'], resources: ['tidbclusters'], namespaces: ['tidb'] },
            { verbs: ['create'], apiGroups: [''], resources: ['pods/portforward'], namespaces: ['tidb'] },
          ],
        },
      ],
    });
    sim.writeKubeconfig(user.kubeconfigPath, { user: 'tikv-maintainer' });
    const result = await runPlugin(user, ['version', '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as VersionJson).pd.version, 'v8.5.0');
  });
});
