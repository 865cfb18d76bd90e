/**
 * Output schemas of the MCP tools: what `structuredContent` holds, checked by the SDK before it is
 * sent. Weather places are left open (their shape is the research report's, documented there).
 */
import { z } from 'zod';

const weatherData = {
  destination: z.string(),
  today: z.string(),
  places: z.array(z.looseObject({})).describe('One report per place: location, daily weather, packing tips, or why it failed.'),
  error: z.string().optional().describe('Set when nothing could be researched.'),
};

/** run_python's and run_javascript's output. */
export const runCodeOutputSchema = z.object({
  status: z.enum(['success', 'failure']),
  stdout: z.string(),
  stderr: z.string(),
  result: z.string().nullable().describe("The last expression's value as text, if any."),
  error: z.object({ type: z.string(), message: z.string(), traceback: z.string() }).optional(),
  imageCount: z.number().int().nonnegative(),
  sandboxType: z.string(),
});

export const runShellOutputSchema = runCodeOutputSchema.extend({
  exitCode: z.number().int().describe('The exit status; 0 is success, 124 a command stopped at its timeout.'),
});

export const researchWeatherOutputSchema = z.object({ ...weatherData, sandboxType: z.string() });

export const chartWeatherOutputSchema = z.object({
  ...weatherData,
  fileName: z.string().nullable().describe('The PNG in the session (download_file fetches it again); null when no chart was drawn.'),
  sandboxType: z.string(),
});

const fileInfo = z.object({ name: z.string(), sizeBytes: z.number().int().nonnegative(), lastModified: z.string().describe('ISO 8601') });

export const uploadFileOutputSchema = fileInfo;

export const listFilesOutputSchema = z.object({ files: z.array(fileInfo) });

export const downloadFileOutputSchema = z.object({
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  mediaType: z.string(),
  encoding: z.enum(['text', 'base64']).describe('How the content block carries the bytes.'),
});
