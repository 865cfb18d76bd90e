/** What the MCP tests check on any transport: the tool list, each tool, content types, state in a session, cancellation. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';

type Content = { type: string; text?: string; data?: string; mimeType?: string; resource?: { uri: string; mimeType?: string; blob?: string; text?: string } };
export type ToolResult = { content: Content[]; structuredContent?: Record<string, unknown>; isError?: boolean };

export const PNG_SIGNATURE = '89504e470d0a1a0a';

export async function call(client: Client, name: string, args: Record<string, unknown> = {}, options: Parameters<Client['callTool']>[2] = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 180_000, ...options })) as ToolResult;
}

export function textOf(result: ToolResult): string {
  return result.content.filter((block) => block.type === 'text').map((block) => block.text).join('\n');
}

export function imagesOf(result: ToolResult): Content[] {
  return result.content.filter((block) => block.type === 'image');
}

export async function expectToolList(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  // The embedded pool runs every language, so every code tool is offered.
  expect(tools.map((tool) => tool.name).sort()).toEqual(['chart_weather', 'download_file', 'list_files', 'research_weather', 'run_javascript', 'run_python', 'run_shell', 'upload_file']);
  for (const tool of tools) {
    expect(tool.inputSchema.type).toBe('object');
    expect(tool.outputSchema?.type).toBe('object');
    expect(tool.description?.length).toBeGreaterThan(20);
    expect(tool.annotations).toBeDefined();
  }
  const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
  expect(byName.run_python!.inputSchema.required).toEqual(['code']);
  expect(byName.run_python!.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
  expect(byName.run_shell!.inputSchema.required).toEqual(['command']);
  expect(byName.run_javascript!.inputSchema.required).toEqual(['code']);
  expect(byName.run_shell!.outputSchema?.required).toContain('exitCode');
  expect(byName.list_files!.annotations).toMatchObject({ readOnlyHint: true });
  expect(byName.research_weather!.inputSchema.required).toEqual(['destination']);
}

/** Every tool once, in one MCP session: text, images, files and state carried from call to call. */
export async function exerciseEveryTool(client: Client): Promise<void> {
  const set = await call(client, 'run_python', { code: 'x = 41\nprint("set")' });
  expect(set.isError).toBeFalsy();
  expect(set.structuredContent).toMatchObject({ status: 'success', stdout: 'set\n', imageCount: 0, sandboxType: 'Sandbox-Pool' });
  const next = await call(client, 'run_python', { code: 'x + 1' });
  expect(next.structuredContent).toMatchObject({ status: 'success', result: '42' });
  expect(textOf(next)).toContain('result: 42');

  const figure = await call(client, 'run_python', { code: 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [x, 0, x])\nprint("drawn")' });
  expect(figure.structuredContent).toMatchObject({ status: 'success', imageCount: 1 });
  const [image] = imagesOf(figure);
  expect(image?.mimeType).toBe('image/png');
  expect(Buffer.from(image!.data!, 'base64').subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE);

  const failed = await call(client, 'run_python', { code: '1 / 0' });
  expect(failed.structuredContent).toMatchObject({ status: 'failure', error: { type: 'ZeroDivisionError' } });

  await call(client, 'run_shell', { command: 'export MCP_GREETING=hello' });
  const shell = await call(client, 'run_shell', { command: 'echo "$MCP_GREETING"; exit 3' });
  expect(shell.isError).toBeFalsy();
  expect(shell.structuredContent).toMatchObject({ status: 'failure', stdout: 'hello\n', exitCode: 3, sandboxType: 'Sandbox-Pool' });
  expect(textOf(shell)).toContain('exit code: 3');
  const js = await call(client, 'run_javascript', { code: "console.log('js'); [1, 2].length" });
  expect(js.structuredContent).toMatchObject({ status: 'success', stdout: 'js\n', result: '2', sandboxType: 'Sandbox-Pool' });
  expect(js.structuredContent!.exitCode).toBeUndefined();

  const research = await call(client, 'research_weather', { destination: 'Tokyo' });
  expect(research.isError).toBeFalsy();
  expect(textOf(research)).toContain('Tokyo');
  expect(research.structuredContent).toMatchObject({ destination: 'Tokyo', sandboxType: 'Sandbox-Pool' });
  expect((research.structuredContent!.places as unknown[]).length).toBe(1);
  expect(research.structuredContent!.error).toBeUndefined();

  const chart = await call(client, 'chart_weather', { places: ['Paris, France', 'Tokyo'], dates: 'August 2025' });
  expect(textOf(chart)).toContain('Daily high/low and precipitation — August 2025');
  const [png] = imagesOf(chart);
  expect(png?.mimeType).toBe('image/png');
  expect(Buffer.from(png!.data!, 'base64').length).toBeGreaterThan(10_000);
  const chartFile = chart.structuredContent!.fileName as string;
  expect(chartFile).toMatch(/^tidepool-weather-chart-.*\.png$/);

  const uploaded = await call(client, 'upload_file', { name: 'notes.txt', content: 'packing: umbrella' });
  expect(uploaded.structuredContent).toMatchObject({ name: 'notes.txt', sizeBytes: 17 });
  const binary = await call(client, 'upload_file', { name: 'blob.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' });
  expect(binary.structuredContent).toMatchObject({ name: 'blob.bin', sizeBytes: 4 });
  const badBase64 = await call(client, 'upload_file', { name: 'x.bin', content: 'not base64!', encoding: 'base64' });
  expect(badBase64.isError).toBe(true);
  expect(textOf(badBase64)).toContain('not valid base64');

  const read = await call(client, 'run_python', { code: 'open("notes.txt").read().upper()' });
  expect(read.structuredContent).toMatchObject({ result: 'PACKING: UMBRELLA' });

  const listed = await call(client, 'list_files');
  const names = (listed.structuredContent!.files as { name: string }[]).map((file) => file.name);
  expect(names).toEqual(expect.arrayContaining(['notes.txt', 'blob.bin', chartFile]));

  const text = await call(client, 'download_file', { name: 'notes.txt' });
  expect(text.content).toEqual([{ type: 'text', text: 'packing: umbrella' }]);
  expect(text.structuredContent).toMatchObject({ encoding: 'text', mediaType: 'text/plain', sizeBytes: 17 });
  const chartBack = await call(client, 'download_file', { name: chartFile });
  expect(imagesOf(chartBack)[0]?.data).toBe(png!.data);
  const blob = await call(client, 'download_file', { name: 'blob.bin' });
  expect(blob.content[0]?.resource?.blob).toBe(Buffer.from([0, 1, 2, 255]).toString('base64'));
  const escape = await call(client, 'download_file', { name: '../../etc/passwd' });
  expect(escape.isError).toBe(true);
}

/**
 * A cancelled cell stops in the sandbox (a marker it would write later never appears) and the
 * session keeps its state for the next call.
 */
export async function expectCancellation(client: Client): Promise<void> {
  await call(client, 'run_python', { code: 'kept = "still here"' });
  const controller = new AbortController();
  const progress: string[] = [];
  const started = performance.now();
  const pending = call(
    client,
    'run_python',
    { code: 'import time\nfor i in range(60):\n    time.sleep(0.5)\nopen("too-late.txt", "w").write("ran to the end")' },
    { signal: controller.signal, onprogress: (update) => void progress.push(update.message ?? '') },
  );
  // Cancel once the cell is running, as a person pressing stop would.
  await poll(() => progress.includes('running'), 60_000);
  controller.abort();
  await expect(pending).rejects.toThrow();
  expect(performance.now() - started).toBeLessThan(30_000);
  const after = await call(client, 'run_python', { code: 'import os\nf"{kept}|{os.path.exists(\'too-late.txt\')}"' });
  expect(after.structuredContent).toMatchObject({ status: 'success', result: 'still here|False' });
}

export async function poll(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
