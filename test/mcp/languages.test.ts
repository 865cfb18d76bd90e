/** Which code tools the MCP server registers: those of the sandbox's languages, Python only unless told. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, describe, expect, test } from 'vitest';
import { createLocalSandbox } from '../../src/index.js';
import { createMcpSession } from '../../src/mcp/session.js';
import type { Language } from '../../src/sandbox/types.js';

const sandbox = createLocalSandbox();
afterAll(() => sandbox.close());

async function toolNames(languages?: readonly Language[]): Promise<string[]> {
  const session = createMcpSession({ sandbox, languages });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await session.server.connect(serverSide);
  const client = new Client({ name: 'tidepool-languages-test', version: '1.0.0' });
  await client.connect(clientSide);
  try {
    return (await client.listTools()).tools.map((tool) => tool.name).filter((name) => name.startsWith('run_'));
  } finally {
    await client.close();
    await session.close();
  }
}

describe('MCP code tools by language', () => {
  test('Python only when no languages are given', async () => {
    expect(await toolNames()).toEqual(['run_python']);
  });

  test("each language's tool, and none for a language the sandbox lacks", async () => {
    expect(await toolNames(['python', 'javascript', 'shell'])).toEqual(['run_python', 'run_javascript', 'run_shell']);
    expect(await toolNames(['shell'])).toEqual(['run_shell']);
  });

  test('run_shell answers with the exit code and keeps the working directory between calls', async () => {
    const session = createMcpSession({ sandbox, languages: await sandbox.languages() });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await session.server.connect(serverSide);
    const client = new Client({ name: 'tidepool-languages-test', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      await client.callTool({ name: 'run_shell', arguments: { command: 'mkdir -p inner && cd inner' } });
      const result = await client.callTool({ name: 'run_shell', arguments: { command: 'basename "$PWD"; exit 7' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ status: 'failure', stdout: 'inner\n', exitCode: 7, sandboxType: 'Local' });
      const refused = await client.callTool({ name: 'run_shell', arguments: { command: '' } });
      expect(refused.isError).toBe(true);
    } finally {
      await client.close();
      await session.close();
    }
  }, 60_000);
});
