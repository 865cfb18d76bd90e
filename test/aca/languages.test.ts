/** How Sandbox-ACA learns which language its pool runs (GET metadata) and runs shell commands on a Shell pool. */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, createAcaSandbox, UnsupportedLanguageError } from '../../src/index.js';
import { AcaClient, toShellResult } from '../../src/sandbox/backends/aca/aca-client.js';
import { startScriptedServer, type Reply, type ScriptedServer } from './helpers/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(script: Reply[], apiVersion = '2025-10-02-preview'): Promise<AcaClient> {
  server = await startScriptedServer(script);
  return new AcaClient({ poolManagementEndpoint: server.url, accessToken: 'key', apiVersion, env: {}, retry: { maxRetries: 0 } });
}

const metadata = (containerType: string): Reply => ({ status: 200, json: { containerType, runtimes: [] } });

describe("the pool's languages, from GET metadata", () => {
  it.each([
    ['PythonLTS', ['python']],
    ['Shell', ['shell']],
    ['NodeLTS', ['javascript']],
    ['CustomContainer', []],
    ['constructor', []],
  ])('%s → %j, asked once', async (containerType, languages) => {
    const client = await clientFor([metadata(containerType)]);
    expect(await client.languages()).toEqual(languages);
    expect(await client.languages()).toEqual(languages);
    expect(server!.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual(['GET /subscriptions/sub/resourceGroups/rg/sessionPools/pool/metadata']);
    expect(server!.requests[0]!.url.searchParams.get('identifier')).toBeNull();
  });

  it('counts a service without the route (404) as PythonLTS, its default', async () => {
    const client = await clientFor([{ status: 404, json: { error: { code: 'NotFound', message: 'no such route' } } }]);
    expect(await client.languages()).toEqual(['python']);
  });

  it('asks again after a failed request, and says what was wrong with a malformed answer', async () => {
    const client = await clientFor([{ status: 200, json: { runtimes: [] } }, metadata('Shell')]);
    await expect(client.languages()).rejects.toThrow(/read the pool's metadata.*containerType/);
    expect(await client.languages()).toEqual(['shell']);
  });
});

describe('Sandbox-ACA languages', () => {
  it('refuses a language its pool does not run, naming the pool, before any execution is sent', async () => {
    server = await startScriptedServer([metadata('Shell')]);
    const sandbox = createAcaSandbox({ env: { ACA_POOL_MANAGEMENT_ENDPOINT: server.url, ACA_POOL_ACCESS_TOKEN: 'key', ACA_API_VERSION: '2025-10-02-preview' } });
    const refused = sandbox.session('session-1').execute('1 + 1');
    await expect(refused).rejects.toBeInstanceOf(UnsupportedLanguageError);
    await expect(refused).rejects.toThrow(`Sandbox-ACA (the pool at ${server.url}) does not run Python; it runs shell commands.`);
    expect(server.requests).toHaveLength(1);
    await sandbox.close();
  });

  it('sends shellCommand with the timeout in seconds and reads the exit code from the status', async () => {
    const client = await clientFor([{ status: 200, json: { id: 'op', identifier: 'session-1', status: '2', result: { stdout: 'out\n', stderr: 'err\n', executionTimeInMilliseconds: 7 } } }]);
    const result = await client.executeShell('session-1', 'ls /nope', { timeoutMs: 2500 });
    expect(result).toEqual({
      status: 'failure',
      stdout: 'out\n',
      stderr: 'err\n',
      result: null,
      images: [],
      exitCode: 2,
      durationMs: 7,
      error: { type: 'NonZeroExit', message: 'The command exited with code 2.', traceback: '' },
    });
    const sent = server!.requests[0]!;
    expect(`${sent.method} ${sent.url.pathname}`).toBe('POST /subscriptions/sub/resourceGroups/rg/sessionPools/pool/executions');
    expect(JSON.parse(sent.body.toString('utf8'))).toEqual({ shellCommand: 'ls /nope', timeoutInSeconds: 3 });
  });

  it.each(['Succeeded', '256', '99999999999999999999', '-1', ' 0'])('refuses a shell answer whose status %j is not an exit code', async (status) => {
    const client = await clientFor([{ status: 200, json: { id: 'op', status, result: { stdout: '' } } }]);
    await expect(client.executeShell('session-1', 'true', { timeoutMs: 1000 })).rejects.toThrow(/run the shell command.*status: expected the exit code \(0 to 255\)/);
  });

  it('needs an API version with Shell pools for shell commands', async () => {
    const client = await clientFor([], '2024-02-02-preview');
    const refused = client.executeShell('session-1', 'true', { timeoutMs: 1000 });
    await expect(refused).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refused).rejects.toThrow(/2025-02-02-preview or later.*ACA_API_VERSION/);
    expect(server!.requests).toHaveLength(0);
  });
});

describe('a Shell pool result at its timeout', () => {
  it('turns the TimeoutError line ending stderr into the error, in the caller’s terms, and keeps exit code 124', () => {
    const result = toShellResult(
      { exitCode: 124, stdout: '', stderr: 'partial\nTimeoutError: Execution exceeded timeoutInSeconds (1 s; this pool allows at most 220 s).\n' },
      9,
      1000,
    );
    expect(result).toMatchObject({ status: 'failure', exitCode: 124, stderr: 'partial\n', durationMs: 9, error: { type: 'TimeoutError', timeoutMs: 1000 } });
    expect(result.error?.message).toMatch(/^Execution exceeded timeoutMs \(1000\).*The service said: TimeoutError: Execution exceeded timeoutInSeconds/);
  });

  it('leaves a command that exited 124 on its own as a plain non-zero exit', () => {
    const result = toShellResult({ exitCode: 124, stdout: '', stderr: 'mine\n' }, 3, 1000);
    expect(result).toMatchObject({ exitCode: 124, stderr: 'mine\n', error: { type: 'NonZeroExit' } });
  });
});
