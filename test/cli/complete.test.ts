import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/run-cli.ts';
import { type KubeFixture, startKubeFixture } from '../kube/kube-fixture.ts';
import { addV1 } from '../kube/topology-fixtures.ts';
import { captureRuntime } from './capture-runtime.ts';

/** The candidates (values only) and the directive of a `__complete` run. */
async function complete(words: string[], env: Record<string, string> = {}): Promise<{ values: string[]; lines: string[]; directive: string }> {
  const runtime = captureRuntime({ env });
  assert.equal(await runCli(['__complete', ...words], runtime), 0);
  assert.equal(runtime.err(), '');
  const lines = runtime.out().trimEnd().split('\n');
  const directive = lines.pop() as string;
  return { values: lines.map((l) => l.split('\t')[0]), lines, directive };
}

describe('shell completion (the __complete protocol kubectl uses for plugins)', () => {
  it('offers the commands, with their summaries, and no file names', async () => {
    const { values, lines, directive } = await complete(['']);
    assert.deepEqual(values, ['status', 'stores', 'evict', 'restart', 'upgrade', 'version']);
    assert.match(lines[3], /^restart\tGracefully restart TiKV pods/);
    assert.equal(directive, ':4');
    assert.deepEqual((await complete(['-n', 'prod', 're'])).values, ['restart']);
  });

  it("offers the command's flags, and the global ones", async () => {
    const { values } = await complete(['restart', '--ev']);
    assert.deepEqual(values, ['--evict-timeout']);
    const all = (await complete(['upgrade', '--'])).values;
    assert.ok(all.includes('--version') && all.includes('--dry-run') && all.includes('--namespace'));
    assert.ok(!all.includes('--poll-interval'), 'hidden flags are not offered');
  });

  it('offers the fixed values of a flag', async () => {
    assert.deepEqual((await complete(['status', '-o', ''])).values, ['json', 'yaml', 'wide']);
    assert.deepEqual((await complete(['--topology', 'tidb'])).values, ['tidb-operator-v1', 'tidb-operator-v2']);
    assert.deepEqual((await complete(['restart', '--on-evict-timeout', ''])).values, ['abort', 'restart']);
  });

  describe('with a cluster', () => {
    let fixture: KubeFixture;
    before(async () => {
      fixture = await startKubeFixture({ tls: true });
      addV1(fixture.store, 'tidb', 'basic');
    });
    after(async () => fixture.close());

    it("offers the kubeconfig's contexts for --context", async () => {
      assert.deepEqual((await complete(['--kubeconfig', fixture.kubeconfigPath, 'status', '--context', ''])).values, ['sim']);
      assert.deepEqual((await complete(['--context', ''], { KUBECONFIG: fixture.kubeconfigPath })).values, ['sim']);
    });

    it('offers namespaces for -n', async () => {
      const { values } = await complete(['-n', ''], { KUBECONFIG: fixture.kubeconfigPath });
      assert.ok(values.includes('tidb'), values.join(','));
    });

    it('offers the TiKV pods of the cluster for restart and evict', async () => {
      assert.deepEqual((await complete(['restart', ''], { KUBECONFIG: fixture.kubeconfigPath })).values, ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
      assert.deepEqual((await complete(['-n', 'tidb', 'evict', 'basic-tikv-2'], { KUBECONFIG: fixture.kubeconfigPath })).values, ['basic-tikv-2']);
    });

    it('offers nothing, quietly, when the cluster cannot be asked', async () => {
      const { values, directive } = await complete(['--server', 'https://127.0.0.1:1', 'restart', ''], { KUBECONFIG: fixture.kubeconfigPath });
      assert.deepEqual(values, []);
      assert.equal(directive, ':4');
    });
  });
});
