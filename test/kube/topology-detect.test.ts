import assert from 'node:assert/strict';
import { UsageError, UserError } from '../../src/errors.ts';
import { readClientTls } from '../../src/kube/cluster-tls.ts';
import { KubeError } from '../../src/kube/kube-error.ts';
import { listTikvInstances, instanceNameOfPod } from '../../src/kube/tikv-instances.ts';
import { listTikvPods } from '../../src/kube/tikv-pods.ts';
import { detectCluster } from '../../src/kube/topology-detect.ts';
import { type KubeFixture, startKubeFixture } from './kube-fixture.ts';
import { addClientSecret, addSeed, addStatefulSets, addV1, addV2 } from './topology-fixtures.ts';

function usage(pattern: RegExp, suggestion?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.match(error.message, pattern);
    if (suggestion) assert.ok(error.suggestions.some((s) => suggestion.test(s)), `no suggestion matches ${suggestion}: ${error.suggestions.join(' | ')}`);
    return true;
  };
}

describe('topology detection and the TiKV pod/instance readers', () => {
  let fixture: KubeFixture;
  beforeEach(async () => {
    fixture = await startKubeFixture();
  });
  afterEach(async () => fixture.close());

  it('finds a tidb-operator v1 TidbCluster, its PD service and its TiKV pods (not its StatefulSet as a plain one)', async () => {
    addV1(fixture.store, 'tidb', 'basic');
    const kube = fixture.kube();
    const cluster = await detectCluster(kube, {});
    assert.deepEqual(cluster.ref, { topology: 'tidb-operator-v1', namespace: 'tidb', name: 'basic' });
    assert.deepEqual(cluster.pd, { kind: 'service', namespace: 'tidb', service: 'basic-pd', port: 2379, scheme: 'http' });
    assert.equal(cluster.statefulSet?.name, 'basic-tikv');
    assert.equal(cluster.tls, undefined);
    const pods = await listTikvPods(kube, cluster);
    assert.deepEqual(pods.map((p) => [p.name, p.storeIdLabel, p.owner?.kind]), [
      ['basic-tikv-0', 1, 'StatefulSet'],
      ['basic-tikv-1', 2, 'StatefulSet'],
      ['basic-tikv-2', 3, 'StatefulSet'],
    ]);
    assert.equal(pods[0].image, 'pingcap/tikv:v8.5.0');
    assert.deepEqual(await listTikvInstances(kube, cluster), []);
  });

  it('takes the TLS client secret of a v1 cluster with tlsCluster enabled, and PD over https', async () => {
    addV1(fixture.store, 'tidb', 'secure', { tls: true });
    const cluster = await detectCluster(fixture.kube(), {});
    assert.deepEqual(cluster.tls, { namespace: 'tidb', name: 'secure-cluster-client-secret' });
    assert.equal(cluster.pd.kind === 'service' && cluster.pd.scheme, 'https');
  });

  it('finds a tidb-operator v2 Cluster with its TiKVGroup, instances and PD from status.pd', async () => {
    addV2(fixture.store, 'tidb', 'tc2', { tls: true, clientSecret: 'custom-client' });
    const kube = fixture.kube();
    const cluster = await detectCluster(kube, {});
    assert.deepEqual(cluster.ref, { topology: 'tidb-operator-v2', namespace: 'tidb', name: 'tc2' });
    assert.deepEqual(cluster.pd, { kind: 'service', namespace: 'tidb', service: 'tc2-pd-pd', port: 2379, scheme: 'https' });
    assert.deepEqual(cluster.tls, { namespace: 'tidb', name: 'custom-client' });
    assert.deepEqual(cluster.tikvGroups.map((g) => g.name), ['tc2-tikv']);
    const instances = await listTikvInstances(kube, cluster);
    assert.deepEqual(instances.map((i) => [i.name, i.storeId, i.specVersion, i.state, i.conditions.LeadersEvicted?.reason]), [
      ['tc2-tikv-abc123', 4, '8.5.0', 'Serving', 'NotEvicted'],
      ['tc2-tikv-def456', 5, '8.5.0', 'Serving', 'NotEvicted'],
    ]);
    const pods = await listTikvPods(kube, cluster);
    assert.deepEqual(pods.map((p) => instanceNameOfPod(cluster, p)), ['tc2-tikv-abc123', 'tc2-tikv-def456']);
  });

  it("falls back to the PDGroup's service when a v2 Cluster has no status.pd yet", async () => {
    addV2(fixture.store, 'tidb', 'young', { statusPd: false });
    const cluster = await detectCluster(fixture.kube(), {});
    assert.deepEqual(cluster.pd, { kind: 'service', namespace: 'tidb', service: 'young-pd-pd', port: 2379, scheme: 'http' });
  });

  it("finds the seed's tikv-operator by kind in its own API group, with the Helm PD service", async () => {
    addSeed(fixture.store, 'tidb', 'seed');
    const kube = fixture.kube();
    const cluster = await detectCluster(kube, {});
    assert.deepEqual(cluster.ref, { topology: 'tikv-operator', namespace: 'tidb', name: 'seed' });
    assert.equal(cluster.instanceKind?.apiVersion, 'core.tikv.org/v1alpha1');
    assert.deepEqual(cluster.pd, { kind: 'service', namespace: 'tidb', service: 'seed-pd', port: 2379, scheme: 'http' });
    const instances = await listTikvInstances(kube, cluster);
    assert.deepEqual(instances.map((i) => [i.name, i.storeId]), [
      ['seed-tikv-0', 1],
      ['seed-tikv-1', 2],
    ]);
    const pods = await listTikvPods(kube, cluster);
    assert.deepEqual(pods.map((p) => instanceNameOfPod(cluster, p)), ['seed-tikv-0', 'seed-tikv-1']);
  });

  it('finds plain StatefulSets by the default selector, with the release PD service (not the headless peer)', async () => {
    addStatefulSets(fixture.store, 'tidb', 'rel');
    const kube = fixture.kube();
    const cluster = await detectCluster(kube, {});
    assert.deepEqual(cluster.ref, { topology: 'statefulset', namespace: 'tidb', name: 'rel-tikv' });
    assert.deepEqual(cluster.pd, { kind: 'service', namespace: 'tidb', service: 'rel-pd', port: 2379, scheme: 'http' });
    assert.deepEqual(cluster.tikvPodOwner, { kind: 'StatefulSet', name: 'rel-tikv' });
  });

  it('uses --selector for StatefulSets labelled differently', async () => {
    addStatefulSets(fixture.store, 'tidb', 'rel');
    await assert.rejects(detectCluster(fixture.kube(), { selector: 'app=storage' }), usage(/^no TiKV cluster found in namespace "tidb"$/, /StatefulSets labelled app=storage/));
    const cluster = await detectCluster(fixture.kube(), { selector: 'app.kubernetes.io/instance=rel,app.kubernetes.io/component=tikv' });
    assert.equal(cluster.ref.name, 'rel-tikv');
  });

  it('lists what it found when a namespace holds several clusters, and --cluster or --topology chooses', async () => {
    addV1(fixture.store, 'tidb', 'basic');
    addStatefulSets(fixture.store, 'tidb', 'rel');
    const kube = fixture.kube();
    await assert.rejects(
      detectCluster(kube, {}),
      usage(/^found 2 TiKV clusters in namespace "tidb": tidb-operator-v1 TidbCluster "basic", statefulset "rel-tikv"$/, /--cluster NAME \(basic, rel-tikv\)/),
    );
    assert.equal((await detectCluster(kube, { clusterName: 'basic' })).ref.topology, 'tidb-operator-v1');
    // A Helm release name works too.
    assert.equal((await detectCluster(kube, { clusterName: 'rel' })).ref.name, 'rel-tikv');
    assert.equal((await detectCluster(kube, { topology: 'statefulset' })).ref.name, 'rel-tikv');
  });

  it('names the clusters it found when --cluster matches none', async () => {
    addV1(fixture.store, 'tidb', 'basic');
    await assert.rejects(
      detectCluster(fixture.kube(), { clusterName: 'other' }),
      usage(/^no TiKV cluster named "other" in namespace "tidb"; found tidb-operator-v1 TidbCluster "basic"$/),
    );
  });

  it('says what it looked for in an empty namespace, and where clusters are', async () => {
    addV1(fixture.store, 'prod', 'basic');
    await assert.rejects(
      detectCluster(fixture.kube(), {}),
      usage(/^no TiKV cluster found in namespace "tidb"$/, /TiKV clusters exist in namespace "prod": use -n NAMESPACE/),
    );
    const inProd = await detectCluster(fixture.kube({ namespace: 'prod' }), {});
    assert.equal(inProd.ref.name, 'basic');
  });

  it('refuses --topology when the API server does not serve its kinds', async () => {
    addStatefulSets(fixture.store, 'tidb', 'rel');
    await assert.rejects(detectCluster(fixture.kube(), { topology: 'tidb-operator-v2' }), usage(/^--topology tidb-operator-v2 was given, but the API server does not serve its resources/));
  });

  it('honours --pd-service and --pd-url', async () => {
    addV1(fixture.store, 'tidb', 'basic');
    const viaService = await detectCluster(fixture.kube(), { pdService: 'my-pd' });
    assert.deepEqual(viaService.pd, { kind: 'service', namespace: 'tidb', service: 'my-pd', port: 2379, scheme: 'http' });
    const viaUrl = await detectCluster(fixture.kube(), { pdUrl: 'http://127.0.0.1:2379' });
    assert.deepEqual(viaUrl.pd, { kind: 'url', url: 'http://127.0.0.1:2379' });
  });

  it('still finds a StatefulSet cluster when RBAC hides an operator kind, and reports the denial when nothing is found', async () => {
    addV1(fixture.store, 'tidb', 'basic');
    addStatefulSets(fixture.store, 'other', 'rel');
    fixture.api.addToken('sts-only', { name: 'sts-only' });
    fixture.api.authz.bind('sts-only', [{ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['statefulsets', 'services', 'secrets', 'pods'] }]);
    const found = await detectCluster(fixture.kube({ token: 'sts-only', namespace: 'other' }), {});
    assert.equal(found.ref.name, 'rel-tikv');
    await assert.rejects(detectCluster(fixture.kube({ token: 'sts-only' }), {}), (error: unknown) => {
      assert.ok(error instanceof KubeError);
      assert.equal(error.status, 403);
      assert.equal(error.resource, 'tidbclusters.pingcap.com');
      return true;
    });
  });

  it('reads the client certificate from the secret, and names a missing one', async () => {
    addV1(fixture.store, 'tidb', 'secure', { tls: true });
    const kube = fixture.kube();
    const cluster = await detectCluster(kube, {});
    await assert.rejects(readClientTls(kube, cluster.tls!), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /client certificate secret "secure-cluster-client-secret" does not exist in namespace "tidb"/);
      return true;
    });
    addClientSecret(fixture.store, 'tidb', 'secure-cluster-client-secret', { ca: 'CA', cert: 'CERT', key: 'KEY' });
    assert.deepEqual(await readClientTls(kube, cluster.tls!), { ca: 'CA', cert: 'CERT', key: 'KEY' });
  });

  it('treats a present client secret as cluster TLS for the seed operator and StatefulSets', async () => {
    addStatefulSets(fixture.store, 'tidb', 'rel');
    addClientSecret(fixture.store, 'tidb', 'rel-cluster-client-secret', { ca: 'CA', cert: 'CERT', key: 'KEY' });
    const cluster = await detectCluster(fixture.kube(), {});
    assert.deepEqual(cluster.tls, { namespace: 'tidb', name: 'rel-cluster-client-secret' });
    assert.equal(cluster.pd.kind === 'service' && cluster.pd.scheme, 'https');
  });
});
