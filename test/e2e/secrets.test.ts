import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeObject } from '../../src/kube/kube.ts';
import { startSimCluster, type SimCluster } from '../sim/cluster.ts';
import { makeCa } from '../sim/tls.ts';
import { runCli, type ChildResult } from '../faults/signal-case.ts';

/**
 * No token, certificate or key ever reaches the output: the CLI (a child process running the sources) is run with
 * recognisable secrets in the kubeconfig (a bearer token, a client certificate and key), on the command line
 * (--token) and in the cluster's TLS client secret — verbosely, as JSON/YAML, succeeding and failing — and none of
 * them appears in stdout or stderr. PD's certificate is verified by default; --pd-insecure-skip-tls-verify turns that
 * off, loudly.
 */

const TOKEN = 'kt-secret-token-4c0ffee-do-not-print';
const WRONG_TOKEN = 'kt-secret-wrong-token-77-do-not-print';
const SECRET_KIND = { apiVersion: 'v1', kind: 'Secret' };

/** The pieces of a PEM that would give it away: its base64 lines (and the header of a private key). */
function pemPieces(pem: string): string[] {
  return pem
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= 24 && !line.startsWith('-----'));
}

describe('secrets never reach the output; PD TLS is verified unless explicitly skipped', function () {
  this.timeout(240_000);
  let sim: SimCluster;
  let dir: string;
  let secrets: { name: string; pieces: string[] }[];
  let tokenKubeconfig: string;
  let certKubeconfig: string;

  before(async () => {
    sim = await startSimCluster({ topology: 'tidb-operator-v1', stores: 3, timeScale: 0.025, regionsPerStore: 20, tls: true, users: [{ name: 'alice', token: TOKEN }] });
    dir = mkdtempSync(path.join(tmpdir(), 'kt-secrets-'));
    tokenKubeconfig = path.join(dir, 'token.kubeconfig');
    sim.writeKubeconfig(tokenKubeconfig, { user: 'alice' });
    const clientCert = sim.apiServer.issueClientCert('bob', ['system:masters']);
    certKubeconfig = path.join(dir, 'cert.kubeconfig');
    sim.apiServer.writeKubeconfig(certKubeconfig, { clientCert, namespace: sim.namespace });
    const tls = sim.tls!;
    const secret = sim.store.get<KubeObject & { data: Record<string, string> }>(SECRET_KIND, sim.namespace, `${sim.clusterName}-cluster-client-secret`)!;
    secrets = [
      { name: 'the kubeconfig token', pieces: [TOKEN] },
      { name: 'the token given with --token', pieces: [WRONG_TOKEN] },
      { name: "the kubeconfig's client key", pieces: pemPieces(clientCert.key) },
      { name: "the kubeconfig's client certificate", pieces: pemPieces(clientCert.cert) },
      { name: "the cluster TLS secret's key", pieces: [...pemPieces(tls.clientKey), ...chunks(secret.data['tls.key'])] },
      { name: "the cluster TLS secret's certificate", pieces: [...pemPieces(tls.clientCert), ...chunks(secret.data['tls.crt'])] },
    ];
  });

  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Base64 in 32-character pieces (how an encoded secret would show in a dump). */
  function chunks(base64: string): string[] {
    const out: string[] = [];
    for (let i = 0; i + 32 <= base64.length; i += 32) out.push(base64.slice(i, i + 32));
    return out;
  }

  function assertNoSecret(result: ChildResult, what: string): void {
    const output = `${result.stdout}\n${result.stderr}`;
    assert.doesNotMatch(output, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, `${what}: no private key`);
    for (const secret of secrets) {
      const leaked = secret.pieces.find((piece) => output.includes(piece));
      assert.equal(leaked, undefined, `${what}: ${secret.name} appears in the output:\n${output}`);
    }
  }

  const pods = () => sim.tikvPodNames();
  const store0 = () => String(sim.pd.storeOfPod(pods()[0])!.storeId);
  const step = ['-y', '--poll-interval', '50ms', '--evict-timeout', '30s', '--ready-timeout', '30s', '--leader-return-timeout', '10s'];
  const runs: { title: string; kubeconfig: () => string; argv: () => string[]; exit: number }[] = [
    { title: 'status -v', kubeconfig: () => tokenKubeconfig, argv: () => ['status', '-v'], exit: 0 },
    { title: 'status -o json -v', kubeconfig: () => tokenKubeconfig, argv: () => ['status', '-o', 'json', '-v'], exit: 0 },
    { title: 'version -o yaml -v', kubeconfig: () => tokenKubeconfig, argv: () => ['version', '-o', 'yaml', '-v'], exit: 0 },
    { title: 'upgrade --dry-run -o json -v', kubeconfig: () => tokenKubeconfig, argv: () => ['upgrade', '--version', 'v8.5.1', '--dry-run', '-o', 'json', '-v'], exit: 0 },
    { title: 'restart POD -o json -v', kubeconfig: () => tokenKubeconfig, argv: () => ['restart', pods()[1], '-o', 'json', '-v', ...step], exit: 0 },
    { title: 'evict POD -v, evict --list -o json, evict --end', kubeconfig: () => tokenKubeconfig, argv: () => ['evict', pods()[0], '-v', '-y', '--poll-interval', '50ms'], exit: 0 },
    { title: 'evict --list -o json -v', kubeconfig: () => tokenKubeconfig, argv: () => ['evict', '--list', '-o', 'json', '-v'], exit: 0 },
    { title: 'evict --end -v', kubeconfig: () => tokenKubeconfig, argv: () => ['evict', '--end', '--store', store0(), '-y', '-v'], exit: 0 },
    { title: 'a pod that does not exist, -v', kubeconfig: () => tokenKubeconfig, argv: () => ['restart', 'basic-tikv-9', '-v', ...step], exit: 2 },
    { title: 'a wrong --token (401), -v', kubeconfig: () => tokenKubeconfig, argv: () => ['status', '--token', WRONG_TOKEN, '-v'], exit: 2 },
    { title: 'PD unreachable over https (--pd-url), -v', kubeconfig: () => tokenKubeconfig, argv: () => ['status', '--pd-url', 'https://127.0.0.1:1', '-v'], exit: 1 },
    { title: 'client-certificate kubeconfig: status -o yaml -v', kubeconfig: () => certKubeconfig, argv: () => ['status', '-o', 'yaml', '-v'], exit: 0 },
    { title: 'client-certificate kubeconfig: an unknown context, -v', kubeconfig: () => certKubeconfig, argv: () => ['status', '--context', 'nope', '-v'], exit: 2 },
    { title: 'client-certificate kubeconfig: a malformed version, -v', kubeconfig: () => certKubeconfig, argv: () => ['upgrade', '--version', 'v8.x', '-y', '-v'], exit: 2 },
  ];
  for (const run of runs) {
    it(`prints no token, certificate or key: ${run.title}`, async () => {
      const result = await runCli(run.argv(), { KUBECONFIG: run.kubeconfig(), HOME: dir });
      assert.equal(result.code, run.exit, `exit ${run.exit} expected:\n${result.stderr}`);
      assertNoSecret(result, run.title);
    });
  }

  it("verifies PD's certificate by default: a CA that did not sign it is refused, without printing any secret", async () => {
    const name = `${sim.clusterName}-cluster-client-secret`;
    const original = sim.store.get<KubeObject & { data: Record<string, string> }>(SECRET_KIND, sim.namespace, name)!.data['ca.crt'];
    const stranger = makeCa('not the cluster CA');
    setCa(name, Buffer.from(stranger.cert).toString('base64'));
    try {
      const refused = await runCli(['status', '-v'], { KUBECONFIG: tokenKubeconfig, HOME: dir });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /^error: [^\n]*(certificate|TLS)/im, refused.stderr);
      assertNoSecret(refused, 'an untrusted PD certificate');

      const insecure = await runCli(['status', '--pd-insecure-skip-tls-verify'], { KUBECONFIG: tokenKubeconfig, HOME: dir });
      assert.equal(insecure.code, 0, insecure.stderr);
      assert.match(insecure.stderr, /^warning: --pd-insecure-skip-tls-verify: the TLS certificates of PD and TiKV are not verified/m);
      assertNoSecret(insecure, '--pd-insecure-skip-tls-verify');
    } finally {
      setCa(name, original);
    }
  });

  it('says nothing about skipping verification when the flag is not given', async () => {
    const result = await runCli(['status'], { KUBECONFIG: tokenKubeconfig, HOME: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /insecure|not verified/);
  });

  function setCa(name: string, base64: string): void {
    sim.store.mutate(SECRET_KIND, sim.namespace, name, (secret: KubeObject & { data?: Record<string, string> }) => {
      secret.data = { ...(secret.data ?? {}), 'ca.crt': base64 };
    });
  }
});
