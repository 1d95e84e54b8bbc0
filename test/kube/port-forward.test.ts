import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeError } from '../../src/kube/kube-error.ts';
import { PortForwardError } from '../../src/kube/port-forward-stream.ts';
import { type KubeFixture, pod, putPod, startKubeFixture } from './kube-fixture.ts';

/** Reads until `text` has arrived (or the stream ends), returning everything read. */
async function readUntil(stream: Duplex, text: string): Promise<string> {
  let received = '';
  for await (const chunk of stream) {
    received += String(chunk);
    if (received.includes(text)) break;
  }
  return received;
}

describe('port-forward through client-node to a pod port', () => {
  let fixture: KubeFixture;
  let echo: Server;
  let echoPort: number;
  const serverSockets = new Set<Socket>();

  beforeEach(async () => {
    fixture = await startKubeFixture({ tls: true });
    echo = createServer((socket) => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
      socket.on('data', (data) => {
        if (String(data).includes('bye')) socket.end('closing\n');
        else socket.write(data);
      });
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
    fixture.api.setPortForwardResolver({
      resolve: (namespace, podName, port) => (namespace === 'tidb' && podName === 'pd-0' && port === 2379 ? { host: '127.0.0.1', port: echoPort } : undefined),
    });
    putPod(fixture.store, pod('pd-0', 'tidb'));
  });

  afterEach(async () => {
    for (const socket of serverSockets) socket.destroy();
    echo.close();
    await fixture.close();
  });

  it('carries bytes both ways', async () => {
    const stream = await fixture.kube().portForward('tidb', 'pd-0', 2379);
    stream.write('hello over the tunnel\n');
    assert.equal(await readUntil(stream, 'tunnel'), 'hello over the tunnel\n');
    stream.destroy();
  });

  it('ends the stream when the pod side closes the connection (the WebSocket closes)', async () => {
    const stream = await fixture.kube().portForward('tidb', 'pd-0', 2379);
    stream.write('bye\n');
    let received = '';
    for await (const chunk of stream) received += String(chunk);
    assert.equal(received, 'closing\n');
  });

  it("surfaces the kubelet's error-channel text as an error naming pod and port", async () => {
    const stream = await fixture.kube().portForward('tidb', 'pd-0', 20180);
    const [error] = (await once(stream, 'error').catch((e: unknown) => [e])) as [unknown];
    assert.ok(error instanceof PortForwardError, String(error));
    assert.equal(error.podName, 'pd-0');
    assert.equal(error.port, 20180);
    assert.match(error.message, /^port-forward to pod tidb\/pd-0 port 20180 failed: error forwarding port 20180 to pod .*connection refused/);
  });

  it('fails the stream when the WebSocket drops mid-stream', async () => {
    fixture.api.faults.dropPortForward({ pod: 'pd-0', afterBytes: 3 });
    const stream = await fixture.kube().portForward('tidb', 'pd-0', 2379);
    stream.write('0123456789');
    const [error] = (await once(stream, 'error').catch((e: unknown) => [e])) as [unknown];
    assert.ok(error instanceof PortForwardError);
    assert.match(error.message, /port-forward to pod tidb\/pd-0 port 2379 failed: WebSocket closed with code 1006/);
  });

  it('rejects with a 404 KubeError for a pod that does not exist', async () => {
    await assert.rejects(fixture.kube().portForward('tidb', 'pd-9', 2379), (error: unknown) => {
      assert.ok(error instanceof KubeError);
      assert.equal(error.status, 404);
      assert.match(error.message, /create pods\/portforward "pd-9" in namespace "tidb"/);
      return true;
    });
  });

  it('rejects with a 403 KubeError naming create pods/portforward without RBAC for it', async () => {
    fixture.api.addToken('reader', { name: 'reader' });
    fixture.api.authz.bind('reader', [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }]);
    await assert.rejects(fixture.kube({ token: 'reader' }).portForward('tidb', 'pd-0', 2379), (error: unknown) => {
      assert.ok(error instanceof KubeError);
      assert.equal(error.status, 403);
      assert.equal(error.verb, 'create');
      assert.equal(error.resource, 'pods/portforward');
      return true;
    });
  });

  it('gives up opening when the signal aborts, leaving nothing open', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(fixture.kube().portForward('tidb', 'pd-0', 2379, { signal: controller.signal }), /stop/);
  });

  it('closes its streams when the client closes', async () => {
    const kube = fixture.kube();
    const stream = await kube.portForward('tidb', 'pd-0', 2379);
    const closed = once(stream, 'close');
    await kube.close();
    await closed;
    assert.ok(stream.destroyed);
  });
});
