import { describe, expect, it } from 'vitest';
import { DEFAULT_OPENAI_MODEL, resolveModelSetup } from '../../src/agent/model-config.js';

describe('resolveModelSetup', () => {
  it('explains every way to configure a model when nothing is set', () => {
    const setup = resolveModelSetup({});
    expect(setup.configured).toBe(false);
    if (setup.configured) return;
    for (const name of ['OPENAI_API_KEY', 'OPENAI_MODEL', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_DEPLOYMENT_NAME', 'AZURE_OPENAI_API_KEY', 'OPENAI_BASE_URL']) {
      expect(setup.reason).toContain(name);
    }
  });

  it('uses OpenAI with the default model when only a key is set', () => {
    expect(resolveModelSetup({ OPENAI_API_KEY: 'sk-test' })).toEqual({
      configured: true,
      config: { provider: 'openai', apiKey: 'sk-test', modelId: DEFAULT_OPENAI_MODEL, label: `OpenAI (${DEFAULT_OPENAI_MODEL})` },
    });
  });

  it('prefers an OpenAI-compatible server when OPENAI_BASE_URL is set, key optional', () => {
    const setup = resolveModelSetup({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_MODEL: 'llama3.1' });
    expect(setup).toMatchObject({ configured: true, config: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', modelId: 'llama3.1' } });
  });

  it('prefers Azure when its endpoint is set, and asks for the deployment when missing', () => {
    const missing = resolveModelSetup({ AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', OPENAI_API_KEY: 'sk' });
    expect(missing.configured).toBe(false);
    if (!missing.configured) expect(missing.reason).toMatch(/AZURE_OPENAI_DEPLOYMENT_NAME is not/);
    const ok = resolveModelSetup({ AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt4o' });
    expect(ok).toMatchObject({ configured: true, config: { provider: 'azure', deployment: 'gpt4o', apiKey: undefined } });
  });

  it('rejects a base URL that is not http(s), naming the variable', () => {
    const setup = resolveModelSetup({ OPENAI_BASE_URL: 'localhost:11434' });
    expect(setup.configured).toBe(false);
    if (!setup.configured) expect(setup.reason).toContain('OPENAI_BASE_URL must be an http(s) URL');
  });
});
