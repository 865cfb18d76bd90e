/**
 * Server logs (`pool serve`, `serve`) for people and for programs. pino writes JSON lines; on a
 * terminal each becomes one short readable line, unless JSON is asked for with --log-format json
 * (or TIDEPOOL_LOG_FORMAT=json). Anything that is not a terminal (a file, a pipe, journald) gets JSON.
 */
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import type { Env } from '../config/settings.js';

export type LogFormat = 'human' | 'json';
export const LOG_FORMAT_ENV = 'TIDEPOOL_LOG_FORMAT';
const FORMATS: readonly LogFormat[] = ['human', 'json'];

export const LOG_FORMAT_HELP = `log lines as human or json (${LOG_FORMAT_ENV}; default human on a terminal, json otherwise)`;

/** Commander parser for --log-format. */
export function logFormatOption(value: string): LogFormat {
  const format = value.trim().toLowerCase() as LogFormat;
  if (!FORMATS.includes(format)) throw new InvalidArgumentError(`--log-format (or ${LOG_FORMAT_ENV}) must be human or json, got "${value}".`);
  return format;
}

export function resolveLogFormat(flag: LogFormat | undefined, env: Env, stream: Writable): LogFormat {
  if (flag) return flag;
  const raw = env[LOG_FORMAT_ENV]?.trim();
  if (raw) return logFormatOption(raw);
  return (stream as { isTTY?: boolean }).isTTY ? 'human' : 'json';
}

/** A pino logger writing to `stream` in the chosen format. pino is loaded here, on first use. */
export async function createCliLogger(options: { name: string; level: string; format: LogFormat; stream: Writable; base?: Record<string, unknown> }): Promise<Logger> {
  const { pino } = await import('pino');
  // pino's default bindings (pid, hostname) plus ours.
  const base = options.base ? { pid: process.pid, hostname: hostname(), ...options.base } : undefined;
  const settings = { name: options.name, level: options.level, ...(base ? { base } : {}) };
  if (options.format === 'json') return pino(settings, options.stream);
  return pino(settings, { write: (line: string) => options.stream.write(humanLogLine(line)) });
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err', 'component']);

/** `14:03:07 WARN  pool: message key=value …`, with an error's stack indented below it. */
export function humanLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toTimeString().slice(0, 8) : '';
  const level = (LEVELS[Number(record.level)] ?? String(record.level)).padEnd(5);
  const source = typeof record.component === 'string' ? record.component : typeof record.name === 'string' ? record.name.replace(/^tidepool-/, '') : '';
  const err = record.err as { message?: string; stack?: string } | undefined;
  const fields = Object.entries(record)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`);
  const message = [record.msg, err?.message && err.message !== record.msg ? `(${err.message})` : undefined].filter(Boolean).join(' ');
  const head = [time, level, source ? `${source}:` : '', message, ...fields].filter(Boolean).join(' ');
  const stack = Number(record.level) >= 50 && err?.stack ? `\n${err.stack.split('\n').slice(1).map((line) => `    ${line.trim()}`).join('\n')}` : '';
  return `${head}${stack}\n`;
}
