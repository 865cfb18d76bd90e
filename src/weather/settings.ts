/** Where the weather programs fetch from, and how patiently: option → environment → default. */
import { numberSetting, stringSetting, type Env } from '../config/settings.js';
import { ConfigurationError } from '../errors.js';

export interface OpenMeteoOptions {
  /** Geocoding base URL; default OPEN_METEO_GEOCODING_URL, else https://geocoding-api.open-meteo.com (the program appends /v1/search). */
  geocodingUrl?: string;
  /** Forecast base URL; default OPEN_METEO_FORECAST_URL, else https://api.open-meteo.com (appends /v1/forecast). */
  forecastUrl?: string;
  /** Archive base URL; default OPEN_METEO_ARCHIVE_URL, else https://archive-api.open-meteo.com (appends /v1/archive). */
  archiveUrl?: string;
  /** Per-request timeout inside the sandbox; default OPEN_METEO_TIMEOUT_SECONDS, else 10. */
  timeoutSeconds?: number;
  /** Wait before the single retry after HTTP 429/503 when the server sends no Retry-After; default 1. */
  retryDelaySeconds?: number;
}

export interface OpenMeteoSettings {
  urls: { geocoding: string; forecast: string; archive: string };
  timeoutSeconds: number;
  retryDelaySeconds: number;
}

export const OPEN_METEO_DEFAULTS = {
  geocoding: 'https://geocoding-api.open-meteo.com',
  forecast: 'https://api.open-meteo.com',
  archive: 'https://archive-api.open-meteo.com',
} as const;

export function resolveOpenMeteoSettings(options: OpenMeteoOptions = {}, env: Env = process.env): OpenMeteoSettings {
  return {
    urls: {
      geocoding: baseUrl(options.geocodingUrl, 'OPEN_METEO_GEOCODING_URL', OPEN_METEO_DEFAULTS.geocoding, env),
      forecast: baseUrl(options.forecastUrl, 'OPEN_METEO_FORECAST_URL', OPEN_METEO_DEFAULTS.forecast, env),
      archive: baseUrl(options.archiveUrl, 'OPEN_METEO_ARCHIVE_URL', OPEN_METEO_DEFAULTS.archive, env),
    },
    timeoutSeconds: numberSetting(options.timeoutSeconds, 'OPEN_METEO_TIMEOUT_SECONDS', 10, env),
    retryDelaySeconds: options.retryDelaySeconds ?? 1,
  };
}

function baseUrl(option: string | undefined, envName: string, fallback: string, env: Env): string {
  const value = stringSetting(option, envName, env) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`${envName} must be an http(s) URL such as ${fallback}, got "${value}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(`${envName} must be an http(s) URL such as ${fallback}, got "${value}".`);
  }
  if (url.search || /\/v1\/(search|forecast|archive)\/?$/.test(url.pathname)) {
    throw new ConfigurationError(`${envName} is a base URL without path or query (e.g. ${fallback}); the tool appends /v1/… itself. Got "${value}".`);
  }
  return value.replace(/\/+$/, '');
}
