import { describe, expect, it } from 'vitest';
import { travelAgentInstructions } from '../../src/agent/instructions.js';

describe('travel agent instructions', () => {
  const today = new Date('2027-05-03T12:00:00Z');

  it('mention only run_python when the sandbox runs Python alone', () => {
    const text = travelAgentInstructions('Sandbox-Daytona', ['python'], today);
    expect(text).toContain('run_python');
    expect(text).not.toMatch(/run_javascript|run_shell/);
    expect(text).toContain('Today is 2027-05-03.');
  });

  it("name the other code tools the sandbox's languages bring", () => {
    const text = travelAgentInstructions('Sandbox-Pool', ['python', 'javascript', 'shell'], today);
    expect(text).toMatch(/use run_javascript \(JavaScript on Node\.js\) or run_shell \(bash commands;/);
    expect(travelAgentInstructions('Local', ['python', 'shell'], today)).not.toContain('run_javascript');
  });
});
