import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueCert, makeCa } from './tls.ts';

describe('test certificates (tls.ts)', () => {
  const ca = makeCa();

  it('makes a CA whose certificate is a CA and self-signed', () => {
    const cert = new X509Certificate(ca.cert);
    assert.equal(cert.ca, true);
    assert.ok(cert.verify(cert.publicKey));
  });

  it('issues a server certificate with DNS and IP subjectAltNames signed by the CA', () => {
    const issued = issueCert({ ca, commonName: 'basic-pd', dnsNames: ['basic-pd', 'basic-pd.tidb.svc'], ips: ['127.0.0.1', '::1'] });
    const cert = new X509Certificate(issued.cert);
    assert.ok(cert.checkIssued(new X509Certificate(ca.cert)));
    assert.ok(cert.verify(new X509Certificate(ca.cert).publicKey));
    assert.equal(cert.checkHost('basic-pd.tidb.svc'), 'basic-pd.tidb.svc');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkHost('other'), undefined);
    assert.equal(cert.ca, false);
  });

  it('serves mutual TLS that Node verifies with the CA and a client certificate', async () => {
    const server = issueCert({ ca, commonName: 'api', ips: ['127.0.0.1'] });
    const client = issueCert({ ca, commonName: 'tikv-client', client: true });
    const https = createServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.end(peer.subject.CN);
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = https.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port, ca: ca.cert, cert: client.cert, key: client.key }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve(data));
        }).on('error', reject).end();
      });
      assert.equal(body, 'tikv-client');
      const refused = await new Promise<Error>((resolve) => {
        request({ host: '127.0.0.1', port, ca: makeCa('other').cert }, () => resolve(new Error('unexpected success'))).on('error', resolve).end();
      });
      assert.match(refused.message, /self[- ]signed|unable to verify|certificate/i);
    } finally {
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
    }
  });
});
