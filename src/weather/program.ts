/**
 * Ships the Python weather programs into a session. The code sent is the program source plus one
 * call whose only argument is base64-encoded JSON, so user text (a destination such as
 * `Paris"); import os; print(os.environ) #`) is always data, never source.
 */
import { readFile } from 'node:fs/promises';
import { pythonFile } from '../paths.js';

/** Prefix of the one stdout line that carries the program's JSON answer. */
export const RESULT_MARKER = '\u001eTIDEPOOL_WEATHER_RESULT ';

export const RESEARCH_PROGRAM = ['tidepool_weather_stats.py', 'tidepool_weather.py'] as const;
export const CHART_PROGRAM = [...RESEARCH_PROGRAM, 'tidepool_weather_chart.py'] as const;

const sources = new Map<string, Promise<string>>();

/** The concatenated sources (read once per process). */
export function programSource(files: readonly string[]): Promise<string> {
  const key = files.join('+');
  let source = sources.get(key);
  if (!source) {
    source = Promise.all(files.map((file) => readFile(pythonFile(file), 'utf8'))).then((texts) => texts.join('\n\n'));
    sources.set(key, source);
    source.catch(() => sources.delete(key));
  }
  return source;
}

/** Program source + `entry(json.loads(<base64 JSON>))`. */
export function programCall(source: string, entry: string, args: unknown): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry)) throw new Error(`Not a Python identifier: ${entry}`);
  const payload = Buffer.from(JSON.stringify(args), 'utf8').toString('base64');
  return `${source}\n\nimport base64 as _tidepool_b64\n${entry}(json.loads(_tidepool_b64.b64decode("${payload}").decode("utf-8")))\n`;
}

/** The JSON after the last marker line in stdout, or undefined when the program printed none. */
export function programAnswer(stdout: string): unknown {
  const lines = stdout.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!;
    const at = line.indexOf(RESULT_MARKER);
    if (at < 0) continue;
    try {
      return JSON.parse(line.slice(at + RESULT_MARKER.length));
    } catch {
      return undefined;
    }
  }
  return undefined;
}
