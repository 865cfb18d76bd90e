/**
 * Live check against a real model, only when asked: TIDEPOOL_LIVE_MODEL_TESTS=1 plus a model
 * configured as for `tidepool serve` (OPENAI_API_KEY, AZURE_OPENAI_*, or OPENAI_BASE_URL).
 */
import { describe, expect, it } from 'vitest';
import { createLanguageModel } from '../../src/agent/language-model.js';
import { LifecycleRouter } from '../../src/sandbox/lifecycle-router.js';
import { resolveModelSetup } from '../../src/agent/model-config.js';
import { runTurn } from '../../src/agent/run-turn.js';
import { createLocalSandbox } from '../../src/sandbox/backends/local/local-sandbox.js';

const setup = resolveModelSetup(process.env);
const enabled = process.env.TIDEPOOL_LIVE_MODEL_TESTS === '1' && setup.configured;

describe.skipIf(!enabled)('travel agent with the configured live model', () => {
  it('uses run_python for arithmetic and reports the answer', async () => {
    if (!setup.configured) return;
    const router = new LifecycleRouter();
    const sandbox = createLocalSandbox({ onLifecycle: router.dispatch });
    try {
      const outcome = await runTurn({
        model: createLanguageModel(setup.config),
        sandbox,
        sessionId: crypto.randomUUID(),
        history: [],
        userText: 'Use the run_python tool to compute 1234 * 5678 and tell me the result.',
        emit: () => undefined,
        saveImage: (image) => ({ url: 'unused', fileName: image.fileName, mediaType: image.mediaType }),
        subscribeLifecycle: (identifier, listener) => router.subscribe(identifier, listener),
      });
      expect(outcome.error).toBeUndefined();
      expect(outcome.parts.some((part) => part.type === 'tool' && part.call.toolName === 'run_python' && part.call.status === 'success')).toBe(true);
      expect(outcome.text.replace(/[,\s]/g, '')).toContain('7006652');
    } finally {
      await sandbox.close();
    }
  }, 120_000);
});
