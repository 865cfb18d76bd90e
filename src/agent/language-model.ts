/** Turns a resolved ModelConfig into an AI SDK language model. No network until the first call. */
import { createAzure } from '@ai-sdk/azure';
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModel } from 'ai';
import type { ModelConfig } from './model-config.js';

/** Entra ID scope for Azure OpenAI when no API key is set. */
const AZURE_COGNITIVE_SCOPE = 'https://cognitiveservices.azure.com/.default';

export interface LanguageModelOptions {
  /** Injected by tests; production uses the global fetch. */
  fetch?: typeof fetch;
}

export function createLanguageModel(config: ModelConfig, options: LanguageModelOptions = {}): LanguageModel {
  switch (config.provider) {
    case 'openai':
      // OpenAI itself: the Responses API, the SDK's default.
      return createOpenAI({ apiKey: config.apiKey, fetch: options.fetch })(config.modelId);
    case 'openai-compatible':
      // Ollama, vLLM and friends speak chat completions, not the Responses API.
      return createOpenAI({
        baseURL: config.baseUrl,
        // Local servers usually ignore the key, but the SDK insists on one.
        apiKey: config.apiKey ?? 'not-needed',
        name: 'openai-compatible',
        fetch: options.fetch,
      }).chat(config.modelId);
    case 'azure': {
      const provider = createAzure({
        baseURL: azureBaseUrl(config.endpoint),
        apiVersion: config.apiVersion,
        ...(config.apiKey ? { apiKey: config.apiKey } : { tokenProvider: azureIdentityTokenProvider() }),
        fetch: options.fetch,
      });
      // Chat completions work on every Azure OpenAI deployment, including older API versions.
      return provider.chat(config.deployment);
    }
  }
}

/** `https://x.openai.azure.com/` → `https://x.openai.azure.com/openai` (the SDK appends `/v1`). */
function azureBaseUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return /\/openai(\/v1)?$/.test(trimmed) ? trimmed : `${trimmed}/openai`;
}

/** Azure identity (az login, managed identity, …), loaded only when no key is configured. */
function azureIdentityTokenProvider(): () => Promise<string> {
  let provider: (() => Promise<string>) | undefined;
  return async () => {
    if (!provider) {
      const { DefaultAzureCredential, getBearerTokenProvider } = await import('@azure/identity');
      provider = getBearerTokenProvider(new DefaultAzureCredential(), AZURE_COGNITIVE_SCOPE);
    }
    return provider();
  };
}
