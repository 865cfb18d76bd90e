/**
 * Which language model the travel agents talk to, resolved from the environment.
 * Precedence: Azure OpenAI (AZURE_OPENAI_ENDPOINT) → an OpenAI-compatible server (OPENAI_BASE_URL)
 * → OpenAI itself (OPENAI_API_KEY). Nothing set is not an error: the UI explains what to set.
 */
import type { Env } from '../config/settings.js';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

export type ModelConfig =
  | { provider: 'azure'; endpoint: string; deployment: string; apiKey?: string; apiVersion?: string; label: string }
  | { provider: 'openai'; apiKey: string; modelId: string; label: string }
  | { provider: 'openai-compatible'; baseUrl: string; apiKey?: string; modelId: string; label: string };

export type ModelSetup = { configured: true; config: ModelConfig } | { configured: false; reason: string };

/** Exactly what to set, shown in the chat when no model is configured. */
export const MODEL_SETUP_HELP = [
  'Set one of these, in the environment or in a .env file, then restart `tidepool serve`:',
  `• OpenAI: OPENAI_API_KEY (and optionally OPENAI_MODEL, default ${DEFAULT_OPENAI_MODEL}).`,
  '• Azure OpenAI: AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT_NAME, plus AZURE_OPENAI_API_KEY (or sign in with `az login` / a managed identity to use Azure identity).',
  '• An OpenAI-compatible server such as Ollama or vLLM: OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1) and OPENAI_MODEL (e.g. llama3.1).',
].join('\n');

export function resolveModelSetup(env: Env = process.env): ModelSetup {
  const get = (name: string) => env[name]?.trim() || undefined;
  const azureEndpoint = get('AZURE_OPENAI_ENDPOINT');
  if (azureEndpoint) {
    const deployment = get('AZURE_OPENAI_DEPLOYMENT_NAME');
    if (!deployment) {
      return { configured: false, reason: `AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_DEPLOYMENT_NAME is not; set it to your chat model deployment's name.\n\n${MODEL_SETUP_HELP}` };
    }
    if (!isHttpUrl(azureEndpoint)) return { configured: false, reason: `AZURE_OPENAI_ENDPOINT must be an https URL such as https://my-resource.openai.azure.com, got "${azureEndpoint}".` };
    return {
      configured: true,
      config: { provider: 'azure', endpoint: azureEndpoint, deployment, apiKey: get('AZURE_OPENAI_API_KEY'), apiVersion: get('AZURE_OPENAI_API_VERSION'), label: `Azure OpenAI (${deployment})` },
    };
  }
  const baseUrl = get('OPENAI_BASE_URL');
  const modelId = get('OPENAI_MODEL') ?? DEFAULT_OPENAI_MODEL;
  if (baseUrl) {
    if (!isHttpUrl(baseUrl)) return { configured: false, reason: `OPENAI_BASE_URL must be an http(s) URL such as http://127.0.0.1:11434/v1, got "${baseUrl}".` };
    return { configured: true, config: { provider: 'openai-compatible', baseUrl, apiKey: get('OPENAI_API_KEY'), modelId, label: `${modelId} at ${baseUrl}` } };
  }
  const apiKey = get('OPENAI_API_KEY');
  if (apiKey) return { configured: true, config: { provider: 'openai', apiKey, modelId, label: `OpenAI (${modelId})` } };
  return { configured: false, reason: `No language model is configured.\n\n${MODEL_SETUP_HELP}` };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
