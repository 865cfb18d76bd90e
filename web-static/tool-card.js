// A tool call as a card: tool name, backend badge, arguments, lifecycle timeline with
// milliseconds, the output text and any images. Used by the chat and the tools page.
import { el } from './common.js';

const PHASE_ICONS = { creating: '⏳', ready: '✓', executing: '▶️', finished: '✅', failed: '❌', closed: '🔒' };

export function createToolCard(call) {
  const card = el('div', { class: 'tool-card', dataset: { testid: 'tool-card', tool: call.toolName, callId: call.callId || '' } });
  card.append(
    el('div', { class: 'tool-head' },
      el('span', { class: 'tool-name', text: `🛠 ${call.toolName}` }),
      el('span', { class: 'badge', dataset: { testid: 'backend-badge' }, text: call.sandboxType }),
      el('span', { class: 'tool-status', dataset: { testid: 'tool-status' } })),
    el('details', { class: 'tool-args' }, el('summary', { text: 'Arguments' }), el('pre', { text: JSON.stringify(call.input, null, 2) })),
    el('ol', { class: 'timeline', dataset: { testid: 'timeline' } }),
    el('div', { class: 'tool-output' }),
  );
  for (const event of call.lifecycle || []) addLifecycle(card, event);
  if (call.status && call.status !== 'running') finishToolCard(card, call);
  else setStatus(card, 'running', 'running…');
  return card;
}

export function addLifecycle(card, event) {
  const timeline = card.querySelector('.timeline');
  const step = event.stepMs !== undefined ? ` · step ${event.stepMs} ms` : '';
  const extra = event.reused ? ' (reused)' : event.message ? ` — ${event.message}` : '';
  timeline.append(
    el('li', { class: `phase-${event.phase}`, dataset: { testid: 'lifecycle-event', phase: event.phase } },
      el('span', { class: 'phase', text: `${PHASE_ICONS[event.phase] || '•'} ${event.phase}${extra}` }),
      el('span', { class: 'ms', text: `${event.elapsedMs} ms${step}` })),
  );
}

export function finishToolCard(card, call) {
  const timeline = card.querySelector('.timeline');
  if (timeline.children.length === 0) for (const event of call.lifecycle || []) addLifecycle(card, event);
  setStatus(card, call.status, call.status === 'success' ? `done in ${call.durationMs ?? '?'} ms` : 'failed');
  const output = card.querySelector('.tool-output');
  output.replaceChildren();
  if (call.text) {
    output.append(el('details', { class: 'tool-text', open: call.status === 'error' || (call.images || []).length === 0 },
      el('summary', { text: call.status === 'error' ? 'Error' : 'Output' }),
      el('pre', { dataset: { testid: 'tool-output' }, text: call.text })));
  }
  for (const image of call.images || []) {
    output.append(el('figure', { class: 'tool-image' },
      el('img', { src: image.url, alt: image.fileName, dataset: { testid: 'tool-image' } }),
      el('figcaption', {}, el('a', { href: image.url, download: image.fileName, text: image.fileName }))));
  }
}

function setStatus(card, status, text) {
  card.dataset.status = status;
  const node = card.querySelector('.tool-status');
  node.textContent = text;
  node.className = `tool-status status-${status}`;
}
