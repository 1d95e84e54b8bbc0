/**
 * Test certificates for the simulated cluster: a self-signed CA and the server/client certificates it issues (the
 * API server's, PD's and TiKV's, and the cluster client certificate of `<tc>-cluster-client-secret`).
 *
 * Node can verify X.509 but not create it, so this shells out to the `openssl` CLI. It is part of the machine image
 * every developer and CI run on (Debian's openssl 3), which saves a crypto dependency whose only job would be
 * tests; `openssl()` fails with a clear message when it is missing. Keys are ECDSA P-256 (fast to make; Go's and
 * Node's TLS both accept them). Everything is synchronous: a CA plus a certificate take a few tens of milliseconds.
 *
 * ```ts
 * const ca = makeCa();
 * const server = issueCert({ ca, commonName: 'pd', dnsNames: ['basic-pd', 'localhost'], ips: ['127.0.0.1', '::1'] });
 * https.createServer({ cert: server.cert, key: server.key, ca: ca.cert, requestCert: true }, …);
 * ```
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A certificate authority: PEM certificate and private key. */
export interface CertificateAuthority {
  cert: string;
  key: string;
}

/** An issued certificate: PEM certificate, private key, and the issuing CA's certificate. */
export interface IssuedCert {
  cert: string;
  key: string;
  ca: string;
}

export interface IssueOptions {
  ca: CertificateAuthority;
  commonName: string;
  /** subjectAltName DNS entries. */
  dnsNames?: string[];
  /** subjectAltName IP entries (IPv4 or IPv6), e.g. `['127.0.0.1', '::1']`. */
  ips?: string[];
  /** A client certificate (extendedKeyUsage clientAuth only); otherwise serverAuth + clientAuth, as tidb-operator issues them. */
  client?: boolean;
  /** Subject organisation (Kubernetes maps O to groups for client certificates). */
  organization?: string;
  /** Validity in days (default 825). */
  days?: number;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('test certificates need the openssl CLI (Debian package "openssl")', { cause: error });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`, { cause: error });
  }
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kt-tls-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function subject(commonName: string, organization?: string): string {
  const escape = (s: string) => s.replace(/[/\\=+,]/g, (c) => `\\${c}`);
  return `${organization ? `/O=${escape(organization)}` : ''}/CN=${escape(commonName)}`;
}

/** Makes a self-signed CA (10 years). */
export function makeCa(commonName = 'kubectl-tikv simulator CA'): CertificateAuthority {
  return withTempDir((dir) => {
    openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', subject(commonName),
      '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-addext', 'subjectKeyIdentifier=hash',
    ], dir);
    return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  });
}

/** Issues a certificate signed by `ca` with the given subjectAltNames. */
export function issueCert(options: IssueOptions): IssuedCert {
  const sans = [
    ...(options.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(options.ips ?? []).map((ip) => `IP:${ip}`),
  ];
  return withTempDir((dir) => {
    writeFileSync(join(dir, 'ca.crt'), options.ca.cert);
    writeFileSync(join(dir, 'ca.key'), options.ca.key, { mode: 0o600 });
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${options.client ? 'clientAuth' : 'serverAuth,clientAuth'}`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ];
    writeFileSync(join(dir, 'ext.cnf'), `${ext.join('\n')}\n`);
    openssl([
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', subject(options.commonName, options.organization),
    ], dir);
    openssl([
      'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', String(options.days ?? 825),
      '-extfile', 'ext.cnf', '-out', 'leaf.crt',
    ], dir);
    return { cert: readFileSync(join(dir, 'leaf.crt'), 'utf8'), key: readFileSync(join(dir, 'leaf.key'), 'utf8'), ca: options.ca.cert };
  });
}
