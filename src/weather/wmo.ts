/** WMO weather codes as Open-Meteo emits them (only these 28; anything else is "unknown"). */
const CODES: Record<number, [icon: string, text: string]> = {
  0: ['☀️', 'Clear sky'],
  1: ['🌤️', 'Mainly clear'],
  2: ['⛅', 'Partly cloudy'],
  3: ['☁️', 'Overcast'],
  45: ['🌫️', 'Fog'],
  48: ['🌫️', 'Depositing rime fog'],
  51: ['🌦️', 'Light drizzle'],
  53: ['🌦️', 'Moderate drizzle'],
  55: ['🌦️', 'Dense drizzle'],
  56: ['🌧️', 'Light freezing drizzle'],
  57: ['🌧️', 'Dense freezing drizzle'],
  61: ['🌧️', 'Slight rain'],
  63: ['🌧️', 'Moderate rain'],
  65: ['🌧️', 'Heavy rain'],
  66: ['🌧️', 'Light freezing rain'],
  67: ['🌧️', 'Heavy freezing rain'],
  71: ['🌨️', 'Slight snowfall'],
  73: ['🌨️', 'Moderate snowfall'],
  75: ['❄️', 'Heavy snowfall'],
  77: ['🌨️', 'Snow grains'],
  80: ['🌦️', 'Slight rain showers'],
  81: ['🌧️', 'Moderate rain showers'],
  82: ['⛈️', 'Violent rain showers'],
  85: ['🌨️', 'Slight snow showers'],
  86: ['❄️', 'Heavy snow showers'],
  95: ['⛈️', 'Thunderstorm'],
  96: ['⛈️', 'Thunderstorm with slight hail'],
  99: ['⛈️', 'Thunderstorm with heavy hail'],
};

export function weatherIcon(code: number | null | undefined): string {
  return (code != null && CODES[code]?.[0]) || '🌡️';
}

export function weatherText(code: number | null | undefined): string {
  return (code != null && CODES[code]?.[1]) || 'Unknown conditions';
}

export function isSnowCode(code: number | null | undefined): boolean {
  return code != null && ((code >= 71 && code <= 77) || code === 85 || code === 86);
}

export function isThunderCode(code: number | null | undefined): boolean {
  return code != null && code >= 95;
}
