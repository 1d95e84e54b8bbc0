import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpTarget } from '../../src/http-target.ts';
import type { PdClient } from '../../src/pd/pd-client.ts';
import { PdConnectionError, PdTlsError } from '../../src/pd/pd-errors.ts';
import { createPdClient, type PdClientOptions } from '../../src/pd/undici-pd-client.ts';
import { issueCert, makeCa, type CertificateAuthority, type IssuedCert } from '../sim/tls.ts';
import { pdAnswer, startLoopbackServer, type LoopbackServer } from './loopback-server.ts';
import { VERSION_V85 } from './pd-fixtures.ts';

const FAST: PdClientOptions = { timeoutMs: 3_000, retryBaseDelayMs: 1, retryMaxDelayMs: 4 };

describe('undici PD client over TLS', () => {
  let ca: CertificateAuthority;
  let serverCert: IssuedCert;
  let clientCert: IssuedCert;
  let otherCa: CertificateAuthority;
  let server: LoopbackServer | undefined;
  let client: PdClient | undefined;

  before(() => {
    ca = makeCa();
    otherCa = makeCa('some other CA');
    // As tidb-operator documents PD's certificate: the service names plus 127.0.0.1 and ::1 for port-forwards.
    serverCert = issueCert({ ca, commonName: 'basic-pd', dnsNames: ['basic-pd', 'basic-pd.ns.svc', 'localhost'], ips: ['127.0.0.1', '::1'] });
    clientCert = issueCert({ ca, commonName: 'basic-cluster-client', client: true });
  });

  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  /** PD's port offers h2 first (gRPC shares it); the client must still speak HTTP/1.1. */
  async function startPd(): Promise<LoopbackServer> {
    server = await startLoopbackServer(() => pdAnswer(200, VERSION_V85), {
      tls: { key: serverCert.key, cert: serverCert.cert, clientCa: ca.cert, alpnProtocols: ['h2', 'http/1.1'] },
    });
    return server;
  }

  function streamTarget(origin: string, port: number, tls: HttpTarget['tls'], opened: Duplex[]): HttpTarget {
    return {
      origin,
      description: 'PD through a test stream',
      tls,
      openStream: async () => {
        const socket = net.connect(port, '127.0.0.1');
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        });
        opened.push(socket);
        return socket;
      },
    };
  }

  it('talks mTLS to an https origin, verifying PD\'s IP SAN and presenting the client certificate over HTTP/1.1', async () => {
    const pd = await startPd();
    client = createPdClient({ origin: pd.origin, description: 'PD', tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key } }, FAST);
    assert.equal(await client.version(), 'v8.5.0');
    assert.equal(pd.requests[0].clientCertCommonName, 'basic-cluster-client');
    assert.equal(pd.requests[0].alpnProtocol, 'http/1.1');
  });

  it('wraps TLS over openStream streams, verifying the origin host name', async () => {
    const pd = await startPd();
    const opened: Duplex[] = [];
    client = createPdClient(
      streamTarget('https://basic-pd:2379', pd.port, { ca: ca.cert, cert: clientCert.cert, key: clientCert.key }, opened),
      FAST,
    );
    assert.equal(await client.version(), 'v8.5.0');
    assert.ok(opened.length >= 1);
    assert.equal(pd.requests[0].clientCertCommonName, 'basic-cluster-client');
    assert.equal(pd.requests[0].alpnProtocol, 'http/1.1');
  });

  it('verifies an IP origin over openStream against the certificate\'s IP SANs', async () => {
    const pd = await startPd();
    client = createPdClient(streamTarget('https://127.0.0.1:2379', pd.port, { ca: ca.cert, cert: clientCert.cert, key: clientCert.key }, []), FAST);
    assert.equal(await client.version(), 'v8.5.0');
  });

  it('verifies against an explicit servername when the target gives one', async () => {
    const pd = await startPd();
    client = createPdClient(
      streamTarget('https://127.0.0.1:2379', pd.port, { ca: ca.cert, cert: clientCert.cert, key: clientCert.key, servername: 'basic-pd.ns.svc' }, []),
      FAST,
    );
    assert.equal(await client.version(), 'v8.5.0');
  });

  it('refuses a server whose certificate does not name the origin host, without retrying', async () => {
    const pd = await startPd();
    const opened: Duplex[] = [];
    client = createPdClient(streamTarget('https://other-pd:2379', pd.port, { ca: ca.cert, cert: clientCert.cert, key: clientCert.key }, opened), FAST);
    const error = await client.version().then(
      () => assert.fail('expected a rejection'),
      (rejected: unknown) => rejected,
    );
    assert.ok(error instanceof PdTlsError);
    assert.ok(error instanceof PdConnectionError);
    assert.match(error.message, /^PD request failed: GET \/pd\/api\/v1\/version: TLS with PD through a test stream failed: .*other-pd/);
    assert.equal(opened.length, 1, 'a certificate that does not match will not match on retry');
  });

  it('refuses a server signed by a CA it was not given', async () => {
    const pd = await startPd();
    client = createPdClient({ origin: pd.origin, description: 'PD', tls: { ca: otherCa.cert, cert: clientCert.cert, key: clientCert.key } }, FAST);
    const error = await client.version().then(
      () => assert.fail('expected a rejection'),
      (rejected: unknown) => rejected,
    );
    assert.ok(error instanceof PdTlsError);
    assert.match(error.message, /certificate/i);
    assert.equal(pd.requests.length, 0);
    assert.equal(pd.connectionCount(), 0, 'no handshake completed');
  });

  it('skips verification only when told to', async () => {
    const pd = await startPd();
    client = createPdClient(
      { origin: pd.origin, description: 'PD', tls: { insecureSkipVerify: true, cert: clientCert.cert, key: clientCert.key } },
      FAST,
    );
    assert.equal(await client.version(), 'v8.5.0');
  });

  it('fails when PD requires a client certificate and none is configured', async () => {
    const pd = await startPd();
    client = createPdClient({ origin: pd.origin, description: 'PD', tls: { ca: ca.cert } }, { ...FAST, retries: 0 });
    const error = await client.version().then(
      () => assert.fail('expected a rejection'),
      (rejected: unknown) => rejected,
    );
    // TLS 1.3 finishes the client's side of the handshake before the server's alert arrives, so the refusal
    // surfaces as a certificate alert or as the connection closing.
    assert.ok(error instanceof PdConnectionError, String(error));
    assert.equal(pd.requests.length, 0);
  });
});
