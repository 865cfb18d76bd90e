/**
 * OpenTelemetry for Tidepool (`tidepool/telemetry`). Library users who run their own SDK need
 * nothing from here: Tidepool's spans and metrics go to whatever global providers are registered.
 * `startTelemetryFromEnv` is what the CLI uses (OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set);
 * `registerTelemetry` installs providers with processors and readers of your choice.
 */
export { startTelemetryFromEnv } from './otlp.js';
export { registerTelemetry, type RegisteredTelemetry, type TelemetryRegistration } from './register.js';
export { hashIdentifier, ATTR as TELEMETRY_ATTRIBUTES } from './attributes.js';
