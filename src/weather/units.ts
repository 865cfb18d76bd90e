/** Display helpers: every value is shown in both systems, and a missing value says so. */
export function fahrenheit(celsius: number): number {
  return celsius * 1.8 + 32;
}

/** `76.6°F (24.8°C)`, or `n/a`. */
export function temperature(celsius: number | null | undefined): string {
  if (celsius == null) return 'n/a';
  return `${fahrenheit(celsius).toFixed(1)}°F (${celsius.toFixed(1)}°C)`;
}

/** `7.0 mph (11.2 km/h)`, or `n/a`. */
export function windSpeed(kmh: number | null | undefined): string {
  if (kmh == null) return 'n/a';
  return `${(kmh / 1.609344).toFixed(1)} mph (${kmh.toFixed(1)} km/h)`;
}

/** `7.4 mm (0.29 in)`, or `n/a`. */
export function precipitation(mm: number | null | undefined): string {
  if (mm == null) return 'n/a';
  return `${mm.toFixed(1)} mm (${(mm / 25.4).toFixed(2)} in)`;
}
