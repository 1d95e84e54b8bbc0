import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { type KubeFixture, pod, putPod, startKubeFixture } from './kube-fixture.ts';

/** An HTTP CONNECT proxy on loopback that records where it tunnelled to. */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the Kubernetes client through a proxy (kubeconfig proxy-url)', () => {
  let fixture: KubeFixture;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  beforeEach(async () => {
    fixture = await startKubeFixture({ tls: true });
    proxy = await startConnectProxy();
  });
  afterEach(async () => {
    await fixture.close();
    await proxy.close();
  });

  it('sends API requests and port-forward WebSockets through the proxy', async () => {
    const config = parse(readFileSync(fixture.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
    config.clusters[0].cluster['proxy-url'] = proxy.url;
    const proxied = path.join(fixture.dir, 'proxied-kubeconfig');
    writeFileSync(proxied, stringify(config));
    const kube = fixture.kube({ kubeconfig: proxied });
    await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'tidb' });
    const apiHost = new URL(fixture.api.url).host;
    assert.deepEqual(proxy.tunnels, [apiHost]);

    putPod(fixture.store, pod('p', 'tidb'));
    await assert.rejects(kube.portForward('tidb', 'p', 2379).then((stream) => new Promise((_resolve, reject) => stream.once('error', reject))));
    assert.deepEqual(proxy.tunnels, [apiHost, apiHost], 'the port-forward WebSocket went through the proxy too');
  });
});
