import { describe, expect, it } from 'vitest';
import { formatLifecycleLine, SessionLifecycle, type LifecycleEvent } from '../../src/index.js';

describe('SessionLifecycle', () => {
  it('reports each step with running and step timings from the injected clock', () => {
    let now = 1000;
    const events: LifecycleEvent[] = [];
    const lifecycle = new SessionLifecycle('Sandbox-ACA', 'weather-new-york', (event) => events.push(event), 'destination: New York', () => now);
    lifecycle.creating();
    now += 1234;
    lifecycle.ready();
    now += 1;
    lifecycle.executing();
    now += 2221;
    lifecycle.finished();
    now += 44;
    lifecycle.closed();
    expect(events.map((event) => event.phase)).toEqual(['creating', 'ready', 'executing', 'finished', 'closed']);
    expect(events.map(formatLifecycleLine)).toEqual([
      '☁️ ACA Sandbox creating for destination: New York',
      '✓ ACA Sandbox created (1234ms)',
      '▶️ ACA Sandbox code execution starting for destination: New York (1235ms)',
      '✅ ACA Sandbox execution finished for destination: New York (3456ms, execution 2221ms)',
      '🔒 ACA Sandbox closed for destination: New York (total: 3500ms)',
    ]);
  });

  it('keeps working when the listener throws', () => {
    const lifecycle = new SessionLifecycle('Local', 'x', () => {
      throw new Error('broken listener');
    });
    expect(() => lifecycle.creating()).not.toThrow();
  });

  it('names the failure and reuse', () => {
    let now = 0;
    const events: LifecycleEvent[] = [];
    const lifecycle = new SessionLifecycle('Local', 'abcdefghijklmnop', (event) => events.push(event), undefined, () => now);
    lifecycle.ready(true);
    lifecycle.executing();
    now = 5;
    lifecycle.failed('ZeroDivisionError: division by zero');
    expect(formatLifecycleLine(events[0]!)).toBe('✓ Local Sandbox reused (0ms)');
    expect(formatLifecycleLine(events[2]!)).toBe('❌ Local Sandbox failed (session abcdefgh…): ZeroDivisionError: division by zero (5ms)');
  });
});
