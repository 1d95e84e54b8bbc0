/**
 * The real kubectl (1.32 on the machines and in CI) against the simulated API server, over TLS with a bearer token
 * from an ordinary kubeconfig. HOME and KUBECACHEDIR point into a fresh temp dir per test, so discovery caches
 * never leak between tests.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { History } from '../history.ts';
import { ObjectStore } from './object-store.ts';
import { startApiServer, type ApiServer } from './api-server.ts';
import { issueCert, makeCa } from '../tls.ts';

const ca = makeCa('kubectl-test-ca');
const serverCert = issueCert({ ca, commonName: 'kube-apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1', '::1'] });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const Pod = { apiVersion: 'v1', kind: 'Pod' };

function pod(name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { ...Pod, metadata: { name, namespace: 'tidb', labels: { 'app.kubernetes.io/component': 'tikv' } }, spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] }, ...extra };
}

const tidbClusterCrd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'tidbclusters.pingcap.com' },
  spec: {
    group: 'pingcap.com', scope: 'Namespaced', names: { plural: 'tidbclusters', singular: 'tidbcluster', kind: 'TidbCluster', shortNames: ['tc'] },
    versions: [{
      name: 'v1alpha1', served: true, storage: true, subresources: { status: {} },
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      additionalPrinterColumns: [
        { name: 'Version', type: 'string', jsonPath: '.spec.version' },
        { name: 'TiKV', type: 'integer', jsonPath: '.spec.tikv.replicas' },
        { name: 'Phase', type: 'string', jsonPath: '.status.tikv.phase' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    }],
  },
};

describe('the real kubectl against the simulated API server', function () {
  this.timeout(60_000);
  let dir: string;
  let store: ObjectStore;
  let history: History;
  let api: ApiServer;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kt-kubectl-'));
    history = new History();
    store = new ObjectStore({ history });
    store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidb' } });
    api = await startApiServer({ store, history, tls: { cert: serverCert.cert, key: serverCert.key, ca: ca.cert } });
    api.writeKubeconfig(join(dir, 'kubeconfig'), { namespace: 'tidb' });
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') };
  });
  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(args: string[], options: { input?: string; kubeconfig?: string } = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile('kubectl', args, { env: { ...env, ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}) }, timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
      if (options.input !== undefined) child.stdin!.end(options.input);
    });
  }

  function scheduled(name: string, phase = 'Running'): void {
    store.create(pod(name));
    store.patch(Pod, 'tidb', name, { spec: { nodeName: 'sim-node-1' } }, 'merge');
    store.patch(Pod, 'tidb', name, {
      status: {
        phase, podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'tikv', ready: true, restartCount: 2, state: { running: { startedAt: new Date().toISOString() } }, lastState: { terminated: { exitCode: 1, finishedAt: new Date(Date.now() - 300_000).toISOString() } } }],
      },
    }, 'merge', { subresource: 'status' });
  }

  it('lists pods as a table with the server-side columns', async () => {
    scheduled('basic-tikv-0');
    const run = await kubectl(['get', 'pods']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.match(lines[1], /^basic-tikv-0\s+1\/1\s+Running\s+2 \(5m\d*s? ago\)\s+\d+s$/);
  });

  it('prints -o wide with IP and NODE, and -o json with the object', async () => {
    scheduled('basic-tikv-0');
    const wide = await kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(wide.stdout.split('\n')[0], /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    assert.match(wide.stdout.split('\n')[1], /10\.0\.0\.7\s+sim-node-1\s+<none>\s+<none>/);
    const json = await kubectl(['get', 'pod', 'basic-tikv-0', '-o', 'json']);
    const object = JSON.parse(json.stdout) as KubeObject;
    assert.equal(object.metadata.uid, store.get(Pod, 'tidb', 'basic-tikv-0')!.metadata.uid);
    assert.equal((object.spec as { nodeName: string }).nodeName, 'sim-node-1');
  });

  it('gets statefulsets by short name', async () => {
    store.create({
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'basic-tikv', namespace: 'tidb' },
      spec: { replicas: 3, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'tikv', image: 'pingcap/tikv:v8.5.0' }] } } },
    });
    const run = await kubectl(['get', 'sts', '-o', 'wide']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\n/);
    assert.match(run.stdout, /basic-tikv\s+0\/3\s+\S+\s+tikv\s+pingcap\/tikv:v8\.5\.0/);
  });

  it('discovers a custom resource after its CRD is created (kubectl create) and prints its columns', async () => {
    const created = await kubectl(['create', '-f', '-'], { input: JSON.stringify(tidbClusterCrd) });
    assert.equal(created.code, 0, created.stderr);
    const tc = await kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster', metadata: { name: 'basic' }, spec: { version: 'v8.5.0', tikv: { replicas: 3 } } }) });
    assert.equal(tc.code, 0, tc.stderr);
    store.patch({ apiVersion: 'pingcap.com/v1alpha1', kind: 'TidbCluster' }, 'tidb', 'basic', { status: { tikv: { phase: 'Normal' } } }, 'merge', { subresource: 'status' });
    for (const args of [['get', 'tc'], ['get', 'tidbclusters'], ['get', 'tidbcluster.pingcap.com', 'basic']]) {
      const run = await kubectl(args);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^NAME\s+VERSION\s+TIKV\s+PHASE\s+AGE\n/);
      assert.match(run.stdout, /basic\s+v8\.5\.0\s+3\s+Normal\s+\d+s/);
    }
  });

  it('deletes a pod with a grace period: it stays Terminating until removed', async () => {
    scheduled('basic-tikv-1');
    const run = await kubectl(['delete', 'pod', 'basic-tikv-1', '--grace-period=20', '--wait=false']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'pod "basic-tikv-1" deleted');
    const deleting = store.get(Pod, 'tidb', 'basic-tikv-1')!;
    assert.equal(deleting.metadata.deletionGracePeriodSeconds, 20);
    const get = await kubectl(['get', 'pod', 'basic-tikv-1']);
    assert.match(get.stdout, /basic-tikv-1\s+1\/1\s+Terminating/);
    const missing = await kubectl(['delete', 'pod', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): pods "nope" not found/);
  });

  it('patches with --type merge and annotates', async () => {
    store.create(pod('p'));
    const patched = await kubectl(['patch', 'pod', 'p', '--type', 'merge', '-p', '{"metadata":{"labels":{"tidb.pingcap.com/store-id":"4"}}}']);
    assert.equal(patched.code, 0, patched.stderr);
    assert.equal(patched.stdout.trim(), 'pod/p patched');
    const annotated = await kubectl(['annotate', 'pod', 'p', 'tidb.pingcap.com/evict-leader=delete-pod']);
    assert.equal(annotated.code, 0, annotated.stderr);
    const now = store.get(Pod, 'tidb', 'p')!;
    assert.equal(now.metadata.labels!['tidb.pingcap.com/store-id'], '4');
    assert.equal(now.metadata.annotations!['tidb.pingcap.com/evict-leader'], 'delete-pod');
    const strategic = await kubectl(['patch', 'pod', 'p', '-p', '{"spec":{"containers":[{"name":"tikv","image":"pingcap/tikv:v8.5.1"}]}}']);
    assert.equal(strategic.code, 0, strategic.stderr);
    assert.equal((store.get(Pod, 'tidb', 'p')!.spec as { containers: { image: string }[] }).containers[0].image, 'pingcap/tikv:v8.5.1');
  });

  it('answers kubectl auth can-i from the RBAC rules, and reports Forbidden', async () => {
    api.addToken('viewer-token', { name: 'viewer' });
    api.authz.bind('viewer', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]);
    const viewerConfig = join(dir, 'viewer.kubeconfig');
    api.writeKubeconfig(viewerConfig, { token: 'viewer-token', user: 'viewer', namespace: 'tidb' });
    const yes = await kubectl(['auth', 'can-i', 'list', 'pods'], { kubeconfig: viewerConfig });
    assert.deepEqual([yes.code, yes.stdout.trim()], [0, 'yes']);
    const no = await kubectl(['auth', 'can-i', 'create', 'pods/portforward'], { kubeconfig: viewerConfig });
    assert.deepEqual([no.code, no.stdout.trim()], [1, 'no']);
    const admin = await kubectl(['auth', 'can-i', 'delete', 'pods']);
    assert.deepEqual([admin.code, admin.stdout.trim()], [0, 'yes']);
    store.create(pod('p'));
    const denied = await kubectl(['delete', 'pod', 'p'], { kubeconfig: viewerConfig });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Error from server \(Forbidden\): pods "p" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "tidb"/);
  });

  it('applies and re-applies manifests (client-side apply) without warnings', async () => {
    const cm = (value: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tikv-config' }, data: { 'config.toml': value } });
    const first = await kubectl(['apply', '-f', '-'], { input: cm('a') });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim(), 'configmap/tikv-config created');
    const second = await kubectl(['apply', '-f', '-'], { input: cm('b') });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'configmap/tikv-config configured');
    assert.equal(second.stderr, '');
    assert.deepEqual(store.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'tidb', 'tikv-config')!.data, { 'config.toml': 'b' });
  });

  it('enforces a Role and RoleBinding applied with kubectl for the bound user and service account', async () => {
    const manifest = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'tikv-maintainer', namespace: 'tidb' }, rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
        { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] },
      ] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'tikv-maintainer', namespace: 'tidb' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tikv-maintainer' },
        subjects: [{ kind: 'User', name: 'sre' }, { kind: 'ServiceAccount', name: 'kubectl-tikv', namespace: 'tidb' }] },
    ];
    const applied = await kubectl(['apply', '-f', '-'], { input: manifest.map((m) => JSON.stringify(m)).join('\n') });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /role.rbac.authorization.k8s.io\/tikv-maintainer created/);
    const bindings = await kubectl(['get', 'rolebindings']);
    assert.match(bindings.stdout, /tikv-maintainer\s+Role\/tikv-maintainer/);
    api.addToken('sre-token', { name: 'sre' });
    api.addToken('sa-token', { name: 'system:serviceaccount:tidb:kubectl-tikv', groups: ['system:serviceaccounts', 'system:serviceaccounts:tidb'] });
    for (const [token, user] of [['sre-token', 'sre'], ['sa-token', 'sa']]) {
      const config = join(dir, `${user}.kubeconfig`);
      api.writeKubeconfig(config, { token, user, namespace: 'tidb' });
      assert.equal((await kubectl(['auth', 'can-i', 'create', 'pods', '--subresource=portforward'], { kubeconfig: config })).stdout.trim(), 'yes');
      assert.equal((await kubectl(['auth', 'can-i', 'patch', 'statefulsets'], { kubeconfig: config })).stdout.trim(), 'no');
      assert.equal((await kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'kube-system'], { kubeconfig: config })).stdout.trim(), 'no');
      const listed = await kubectl(['get', 'pods'], { kubeconfig: config });
      assert.equal(listed.code, 0, listed.stderr);
    }
    const denied = await kubectl(['get', 'sts'], { kubeconfig: join(dir, 'sa.kubeconfig') });
    assert.match(denied.stderr, /statefulsets.apps is forbidden: User "system:serviceaccount:tidb:kubectl-tikv" cannot list resource "statefulsets" in API group "apps" in the namespace "tidb"/);
  });

  it('authenticates a kubeconfig with a client certificate (CN user, O group)', async () => {
    await api.close();
    api = await startApiServer({ store, history, tls: true });
    api.authz.bindGroup('tikv-operators', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]);
    const config = join(dir, 'cert.kubeconfig');
    api.writeKubeconfig(config, { clientCert: api.issueClientCert('jane', ['tikv-operators']), user: 'jane', namespace: 'tidb' });
    const listed = await kubectl(['get', 'pods'], { kubeconfig: config });
    assert.equal(listed.code, 0, listed.stderr);
    const denied = await kubectl(['get', 'secrets'], { kubeconfig: config });
    assert.match(denied.stderr, /secrets is forbidden: User "jane" cannot list resource "secrets"/);
    const whoami = await kubectl(['auth', 'can-i', 'list', 'pods'], { kubeconfig: config });
    assert.equal(whoami.stdout.trim(), 'yes');
  });

  it('watches pods with get -w', async () => {
    store.create(pod('first'));
    const child = spawn('kubectl', ['get', 'pods', '-w'], { env });
    let out = '';
    let created = false;
    try {
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('first') && !created) {
            // Created once kubectl printed its list: the watch (from the list's resourceVersion) must deliver it.
            created = true;
            store.create(pod('second'));
          }
          if (/second\s+0\/1\s+Pending/.test(out)) resolve();
        });
      });
    } finally {
      child.kill();
    }
    const lines = out.trim().split('\n');
    assert.match(lines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.ok(lines.some((l) => /^first\s+0\/1\s+Pending/.test(l)));
    assert.ok(lines.some((l) => /^second\s+0\/1\s+Pending/.test(l)));
  });

  it('writes the kubeconfig kubectl reads: context namespace, CA and token', async () => {
    const view = await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.contexts[0].context.namespace} {.clusters[0].cluster.server}']);
    assert.equal(view.stdout, `tidb ${api.url}`);
    const version = await kubectl(['version', '-o', 'json']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, 'v1.32.4');
  });
});
