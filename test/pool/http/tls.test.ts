/**
 * The pool over HTTPS on a real loopback port (fake runtime, real host kernels): a self-signed
 * certificate made at start, trusted by node:https with the CA, by a Node child process through
 * NODE_EXTRA_CA_CERTS and by Python requests through REQUESTS_CA_BUNDLE; a certificate from files.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPoolServer, type RunningPoolServer } from '../../../src/pool/index.js';
import { certificateNames } from '../../../src/pool/http/tls.js';
import { resolvePoolSettings } from '../../../src/pool/settings.js';
import { ConfigurationError } from '../../../src/errors.js';
import { E, gen1Exec, V1 } from './app-harness.js';
import { FakeSessionManager } from './fake-session-manager.js';

const run = promisify(execFile);
const KEY = 'tls-test-key';
const fake = () => new FakeSessionManager(resolvePoolSettings({ readySessions: 0 }, {}));

interface HttpsAnswer {
  status: number;
  body: string;
  fingerprint256: string;
}

function post(url: string, body: unknown, ca?: string | Buffer): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: 'POST', ca, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } }, (response) => {
      // Read while the socket is still attached to the response.
      const fingerprint256 = (response.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), fingerprint256 }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

async function hasPythonRequests(): Promise<boolean> {
  try {
    await run('python3', ['-c', 'import requests']);
    return true;
  } catch {
    return false;
  }
}

describe('--tls self-signed', () => {
  let server: RunningPoolServer;
  let log = '';

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    server = await startPoolServer({ port: 0, apiKeys: [KEY], tls: 'self-signed', sessionManager: fake(), logger: pino({ level: 'info' }, stream), env: {} });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves https:// with a certificate for the bound host, and logs its fingerprint and how to trust it', async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.tls).toMatchObject({ selfSigned: true, fingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) as string });
    const ca = await readFile(server.tls!.certificateFile);
    const answer = await post(`${server.url}${E}/code/execute?identifier=tls&${V1}`, gen1Exec('6 * 7'), ca);
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { properties: { result: number } }).properties.result).toBe(42);
    expect(answer.fingerprint256).toBe(server.tls!.fingerprint256);
    expect(log).toContain(server.tls!.fingerprint256);
    expect(log).toContain(`NODE_EXTRA_CA_CERTS=${server.tls!.certificateFile}`);
    expect(log).toContain(`REQUESTS_CA_BUNDLE=${server.tls!.certificateFile}`);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(post(`${server.url}/healthz`, {})).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });

  it('is trusted by a Node client through NODE_EXTRA_CA_CERTS', async () => {
    const script = `fetch(process.argv[1], { method: 'POST', headers: { authorization: 'Bearer ${KEY}', 'content-type': 'application/json' }, body: process.argv[2] }).then((r) => r.json()).then((b) => console.log(b.properties.result))`;
    const { stdout } = await run(process.execPath, ['-e', script, `${server.url}/code/execute?identifier=tls-node&${V1}`, JSON.stringify(gen1Exec('6 * 7'))], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: server.tls!.certificateFile },
    });
    expect(stdout.trim()).toBe('42');
  });

  it('is trusted by Python requests through REQUESTS_CA_BUNDLE', async (context) => {
    if (!(await hasPythonRequests())) context.skip('python3 has no requests module here');
    const script = [
      'import sys, requests',
      `r = requests.post(sys.argv[1], headers={"Authorization": "Bearer ${KEY}"}, json={"properties": {"codeInputType": "inline", "executionType": "synchronous", "code": "6 * 7"}})`,
      'print(r.json()["properties"]["result"])',
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script, `${server.url}/code/execute?identifier=tls-python&${V1}`], { env: { ...process.env, REQUESTS_CA_BUNDLE: server.tls!.certificateFile } });
    expect(stdout.trim()).toBe('42');
  });

  it('removes the certificate file on close', async () => {
    const other = await startPoolServer({ port: 0, tls: 'self-signed', sessionManager: fake(), env: {} });
    const file = other.tls!.certificateFile;
    expect(existsSync(file)).toBe(true);
    await other.close();
    expect(existsSync(file)).toBe(false);
  });
});

describe('--tls-cert and --tls-key', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tidepool-tls-files-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    cert = path.join(dir, 'cert.pem');
    key = path.join(dir, 'key.pem');
    await writeFile(cert, pems.cert);
    await writeFile(key, pems.private);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with the given certificate', async () => {
    const server = await startPoolServer({ port: 0, apiKeys: [KEY], tlsCertFile: cert, tlsKeyFile: key, sessionManager: fake(), env: {} });
    try {
      expect(server.url.startsWith('https://')).toBe(true);
      expect(server.tls).toMatchObject({ selfSigned: false, certificateFile: cert });
      const answer = await post(`${server.url}/code/execute?identifier=tls-files&${V1}`, gen1Exec('1 + 1'), await readFile(cert));
      expect((JSON.parse(answer.body) as { properties: { result: number } }).properties.result).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('refuses to start with a missing file or a key that does not match, before booting the runtime', async () => {
    const other = await generate([{ name: 'commonName', value: 'x' }], { keyType: 'ec', algorithm: 'sha256' });
    const strayKey = path.join(dir, 'stray.pem');
    await writeFile(strayKey, other.private);
    for (const [tlsCertFile, tlsKeyFile, flag] of [
      [path.join(dir, 'absent.pem'), key, '--tls-cert'],
      [cert, strayKey, '--tls-key'],
    ]) {
      const manager = fake();
      const error = await startPoolServer({ port: 0, tlsCertFile, tlsKeyFile, sessionManager: manager, env: {} }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain(flag);
      expect(manager.started).toBe(false);
    }
  });
});

describe('certificateNames', () => {
  it('covers the loopback names for a loopback bind, the machine for a bind to every address, and a name as given', () => {
    expect(certificateNames('127.0.0.1')).toEqual({ commonName: '127.0.0.1', dns: ['localhost'], ips: ['127.0.0.1', '::1'] });
    const everywhere = certificateNames('0.0.0.0');
    expect(everywhere.commonName).toBe(os.hostname());
    expect(everywhere.dns).toContain(os.hostname());
    expect(everywhere.ips).toContain('127.0.0.1');
    expect(everywhere.ips).not.toContain('0.0.0.0');
    expect(certificateNames('pool.example.org')).toEqual({ commonName: 'pool.example.org', dns: ['pool.example.org'], ips: [] });
    expect(certificateNames('[::1]').ips).toEqual(['::1', '127.0.0.1']);
  });
});
