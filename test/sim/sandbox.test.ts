import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseSandboxArgs, type SandboxState } from './sandbox.ts';

const exec = promisify(execFile);
const NODE = resolve('node_modules/.bin/node');
const SANDBOX = resolve('test/sim/sandbox.ts');

/** Starts the sandbox as a user would (the npm script's command) and resolves once it printed `ready`. */
function startSandbox(args: string[]): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(NODE, [SANDBOX, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sandbox did not print ready: ${stderr}`));
    }, 30_000);
    child.stdout!.on('data', () => {
      if (/^ready$/m.test(stdout)) {
        clearTimeout(timer);
        resolveReady({ child, stdout: () => stdout, stderr: () => stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code} before ready: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
}

describe('sim/sandbox', function () {
  this.timeout(60_000);
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kt-sandbox-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints ready, writes a kubeconfig that kubectl uses and the state file beside it, and stops cleanly on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const started = await startSandbox(['--topology', 'v1', '--stores', '3', '--time-scale', '0.01', '--kubeconfig', kubeconfig]);
    child = started.child;
    const state = JSON.parse(readFileSync(`${kubeconfig}.json`, 'utf8')) as SandboxState;
    assert.equal(state.topology, 'tidb-operator-v1');
    assert.equal(state.namespace, 'tidb');
    assert.equal(state.clusterName, 'basic');
    assert.deepEqual(state.tikvPods, ['basic-tikv-0', 'basic-tikv-1', 'basic-tikv-2']);
    assert.match(state.pdUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${state.pdUrl}/pd/api/v1/health`);
    assert.equal(health.status, 200);
    const { stdout } = await exec('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pods', '-o', 'name'], { timeout: 20_000 });
    assert.deepEqual(stdout.trim().split('\n').filter((l) => l.includes('tikv')), ['pod/basic-tikv-0', 'pod/basic-tikv-1', 'pod/basic-tikv-2']);
    const tc = await exec('kubectl', ['--kubeconfig', kubeconfig, 'get', 'tc', 'basic', '-o', 'jsonpath={.status.tikv.phase}'], { timeout: 20_000 });
    assert.equal(tc.stdout, 'Normal');
    assert.match(started.stdout(), /export KUBECONFIG=/);

    child.kill('SIGTERM');
    const end = await exited(child);
    assert.deepEqual(end, { code: 0, signal: null });
    assert.equal(existsSync(kubeconfig), false, 'kubeconfig removed');
    assert.equal(existsSync(`${kubeconfig}.json`), false, 'state file removed');
  });

  it('stops on SIGINT too', async () => {
    const kubeconfig = join(dir, 'kc');
    const started = await startSandbox(['--topology', 'statefulset', '--time-scale', '0.01', '--kubeconfig', kubeconfig]);
    child = started.child;
    child.kill('SIGINT');
    assert.deepEqual(await exited(child), { code: 0, signal: null });
    assert.match(started.stderr(), /SIGINT, stopping/);
  });

  it('refuses to overwrite a kubeconfig that is not its own', async () => {
    const kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: production\n');
    const result = await exec(NODE, [SANDBOX, '--kubeconfig', kubeconfig], { timeout: 20_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is not a sandbox kubeconfig; not overwriting it/);
    assert.match(readFileSync(kubeconfig, 'utf8'), /production/);
  });

  it('parses its flags and explains bad ones', () => {
    const options = parseSandboxArgs(['--topology', 'v2', '--stores', '5', '--pd-version', 'v7.5.0', '--time-scale', '0.1', '--kubeconfig', 'x/kc']);
    assert.ok(options !== 'help');
    assert.equal(options.topology, 'tidb-operator-v2');
    assert.equal(options.stores, 5);
    assert.equal(options.pdVersion, 'v7.5.0');
    assert.equal(options.timeScale, 0.1);
    assert.equal(options.kubeconfig, resolve('x/kc'));
    assert.equal(parseSandboxArgs(['-h']), 'help');
    assert.throws(() => parseSandboxArgs(['--topology', 'v3']), /unknown topology "v3"/);
    assert.throws(() => parseSandboxArgs(['--stores', 'two']), /--stores must be an integer/);
    assert.throws(() => parseSandboxArgs(['--time-scale', '0']), /--time-scale must be a number > 0/);
    assert.throws(() => parseSandboxArgs(['--pd-version', 'latest']), /not a version/);
    assert.throws(() => parseSandboxArgs(['--frobnicate']), /Unknown option/);
  });
});
