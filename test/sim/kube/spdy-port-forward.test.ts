import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync, constants as zlibConstants } from 'node:zlib';
import { History } from '../history.ts';
import { SimClock } from '../sim-clock.ts';
import { startKubeCluster, type KubeCluster } from './kube-cluster.ts';
import { ScriptedProcessFactory } from './scripted-processes.ts';
import { SPDY_DICTIONARY, adler32 } from './spdy-port-forward.ts';

describe('kubectl port-forward over SPDY/3.1', function () {
  this.timeout(60_000);

  it('uses the SPDY/3 header dictionary (dictionary id 0xe3c6a7c2)', () => {
    assert.equal(SPDY_DICTIONARY.length, 1423);
    assert.equal(adler32(SPDY_DICTIONARY), 0xe3c6a7c2);
    const viaZlib = inflateSync(Buffer.concat([Buffer.from([0x78, 0x20]), (() => {
      const id = Buffer.alloc(4);
      id.writeUInt32BE(adler32(SPDY_DICTIONARY));
      return id;
    })(), Buffer.from([0x00, 0x02, 0x00, 0xfd, 0xff]), Buffer.from('ok'), Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff])]), {
      dictionary: SPDY_DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH,
    });
    assert.equal(viaZlib.toString(), 'ok', 'a stored-block zlib stream with the SPDY dictionary id is what zlib accepts');
  });

  describe('against the simulated cluster', () => {
    let dir: string;
    let clock: SimClock;
    let history: History;
    let processes: ScriptedProcessFactory;
    let kube: KubeCluster;
    const children: ChildProcess[] = [];

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kt-spdy-'));
      clock = new SimClock(0.001);
      history = new History();
      processes = new ScriptedProcessFactory({ serve: true });
      kube = await startKubeCluster({ clock, history, processes });
      kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidb' } });
      kube.writeKubeconfig(join(dir, 'kubeconfig'), { namespace: 'tidb' });
      kube.store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'basic-pd-0', namespace: 'tidb', labels: { app: 'pd' } }, spec: { containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ containerPort: 2379 }] }] } });
      await history.waitFor((e) => e.type === 'pod-ready', AbortSignal.timeout(10_000));
    });
    afterEach(async () => {
      for (const child of children.splice(0)) child.kill();
      await kube.stop();
      clock.stop();
      processes.killAll();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Starts `kubectl port-forward` on a random local port; resolves with the port and the output so far. */
    function portForward(target: string, remotePort: number): Promise<{ port: number; output: () => string }> {
      const child = spawn('kubectl', ['port-forward', target, `:${remotePort}`], {
        env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') },
      });
      children.push(child);
      let output = '';
      return new Promise((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const m = output.match(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
          if (m) resolve({ port: Number(m[1]), output: () => output });
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`kubectl port-forward exited ${code}: ${output}`)));
      });
    }

    function exchange(port: number, message: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port });
        let received = '';
        socket.on('connect', () => socket.write(message));
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString();
          if (received.length >= message.length) socket.end();
        });
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
    }

    it('forwards local connections to the pod port, falling back from WebSocket tunnelling to SPDY', async () => {
      const { port } = await portForward('pod/basic-pd-0', 2379);
      assert.equal(await exchange(port, 'GET /pd/api/v1/stores'), 'GET /pd/api/v1/stores');
      assert.equal(await exchange(port, 'second connection'), 'second connection');
      const requests = history.ofType('kube-request').filter((e) => e.data.subresource === 'portforward').map((e) => `${e.data.method} ${e.data.status}`);
      assert.deepEqual(requests, ['GET 400', 'POST 101'], 'the SPDY-over-WebSocket attempt is declined, the SPDY upgrade accepted');
      assert.equal(history.ofType('port-forward-connected').length, 2);
    });

    it('forwards to a service by picking its pod, as kubectl resolves it', async () => {
      kube.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'basic-pd', namespace: 'tidb' }, spec: { selector: { app: 'pd' }, ports: [{ name: 'client', port: 2379 }] } });
      const { port } = await portForward('svc/basic-pd', 2379);
      assert.equal(await exchange(port, 'via service'), 'via service');
    });

    it('reports a port nothing listens on with the kubelet message', async () => {
      const forward = await portForward('pod/basic-pd-0', 9999);
      await exchange(forward.port, 'x');
      while (!forward.output().includes('an error occurred forwarding')) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.match(forward.output(), /an error occurred forwarding \d+ -> 9999: error forwarding port 9999 to pod [0-9a-f]+, uid : failed to execute portforward in network namespace .*connect: connection refused/);
    });
  });
});
