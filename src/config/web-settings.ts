/**
 * Where `tidepool serve` listens: the option, else TIDEPOOL_WEB_HOST / TIDEPOOL_WEB_PORT, else
 * 127.0.0.1:8080. A bad value stops the server with a ConfigurationError that names the variable
 * and the flag; an empty address is refused, since to the socket layer it means every interface.
 */
import { ConfigurationError } from '../errors.js';
import { integerSetting, type Env } from './settings.js';

export const DEFAULT_WEB_HOST = '127.0.0.1';
export const DEFAULT_WEB_PORT = 8080;
export const WEB_HOST_ENV = 'TIDEPOOL_WEB_HOST';
export const WEB_PORT_ENV = 'TIDEPOOL_WEB_PORT';

export interface WebListenSettings {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export function resolveWebListenSettings(options: { host?: string; port?: number } = {}, env: Env = process.env): WebListenSettings {
  return { host: resolveHost(options.host, env), port: resolvePort(options.port, env) };
}

function resolveHost(option: string | undefined, env: Env): string {
  const [raw, source] = option !== undefined ? [option, '--host'] : env[WEB_HOST_ENV] !== undefined ? [env[WEB_HOST_ENV]!, WEB_HOST_ENV] : [undefined, ''];
  if (raw === undefined) return DEFAULT_WEB_HOST;
  const host = raw.trim();
  if (host === '') {
    throw new ConfigurationError(
      `${source} is empty, which would listen on every network interface. Set it to the address to serve on (${DEFAULT_WEB_HOST}, the default, keeps the server on this machine)` +
        (source === WEB_HOST_ENV ? `, or remove ${WEB_HOST_ENV} from the environment and .env.` : '.'),
    );
  }
  if (/[\s/?#@]/.test(host)) throw new ConfigurationError(`${source} must be an IP address or host name such as ${DEFAULT_WEB_HOST}, got "${raw}".`);
  return host;
}

function resolvePort(option: number | undefined, env: Env): number {
  return integerSetting({ option: 'port', env: WEB_PORT_ENV, flag: '--port' }, option, env, { fallback: DEFAULT_WEB_PORT, min: 0, max: 65535, note: '(0 picks a free port)' });
}
