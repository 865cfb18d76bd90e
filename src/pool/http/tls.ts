/**
 * HTTPS for the pool: a certificate and key from files (--tls-cert/--tls-key), or a self-signed
 * certificate made at start for the bound host (--tls self-signed). A self-signed certificate's
 * private key stays in memory; its certificate is written to a temporary file, removed on close,
 * so clients can trust exactly it (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
 * Semantic Kernel's Python plugin accepts only https:// endpoints; this is what unblocks it.
 */
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../errors.js';
import type { PoolTlsSettings } from './http-settings.js';

export interface ServerTls {
  key: string | Buffer;
  cert: string | Buffer;
  /** SHA-256 fingerprint of the served certificate, colon-separated hex as openssl prints it. */
  fingerprint256: string;
  /** The certificate file clients can trust: the self-signed one written at start, or --tls-cert. */
  certificateFile: string;
  selfSigned: boolean;
  /** Removes what start-up wrote (the self-signed certificate file). */
  cleanup(): Promise<void>;
}

/** Days a self-signed certificate is valid; it is made again at every start anyway. */
const SELF_SIGNED_DAYS = 365;

export async function loadServerTls(settings: PoolTlsSettings, host: string): Promise<ServerTls | undefined> {
  if (settings.mode === 'off') return undefined;
  if (settings.mode === 'files') return fromFiles(settings.certFile, settings.keyFile);
  return selfSigned(host);
}

async function fromFiles(certFile: string, keyFile: string): Promise<ServerTls> {
  const cert = await readPem(certFile, 'TIDEPOOL_POOL_TLS_CERT / --tls-cert', 'certificate');
  const key = await readPem(keyFile, 'TIDEPOOL_POOL_TLS_KEY / --tls-key', 'private key');
  let fingerprint256: string;
  try {
    fingerprint256 = new X509Certificate(cert).fingerprint256;
  } catch (error) {
    throw new ConfigurationError(`TIDEPOOL_POOL_TLS_CERT / --tls-cert: ${certFile} is not a PEM certificate (${(error as Error).message}).`, { cause: error });
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigurationError(`TIDEPOOL_POOL_TLS_KEY / --tls-key: ${keyFile} does not go with ${certFile} or cannot be read as a PEM private key (${(error as Error).message}).`, { cause: error });
  }
  return { cert, key, fingerprint256, certificateFile: certFile, selfSigned: false, cleanup: () => Promise.resolve() };
}

async function readPem(file: string, setting: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ConfigurationError(`${setting}: cannot read the ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { cause: error });
  }
}

async function selfSigned(host: string): Promise<ServerTls> {
  // Loaded only here: most pools never make a certificate.
  const { generate } = await import('selfsigned');
  const names = certificateNames(host);
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: names.commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    // A minute back, for clients whose clock is a little behind.
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + SELF_SIGNED_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.dns.map((value) => ({ type: 2 as const, value })), ...names.ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  // Readable by other users of the machine (a certificate is public), unlike mkdtemp's default.
  const directory = await mkdtemp(path.join(os.tmpdir(), 'tidepool-pool-tls-'));
  await chmod(directory, 0o755);
  const certificateFile = path.join(directory, 'certificate.pem');
  await writeFile(certificateFile, pems.cert, { mode: 0o644 });
  return {
    cert: pems.cert,
    key: pems.private,
    fingerprint256: new X509Certificate(pems.cert).fingerprint256,
    certificateFile,
    selfSigned: true,
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
}

/**
 * The names a certificate for `host` must carry: the host itself, plus localhost and the loopback
 * addresses for a loopback bind, or the machine's name and addresses for a bind to every address.
 */
export function certificateNames(host: string): { commonName: string; dns: string[]; ips: string[] } {
  const bare = host.replace(/^\[|\]$/g, '');
  const dns = new Set<string>();
  const ips = new Set<string>();
  const add = (name: string) => (isIP(name) ? ips : dns).add(name);
  add(bare);
  const everywhere = bare === '0.0.0.0' || bare === '::';
  const loopback = bare === 'localhost' || bare === '::1' || /^127\./.test(bare);
  if (everywhere || loopback) ['localhost', '127.0.0.1', '::1'].forEach(add);
  if (everywhere) {
    add(os.hostname());
    for (const addresses of Object.values(os.networkInterfaces())) for (const address of addresses ?? []) add(address.address.replace(/%.*$/, ''));
    ips.delete('0.0.0.0');
    ips.delete('::');
  }
  const commonName = everywhere ? os.hostname() : bare;
  return { commonName, dns: [...dns], ips: [...ips] };
}

/** How to trust the certificate, for the start-up log: one line per kind of client. */
export function trustHint(tls: ServerTls): string {
  const file = tls.certificateFile;
  return `trust it with NODE_EXTRA_CA_CERTS=${file} (Node.js), REQUESTS_CA_BUNDLE=${file} (Python requests) or SSL_CERT_FILE=${file} (httpx, curl, most others)`;
}
