/**
 * Tidepool as an MCP server (`tidepool/mcp`): run_python, research_weather, chart_weather and file
 * tools over stdio or Streamable HTTP, one sandbox session per MCP session. `tidepool mcp` runs it.
 */
export { serveMcpOverStdio, type StdioServeOptions } from './stdio.js';
export { startMcpHttpServer, DEFAULT_MCP_PORT, MCP_PATH, type McpHttpOptions, type RunningMcpHttpServer } from './http.js';
export { createMcpSession, MCP_SERVER_NAME, type McpSession, type McpSessionOptions } from './session.js';
export { MCP_TOOL_NAMES, registerTidepoolTools, type McpToolBinding } from './tools.js';
export { MCP_KEY_ENV } from './http-access.js';
