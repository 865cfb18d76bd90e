// A tool call as a card: tool name, backend badge, arguments, a timeline timed from the start of
// the call (session ready or reused, executing, finished — each with its own milliseconds), a
// notice when the sandbox session was replaced, the output text and any images. Used by the chat
// and the tools page.
import { el } from './common.js';
import { icon } from './icons.js';

const PHASE_ICONS = { creating: 'clock', ready: 'check', executing: 'play', finished: 'done', failed: 'fail', closed: 'lock' };

export function createToolCard(call) {
  const card = el('div', { class: 'tool-card', dataset: { testid: 'tool-card', tool: call.toolName, callId: call.callId || '' } });
  card.append(
    el('div', { class: 'tool-head' },
      el('span', { class: 'tool-name' }, icon('wrench'), el('span', { text: call.toolName })),
      // A tool the agent does not have ran nowhere: no backend to name.
      call.sandboxType ? el('span', { class: 'badge', dataset: { testid: 'backend-badge' }, text: call.sandboxType }) : null,
      el('span', { class: 'tool-status', dataset: { testid: 'tool-status' } })),
    el('div', { class: 'session-reset', dataset: { testid: 'session-reset' }, hidden: true }),
    el('details', { class: 'tool-args' }, el('summary', { text: 'Arguments' }), el('pre', { text: JSON.stringify(call.input, null, 2) })),
    el('ol', { class: 'timeline', dataset: { testid: 'timeline' } }),
    el('div', { class: 'tool-output' }),
  );
  if (call.sessionReset) showSessionReset(card, call.sessionReset);
  renderTimeline(card, call);
  if (call.status && call.status !== 'running') finishToolCard(card, call);
  else setStatus(card, 'running', 'running…');
  return card;
}

/** A live step of the call's timeline (from a tool-lifecycle event). */
export function addTimelineStep(card, step) {
  card.querySelector('.timeline').append(stepRow(step));
}

/** The backend replaced the session: earlier variables and files are gone. */
export function showSessionReset(card, message) {
  const node = card.querySelector('.session-reset');
  node.hidden = false;
  node.replaceChildren(icon('reset'), el('span', { text: message }));
}

export function finishToolCard(card, call) {
  renderTimeline(card, call);
  if (call.sessionReset) showSessionReset(card, call.sessionReset);
  const took = call.durationMs !== undefined ? ` ${call.durationMs} ms` : '';
  setStatus(card, call.status, call.status === 'success' ? `done in${took || ' ? ms'}` : `failed${took ? ` after${took}` : ''}`);
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

function renderTimeline(card, call) {
  const timeline = card.querySelector('.timeline');
  // Messages stored before per-call timelines existed carry only the backend's raw events.
  const steps = call.timeline || (call.lifecycle || []).map((event) => ({ phase: event.phase, atMs: event.elapsedMs, durationMs: event.stepMs, reused: event.reused, message: event.message }));
  timeline.replaceChildren(...steps.map(stepRow));
}

function stepRow(step) {
  const [label, ms] = describeStep(step);
  return el('li', { class: `phase-${step.phase}`, dataset: { testid: 'lifecycle-event', phase: step.phase } },
    el('span', { class: 'phase' }, icon(PHASE_ICONS[step.phase] || 'dot'), el('span', { text: label })),
    el('span', { class: 'ms', text: ms }));
}

function describeStep(step) {
  const took = step.durationMs !== undefined ? `${step.durationMs} ms` : '';
  switch (step.phase) {
    case 'creating': return ['creating a new session', `at ${step.atMs} ms`];
    case 'ready': return [step.reused ? 'session reused' : 'new session ready', took];
    case 'executing': return ['executing', took || 'running…'];
    case 'finished': return ['finished', `call total ${step.atMs} ms`];
    case 'failed': return [`failed${step.message ? ` — ${step.message}` : ''}`, `call total ${step.atMs} ms`];
    case 'closed': return ['session closed', `at ${step.atMs} ms`];
    default: return [step.phase, took];
  }
}

function setStatus(card, status, text) {
  card.dataset.status = status;
  const node = card.querySelector('.tool-status');
  node.replaceChildren(icon(status === 'success' ? 'done' : status === 'error' ? 'fail' : 'clock'), el('span', { text }));
  node.className = `tool-status status-${status}`;
}
