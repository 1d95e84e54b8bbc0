import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../../src/errors.ts';
import { type KubeconfigFlags, resolveKubeconfig } from '../../src/kube/kubeconfig.ts';

interface Entry {
  name: string;
  [key: string]: unknown;
}

/** A kubeconfig document from short descriptions. */
function kubeconfig(parts: { clusters?: Entry[]; users?: Entry[]; contexts?: Entry[]; current?: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: (parts.clusters ?? []).map(({ name, ...cluster }) => ({ name, cluster })),
    users: (parts.users ?? []).map(({ name, ...user }) => ({ name, user })),
    contexts: (parts.contexts ?? []).map(({ name, ...context }) => ({ name, context })),
    ...(parts.current !== undefined ? { 'current-context': parts.current } : {}),
  });
}

describe('kubeconfig resolution (like kubectl)', () => {
  let dir: string;
  let home: string;
  const write = (relative: string, text: string) => {
    const file = path.join(dir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  const resolve = (flags: KubeconfigFlags, env: Record<string, string> = {}, serviceAccountDir = path.join(dir, 'no-sa')) =>
    resolveKubeconfig(flags, { env, homeDir: home, serviceAccountDir });
  const usageError = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.equal(error.code, 2);
    assert.match(error.message, pattern);
    return true;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kt-kubeconfig-'));
    home = path.join(dir, 'home');
    mkdirSync(home, { recursive: true });
    // The CA that `basic` names, relative to each place the tests put it.
    write('home/.kube/certs/ca.crt', 'PEM');
    write('certs/ca.crt', 'PEM');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const basic = kubeconfig({
    clusters: [{ name: 'prod', server: 'https://prod.example:6443', 'certificate-authority': 'certs/ca.crt' }],
    users: [{ name: 'alice', token: 'alice-token' }],
    contexts: [
      { name: 'prod', cluster: 'prod', user: 'alice', namespace: 'tidb' },
      { name: 'prod-default', cluster: 'prod', user: 'alice' },
    ],
    current: 'prod',
  });

  it('reads ~/.kube/config: current context, its namespace, its cluster and user', () => {
    write('home/.kube/config', basic);
    const resolved = resolve({});
    assert.equal(resolved.contextName, 'prod');
    assert.equal(resolved.namespace, 'tidb');
    assert.equal(resolved.namespaceFromFlag, false);
    assert.equal(resolved.server, 'https://prod.example:6443');
    assert.equal(resolved.user.token, 'alice-token');
    assert.deepEqual(resolved.knownContexts, ['prod', 'prod-default']);
  });

  it('resolves relative certificate paths against the kubeconfig file, as kubectl does', () => {
    write('home/.kube/config', basic);
    assert.equal(resolve({}).cluster['certificate-authority'], path.join(home, '.kube', 'certs', 'ca.crt'));
  });

  it("defaults the namespace to 'default' and lets -n override it", () => {
    write('home/.kube/config', basic);
    assert.equal(resolve({ context: 'prod-default' }).namespace, 'default');
    const flagged = resolve({ namespace: 'other' });
    assert.equal(flagged.namespace, 'other');
    assert.equal(flagged.namespaceFromFlag, true);
  });

  it('merges KUBECONFIG files: the first file wins for a duplicate name and for current-context', () => {
    const first = write(
      'a.yaml',
      kubeconfig({
        clusters: [{ name: 'shared', server: 'https://first:6443' }],
        users: [{ name: 'u', token: 'first-token' }],
        contexts: [{ name: 'shared', cluster: 'shared', user: 'u', namespace: 'from-first' }],
        current: 'shared',
      }),
    );
    const second = write(
      'b.yaml',
      kubeconfig({
        clusters: [
          { name: 'shared', server: 'https://second:6443' },
          { name: 'only-second', server: 'https://only-second:6443' },
        ],
        users: [{ name: 'u', token: 'second-token' }],
        contexts: [
          { name: 'shared', cluster: 'shared', user: 'u', namespace: 'from-second' },
          { name: 'second', cluster: 'only-second', user: 'u' },
        ],
        current: 'second',
      }),
    );
    const env = { KUBECONFIG: `${first}${path.delimiter}${second}` };
    const resolved = resolve({}, env);
    assert.equal(resolved.contextName, 'shared');
    assert.equal(resolved.namespace, 'from-first');
    assert.equal(resolved.server, 'https://first:6443');
    assert.equal(resolved.user.token, 'first-token');
    const other = resolve({ context: 'second' }, env);
    assert.equal(other.server, 'https://only-second:6443');
    // The user "u" of the second context is still the first file's.
    assert.equal(other.user.token, 'first-token');
  });

  it('skips KUBECONFIG files that do not exist', () => {
    const real = write('real.yaml', basic);
    const resolved = resolve({}, { KUBECONFIG: `${path.join(dir, 'missing.yaml')}${path.delimiter}${real}` });
    assert.equal(resolved.contextName, 'prod');
  });

  it('uses only --kubeconfig when given, ignoring KUBECONFIG', () => {
    const other = write(
      'other.yaml',
      kubeconfig({ clusters: [{ name: 'c', server: 'https://other:6443' }], users: [{ name: 'u' }], contexts: [{ name: 'o', cluster: 'c', user: 'u' }], current: 'o' }),
    );
    const env = { KUBECONFIG: write('env.yaml', basic) };
    assert.equal(resolve({ kubeconfig: other }, env).server, 'https://other:6443');
  });

  it('fails clearly when --kubeconfig does not exist', () => {
    assert.throws(() => resolve({ kubeconfig: path.join(dir, 'nope.yaml') }), usageError(/^the kubeconfig file ".*nope\.yaml" given with --kubeconfig does not exist$/));
  });

  it('says "no kubeconfig found" instead of falling back to localhost:8080', () => {
    assert.throws(() => resolve({}), usageError(/^no kubeconfig found: KUBECONFIG is not set and .*\.kube\/config does not exist$/));
    assert.throws(() => resolve({}, { KUBECONFIG: path.join(dir, 'gone.yaml') }), usageError(/^no kubeconfig found: none of the files in KUBECONFIG exist/));
  });

  it('names an unknown context and lists the known ones', () => {
    write('home/.kube/config', basic);
    assert.throws(
      () => resolve({ context: 'staging' }),
      (error: unknown) => {
        usageError(/^context "staging" does not exist in the kubeconfig/)(error);
        assert.ok((error as UsageError).suggestions.some((s) => s === 'Known contexts: prod, prod-default.'));
        return true;
      },
    );
  });

  it('says when the current-context names a context that does not exist', () => {
    write('home/.kube/config', basic.replace('current-context: prod', 'current-context: gone'));
    assert.throws(() => resolve({}), usageError(/^context "gone" \(the current-context\) does not exist/));
  });

  it('asks for --context when the kubeconfig has no current context', () => {
    write('home/.kube/config', basic.replace('current-context: prod\n', ''));
    assert.throws(() => resolve({}), usageError(/has no current context$/));
  });

  it('switches cluster and user with --kube-cluster and --user, and names unknown ones', () => {
    write(
      'home/.kube/config',
      kubeconfig({
        clusters: [
          { name: 'a', server: 'https://a:6443' },
          { name: 'b', server: 'https://b:6443' },
        ],
        users: [
          { name: 'alice', token: 'ta' },
          { name: 'bob', token: 'tb' },
        ],
        contexts: [{ name: 'ctx', cluster: 'a', user: 'alice' }],
        current: 'ctx',
      }),
    );
    const resolved = resolve({ kubeCluster: 'b', user: 'bob' });
    assert.equal(resolved.server, 'https://b:6443');
    assert.equal(resolved.user.token, 'tb');
    assert.throws(() => resolve({ kubeCluster: 'c' }), usageError(/^cluster "c" \(given with --kube-cluster\) does not exist/));
    assert.throws(() => resolve({ user: 'carol' }), usageError(/^user "carol" \(given with --user\) does not exist/));
  });

  it('names a context whose cluster is missing', () => {
    write('home/.kube/config', kubeconfig({ users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'nowhere', user: 'u' }], current: 'x' }));
    assert.throws(() => resolve({}), usageError(/^cluster "nowhere" \(of context "x"\) does not exist/));
  });

  it('overrides the server (dropping tls-server-name) and the token (dropping exec), as kubectl does', () => {
    write(
      'home/.kube/config',
      kubeconfig({
        clusters: [{ name: 'c', server: 'https://old:6443', 'tls-server-name': 'old.internal' }],
        users: [{ name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' }, 'client-certificate-data': 'Y2VydA==' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        current: 'x',
      }),
    );
    const resolved = resolve({ server: 'https://new:6443', token: 'override' });
    assert.equal(resolved.server, 'https://new:6443');
    assert.equal(resolved.cluster['tls-server-name'], undefined);
    assert.equal(resolved.user.token, 'override');
    assert.equal(resolved.user.exec, undefined);
    assert.equal(resolved.user['client-certificate-data'], 'Y2VydA==');
  });

  it('clears the CA with --insecure-skip-tls-verify and refuses a kubeconfig that sets both', () => {
    write('home/.kube/config', basic);
    const resolved = resolve({ insecureSkipTlsVerify: true });
    assert.equal(resolved.cluster['insecure-skip-tls-verify'], true);
    assert.equal(resolved.cluster['certificate-authority'], undefined);
    write('home/.kube/config', basic.replace('certificate-authority: certs/ca.crt', 'certificate-authority: certs/ca.crt\n      insecure-skip-tls-verify: true'));
    assert.throws(() => resolve({}), usageError(/sets both a certificate authority and insecure-skip-tls-verify/));
  });

  it('resolves a relative exec command against the kubeconfig directory', () => {
    write(
      'home/.kube/config',
      kubeconfig({
        clusters: [{ name: 'c', server: 'https://c:6443' }],
        users: [{ name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/login' } }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        current: 'x',
      }),
    );
    assert.equal((resolve({}).user.exec as { command: string }).command, path.join(home, '.kube', 'bin', 'login'));
  });

  it('works from flags alone (-s and --token) without a kubeconfig, as kubectl does', () => {
    const resolved = resolve({ server: 'https://10.0.0.1:6443', token: 't', namespace: 'x' });
    assert.equal(resolved.server, 'https://10.0.0.1:6443');
    assert.equal(resolved.contextName, '');
    assert.equal(resolved.user.token, 't');
  });

  it('adds https:// to a server without a scheme', () => {
    write('home/.kube/config', basic.replace('https://prod.example:6443', 'prod.example:6443'));
    assert.equal(resolve({}).server, 'https://prod.example:6443');
  });

  it('uses the in-cluster service account when there is no kubeconfig', () => {
    const sa = path.join(dir, 'sa');
    write('sa/token', 'sa-token');
    write('sa/namespace', 'tidb-admin\n');
    write('sa/ca.crt', 'PEM');
    const resolved = resolve({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, sa);
    assert.equal(resolved.server, 'https://10.96.0.1:443');
    assert.equal(resolved.namespace, 'tidb-admin');
    assert.equal(resolved.user.tokenFile, path.join(sa, 'token'));
    assert.equal(resolved.cluster['certificate-authority'], path.join(sa, 'ca.crt'));
  });

  it('reports a kubeconfig that is not YAML, or not a kubeconfig', () => {
    write('home/.kube/config', 'clusters: [\n');
    assert.throws(() => resolve({}), usageError(/is not valid YAML/));
    write('home/.kube/config', '- just\n- a list\n');
    assert.throws(() => resolve({}), usageError(/is not a kubeconfig/));
    write('home/.kube/config', 'clusters: 5\n');
    assert.throws(() => resolve({}), usageError(/"clusters" is not a list/));
  });

  it('names a certificate file the kubeconfig refers to that does not exist', () => {
    write('home/.kube/config', basic.replace('certs/ca.crt', 'certs/missing.crt'));
    assert.throws(() => resolve({}), usageError(/^the certificate-authority file ".*certs\/missing\.crt" of cluster "prod" does not exist/));
  });

  it('rejects a namespace that cannot exist', () => {
    write('home/.kube/config', basic);
    assert.throws(() => resolve({ namespace: 'Bad_NS' }), usageError(/^invalid namespace "Bad_NS"/));
  });

  it('passes --as, --as-group and --request-timeout through', () => {
    write('home/.kube/config', basic);
    const resolved = resolve({ as: 'admin', asGroups: ['system:masters', 'ops'], requestTimeoutMs: 5000 });
    assert.deepEqual(resolved.impersonate, { user: 'admin', groups: ['system:masters', 'ops'] });
    assert.equal(resolved.requestTimeoutMs, 5000);
    assert.equal(resolve({}).requestTimeoutMs, 30_000);
  });
});

describe('the API server proxy from the environment (as kubectl)', () => {
  it('uses HTTPS_PROXY for an https server, HTTP_PROXY for an http one, in either case', async () => {
    const { proxyFromEnvironment } = await import('../../src/kube/kubeconfig.ts');
    assert.equal(proxyFromEnvironment('https://api.example.com:6443', { HTTPS_PROXY: 'http://proxy:3128' }), 'http://proxy:3128');
    assert.equal(proxyFromEnvironment('https://api.example.com:6443', { https_proxy: 'proxy:3128' }), 'http://proxy:3128');
    assert.equal(proxyFromEnvironment('http://api.example.com:8080', { HTTPS_PROXY: 'http://proxy:3128' }), undefined);
    assert.equal(proxyFromEnvironment('http://api.example.com:8080', { HTTP_PROXY: 'socks5://proxy:1080' }), 'socks5://proxy:1080');
  });

  it('honours NO_PROXY (hosts, domains with subdomains, CIDR, *) and never proxies loopback', async () => {
    const { proxyFromEnvironment } = await import('../../src/kube/kubeconfig.ts');
    const env = { HTTPS_PROXY: 'http://proxy:3128' };
    assert.equal(proxyFromEnvironment('https://api.corp.example:6443', { ...env, NO_PROXY: 'other,.corp.example' }), undefined);
    assert.equal(proxyFromEnvironment('https://api.corp.example:6443', { ...env, NO_PROXY: 'corp.example' }), undefined);
    assert.equal(proxyFromEnvironment('https://api.corp.example:6443', { ...env, no_proxy: 'example.org' }), 'http://proxy:3128');
    assert.equal(proxyFromEnvironment('https://10.1.2.3:6443', { ...env, NO_PROXY: '10.0.0.0/8' }), undefined);
    assert.equal(proxyFromEnvironment('https://11.1.2.3:6443', { ...env, NO_PROXY: '10.0.0.0/8' }), 'http://proxy:3128');
    assert.equal(proxyFromEnvironment('https://anything:6443', { ...env, NO_PROXY: '*' }), undefined);
    assert.equal(proxyFromEnvironment('https://127.0.0.1:6443', env), undefined);
    assert.equal(proxyFromEnvironment('https://[::1]:6443', env), undefined);
    assert.equal(proxyFromEnvironment('https://localhost:6443', env), undefined);
  });
});
