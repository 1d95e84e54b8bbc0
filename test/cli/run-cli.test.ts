import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli } from '../../src/cli/run-cli.ts';
import { captureRuntime } from './capture-runtime.ts';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function run(argv: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) {
  const runtime = captureRuntime(options);
  const code = await runCli(argv, runtime);
  return { code, out: runtime.out(), err: runtime.err() };
}

describe('the CLI in-process', () => {
  describe('help', () => {
    it('reads `kubectl tikv`, lists the commands and the global flags', async () => {
      const { code, out, err } = await run(['--help']);
      assert.equal(code, 0);
      assert.equal(err, '');
      assert.match(out, /\$ kubectl tikv \[COMMAND\]/);
      assert.doesNotMatch(out, /\$ kubectl-tikv/);
      for (const command of ['status', 'evict', 'restart', 'upgrade', 'version']) assert.match(out, new RegExp(`^ {2}${command} `, 'm'));
      assert.match(out, /-n, --namespace=NS/);
      assert.match(out, /--kube-cluster=NAME .*kubectl's --cluster/);
      assert.doesNotMatch(out, /poll-interval/);
    });

    it('shows a command\'s help with kubectl-style usage and examples, wherever -h is', async () => {
      const { code, out } = await run(['-n', 'prod', 'restart', '-h']);
      assert.equal(code, 0);
      assert.match(out, /\$ kubectl tikv restart \[POD\.\.\.\] \[--all\] \[flags\]/);
      assert.match(out, /\$ kubectl tikv restart --all --yes -n tidb/);
      assert.match(out, /--evict-timeout=DURATION +\[default: 10m\]/);
      assert.match(out, /KUBECTL FLAGS/);
    });

    it('answers `help COMMAND` and knows aliases', async () => {
      const { code, out } = await run(['help', 'stores']);
      assert.equal(code, 0);
      assert.match(out, /\$ kubectl tikv status/);
    });

    it('prints the root help when run without arguments', async () => {
      const { code, out } = await run([]);
      assert.equal(code, 0);
      assert.match(out, /COMMANDS/);
    });
  });

  describe('usage errors exit 2 with one line and a suggestion', () => {
    it('names an unknown command and suggests the close one', async () => {
      const { code, out, err } = await run(['restat', 'basic-tikv-0']);
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.equal(err, `error: unknown command "restat" for "kubectl tikv"\nDid you mean 'restart'?\nRun 'kubectl tikv --help' for usage.\n`);
    });

    it('names an unknown flag, suggests the close one and the command help', async () => {
      const { code, err } = await run(['restart', 'x', '--evict-timout', '5m', '-y']);
      assert.equal(code, 2);
      assert.equal(err, "error: unknown flag: --evict-timout\nDid you mean --evict-timeout?\nRun 'kubectl tikv restart --help' for usage.\n".replace('unknown flag: --evict-timeout', 'unknown flag: --evict-timout'));
    });

    it('rejects a duration without a unit, naming the flag', async () => {
      const { code, err } = await run(['-y', 'restart', 'x', '--ready-timeout', '30']);
      assert.equal(code, 2);
      assert.match(err, /^error: invalid duration "30" for --ready-timeout: a unit is missing/);
    });

    it('rejects a value outside the allowed ones', async () => {
      const { code, err } = await run(['version', '-o', 'xml']);
      assert.equal(code, 2);
      assert.equal(err.split('\n')[0], 'error: invalid value "xml" for --output: expected one of json, yaml, wide');
    });

    it('asks for the required --version of upgrade', async () => {
      const { code, err } = await run(['upgrade', '-y']);
      assert.equal(code, 2);
      assert.match(err, /^error: missing required flag --version\nRun 'kubectl tikv upgrade --help' for usage\.\n$/);
    });

    it('rejects a malformed version', async () => {
      const { code, err } = await run(['upgrade', '--version', 'eight', '-y']);
      assert.equal(code, 2);
      assert.match(err, /^error: malformed version "eight"/);
    });

    it('refuses to change the cluster without a terminal unless --yes', async () => {
      const { code, err } = await run(['restart', 'basic-tikv-0']);
      assert.equal(code, 2);
      assert.match(err, /^error: refusing to restart TiKV without confirmation: there is no terminal to ask on\nPass -y\/--yes/);
    });

    it('needs POD names or --all without a terminal to pick from', async () => {
      const { code, err } = await run(['restart', '-y']);
      assert.equal(code, 2);
      assert.match(err, /^error: name the TiKV pods to restart, or pass --all/);
      const both = await run(['restart', '-y', '--all', 'basic-tikv-0']);
      assert.equal(both.code, 2);
      assert.match(both.err, /^error: give POD names or --all, not both/);
    });

    it('rejects --pd-url that is not an http(s) address and --pd-url with --pd-service', async () => {
      assert.match((await run(['version', '--pd-url', 'ftp://x'])).err, /^error: invalid --pd-url "ftp:\/\/x"/);
      const both = await run(['version', '--pd-url', 'http://127.0.0.1:2379', '--pd-service', 'basic-pd']);
      assert.equal(both.code, 2);
      assert.match(both.err, /cannot be used together/);
    });

    it('validates evict: a store id is a positive integer, POD and --store exclude each other', async () => {
      assert.match((await run(['evict', '--store', '0', '-y'])).err, /^error: invalid --store "0"/);
      assert.match((await run(['evict', 'basic-tikv-0', '--store', '1', '-y'])).err, /^error: give either a POD or --store, not both/);
      assert.match((await run(['evict', '--list', '--end'])).err, /^error: --list takes no POD, --store or --end/);
    });

    it('adds the cause chain with -v', async () => {
      const { code, err } = await run(['-v', 'restart', '--evict-timout', '5m']);
      assert.equal(code, 2);
      assert.match(err, /^error: unknown flag: --evict-timout\n/);
      assert.match(err, /\n {2}caused by: .*Nonexistent flag/);
    });
  });

  describe('version', () => {
    it('prints the plugin version for --client, data on stdout only', async () => {
      const { code, out, err } = await run(['version', '--client']);
      assert.equal(code, 0);
      assert.equal(err, '');
      assert.equal(out, `kubectl-tikv v${packageVersion} (node ${process.version}, ${process.platform}/${process.arch})\n`);
    });

    it('prints JSON and YAML with -o', async () => {
      const json = await run(['version', '--client', '-o', 'json']);
      assert.equal(json.code, 0);
      assert.deepEqual(JSON.parse(json.out).plugin, { version: `v${packageVersion}`, node: process.version, platform: `${process.platform}/${process.arch}` });
      const yaml = await run(['-o', 'yaml', 'version', '--client']);
      assert.match(yaml.out, new RegExp(`^plugin:\\n  version: v${packageVersion.replaceAll('.', '\\.')}\\n`));
    });
  });

  it('exits 130 when the run was interrupted', async () => {
    const runtime = captureRuntime();
    runtime.abort(new Error('SIGINT'));
    const code = await runCli(['version', '--client'], runtime);
    assert.equal(code, 130);
  });
});
