// The tools page: run research_weather, chart_weather or a code tool (run_python, run_javascript, run_shell) directly on any backend.
import { api, el, showModelStatus } from './common.js';
import { fillIcons } from './icons.js';
import { createToolCard } from './tool-card.js';

const $ = (id) => document.getElementById(id);

async function init() {
  fillIcons();
  const status = await api('/api/status');
  showModelStatus(status);
  $('tool-agent').replaceChildren(...status.agents.map((agent) =>
    el('option', { value: agent.id, disabled: !agent.available, text: agent.available ? agent.name : `${agent.name} — unavailable` })));
  $('tool-agent').value = status.defaultAgentId;
  const unavailable = status.agents.filter((agent) => !agent.available);
  $('backend-reasons').replaceChildren(...unavailable.map((agent) => el('span', { class: 'reason', dataset: { testid: 'unavailable-agent' }, text: `${agent.id}: ${agent.reason}` })));
  $('tool-name').addEventListener('change', showFields);
  showFields();
  $('tool-form').addEventListener('submit', (event) => { event.preventDefault(); void run(); });
}

function showFields() {
  const tool = $('tool-name').value;
  for (const label of document.querySelectorAll('label[data-for]')) label.hidden = !label.dataset.for.split(' ').includes(tool);
}

function inputFor(tool) {
  const dates = $('dates').value.trim() || undefined;
  if (tool === 'research_weather') return { destination: $('destination').value.trim(), dates };
  if (tool === 'chart_weather') return { places: $('places').value.split(',').map((place) => place.trim()).filter(Boolean), dates };
  if (tool === 'run_javascript') return { code: $('javascript').value };
  if (tool === 'run_shell') return { command: $('command').value };
  return { code: $('code').value };
}

async function run() {
  const tool = $('tool-name').value;
  const agentId = $('tool-agent').value;
  const input = inputFor(tool);
  const results = $('tool-results');
  const agent = $('tool-agent').selectedOptions[0]?.textContent || agentId;
  const placeholder = createToolCard({ toolName: tool, input, sandboxType: agent, status: 'running', lifecycle: [] });
  results.prepend(placeholder);
  try {
    const result = await api(`/api/tools/${tool}`, { method: 'POST', body: { agentId, input } });
    placeholder.replaceWith(createToolCard({
      toolName: tool, input, sandboxType: result.sandboxType, status: result.status, lifecycle: result.lifecycle, timeline: result.timeline,
      text: result.text, images: result.images, durationMs: result.durationMs,
    }));
  } catch (error) {
    placeholder.replaceWith(createToolCard({ toolName: tool, input, sandboxType: agent, status: 'error', lifecycle: [], text: error.message, images: [] }));
  }
}

init().catch((error) => {
  document.body.prepend(el('div', { class: 'notice', text: `Could not start the UI: ${error.message}` }));
});
