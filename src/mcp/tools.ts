/**
 * The MCP tools, each a thin wrapper: the code tools (run_python, and run_javascript and run_shell
 * where the sandbox runs those languages), research_weather and chart_weather go through the
 * same runner as every other front end (runAgentTool); the file tools use the session directly.
 * Every call runs in the MCP session's own sandbox session, so state persists between calls of one
 * client and never crosses to another.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { isSandboxError } from '../errors.js';
import type { LifecycleListener } from '../sandbox/lifecycle.js';
import type { Language, Sandbox, SandboxSession } from '../sandbox/types.js';
import { runAgentTool, type AgentToolName, type AiSdkToolOutput } from '../tools/ai-sdk.js';
import { chartWeatherInputSchema, CHART_WEATHER_DESCRIPTION } from '../tools/chart-weather.js';
import { researchWeatherInputSchema, RESEARCH_WEATHER_DESCRIPTION, type WeatherToolOptions } from '../tools/research-weather.js';
import {
  RUN_JAVASCRIPT_DESCRIPTION,
  RUN_PYTHON_DESCRIPTION,
  RUN_SHELL_DESCRIPTION,
  runJavaScriptInputSchema,
  runPythonInputSchema,
  runShellInputSchema,
} from '../tools/run-code.js';
import { decodeUpload, describeFile, downloadFile, downloadFileInputSchema, isRasterImage, listFiles, uploadFileInputSchema } from './file-tools.js';
import { reportProgress } from './progress.js';
import {
  chartWeatherOutputSchema,
  downloadFileOutputSchema,
  listFilesOutputSchema,
  researchWeatherOutputSchema,
  runCodeOutputSchema,
  runShellOutputSchema,
  uploadFileOutputSchema,
} from './schemas.js';

/** Every tool the server can offer; run_javascript and run_shell only where the sandbox runs their language. */
export const MCP_TOOL_NAMES = ['run_python', 'run_javascript', 'run_shell', 'research_weather', 'chart_weather', 'upload_file', 'list_files', 'download_file'] as const;

/** The code tools, one per language; each is offered only where the sandbox runs its language. */
const CODE_TOOLS = [
  { language: 'python', name: 'run_python', title: 'Run Python', description: `${RUN_PYTHON_DESCRIPTION} Figures come back as images.`, input: runPythonInputSchema, output: runCodeOutputSchema },
  { language: 'javascript', name: 'run_javascript', title: 'Run JavaScript', description: RUN_JAVASCRIPT_DESCRIPTION, input: runJavaScriptInputSchema, output: runCodeOutputSchema },
  { language: 'shell', name: 'run_shell', title: 'Run a shell command', description: RUN_SHELL_DESCRIPTION, input: runShellInputSchema, output: runShellOutputSchema },
] as const satisfies readonly { language: Language; name: AgentToolName; [key: string]: unknown }[];

export interface McpToolBinding {
  sandbox: Sandbox;
  /** This MCP session's sandbox session. */
  session: SandboxSession;
  weather?: WeatherToolOptions;
  /** How often a running call reports progress; default 5 s. */
  progressIntervalMs?: number;
  /**
   * The sandbox's lifecycle events for one session (see LifecycleRouter), turned into progress
   * messages (session starting, ready, running); without it progress is a heartbeat only.
   */
  subscribeLifecycle?: (identifier: string, listener: LifecycleListener) => () => void;
  /** The languages whose code tools are registered (`await sandbox.languages()`); default Python only. */
  languages?: readonly Language[];
}

interface CallExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: ServerNotification) => Promise<void>;
}

export function registerTidepoolTools(server: McpServer, binding: McpToolBinding): void {
  const agentTool = (name: AgentToolName, shape: (output: AiSdkToolOutput) => Record<string, unknown>) => async (input: unknown, extra: CallExtra) =>
    guarded(extra, async () => {
      const progress = reportProgress({ progressToken: extra._meta?.progressToken, send: (n) => extra.sendNotification(n) }, binding.progressIntervalMs ?? 5_000);
      try {
        const output = await runAgentTool(
          name,
          input,
          {
            sandbox: binding.sandbox,
            sessionId: binding.session.identifier,
            weather: binding.weather,
            subscribeLifecycle: binding.subscribeLifecycle,
            onLifecycle: (_id, event) => progress.lifecycle(event),
          },
          `mcp-${name}`,
          extra.signal,
        );
        const images = output.images.filter((image) => isRasterImage(image.mediaType));
        return {
          content: [{ type: 'text', text: output.text }, ...images.map((image) => ({ type: 'image' as const, data: image.base64, mimeType: image.mediaType }))],
          structuredContent: shape(output),
        };
      } finally {
        progress.stop();
      }
    });

  const languages = binding.languages ?? ['python'];
  const codeData = (output: AiSdkToolOutput) => ({ ...(output.data as Record<string, unknown>), imageCount: output.images.length, sandboxType: output.sandboxType });

  for (const tool of CODE_TOOLS) {
    if (!languages.includes(tool.language)) continue;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input.shape,
        outputSchema: tool.output.shape,
        annotations: { title: tool.title, readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      },
      agentTool(tool.name, codeData),
    );
  }

  server.registerTool(
    'research_weather',
    {
      title: 'Research weather',
      description: RESEARCH_WEATHER_DESCRIPTION,
      inputSchema: researchWeatherInputSchema.shape,
      outputSchema: researchWeatherOutputSchema.shape,
      annotations: { title: 'Research weather', readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    },
    agentTool('research_weather', (output) => ({ ...weatherData(output.data), sandboxType: output.sandboxType })),
  );

  server.registerTool(
    'chart_weather',
    {
      title: 'Chart weather',
      description: `${CHART_WEATHER_DESCRIPTION} The chart comes back as a PNG image and stays in the session's files.`,
      inputSchema: chartWeatherInputSchema.shape,
      outputSchema: chartWeatherOutputSchema.shape,
      annotations: { title: 'Chart weather', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    agentTool('chart_weather', (output) => ({ ...weatherData(output.data), fileName: output.images[0]?.fileName ?? null, sandboxType: output.sandboxType })),
  );

  server.registerTool(
    'upload_file',
    {
      title: 'Upload a file',
      description: "Write a file into this session's data directory (/mnt/data), where code reads it by its relative name. Replaces a file of the same name.",
      inputSchema: uploadFileInputSchema.shape,
      outputSchema: uploadFileOutputSchema.shape,
      annotations: { title: 'Upload a file', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (input, extra) =>
      guarded(extra, async () => {
        const info = describeFile(await binding.session.upload(input.name, decodeUpload(input), { signal: extra.signal }));
        return { content: [{ type: 'text', text: `Uploaded ${info.name} (${info.sizeBytes} bytes).` }], structuredContent: info };
      }),
  );

  server.registerTool(
    'list_files',
    {
      title: 'List files',
      description: "List the files in this session's data directory (/mnt/data): what was uploaded and what code or chart_weather wrote.",
      inputSchema: {},
      outputSchema: listFilesOutputSchema.shape,
      annotations: { title: 'List files', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (_input, extra) =>
      guarded(extra, async () => {
        const files = (await listFiles(binding.session, extra.signal)).map(describeFile);
        const text = files.length === 0 ? 'No files yet.' : files.map((file) => `${file.name} (${file.sizeBytes} bytes, ${file.lastModified})`).join('\n');
        return { content: [{ type: 'text', text }], structuredContent: { files } };
      }),
  );

  server.registerTool(
    'download_file',
    {
      title: 'Download a file',
      description: "Read a file from this session's data directory: images come back as images, UTF-8 text as text, anything else as a base64 resource.",
      inputSchema: downloadFileInputSchema.shape,
      outputSchema: downloadFileOutputSchema.shape,
      annotations: { title: 'Download a file', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (input, extra) =>
      guarded(extra, async () => {
        const file = await downloadFile(binding.session, input.name, extra.signal);
        const base64 = Buffer.from(file.bytes).toString('base64');
        const uri = `sandbox:///mnt/data/${file.name.split('/').map(encodeURIComponent).join('/')}`;
        const content: CallToolResult['content'] =
          file.text !== undefined
            ? [{ type: 'text', text: file.text }]
            : isRasterImage(file.mediaType)
              ? [{ type: 'image', data: base64, mimeType: file.mediaType }]
              : [{ type: 'resource', resource: { uri, mimeType: file.mediaType, blob: base64 } }];
        const structuredContent = { name: file.name, sizeBytes: file.bytes.byteLength, mediaType: file.mediaType, encoding: file.text !== undefined ? 'text' : 'base64' };
        return { content, structuredContent };
      }),
  );
}

function weatherData(data: unknown): Record<string, unknown> {
  const { destination, today, places, error } = data as { destination: string; today: string; places: unknown[]; error?: string };
  return { destination, today, places, ...(error !== undefined && { error }) };
}

/**
 * Failures the model can act on (bad file name, sandbox unavailable, timeout) come back as a tool
 * error with the message; a cancelled call is left to the SDK, which answers nothing for it.
 */
async function guarded(extra: { signal: AbortSignal }, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (error) {
    if (extra.signal.aborted) throw error;
    const message = isSandboxError(error) ? error.message : `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
    return { isError: true, content: [{ type: 'text', text: message }] };
  }
}
