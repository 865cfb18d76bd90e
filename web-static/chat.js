// The chat page: pick an agent, chat with streamed replies and tool cards, stop a reply, list
// conversations (the last one reopens on load), and see the conversation's session files.
import { api, el, formatBytes, readEventStream, showModelStatus } from './common.js';
import { fillIcons, icon } from './icons.js';
import { renderMarkdown } from './markdown.js';
import { addTimelineStep, createToolCard, finishToolCard, showSessionReset } from './tool-card.js';

const state = { status: null, conversation: null, sending: false };
const LAST_CONVERSATION = 'tidepool.lastConversation';
const $ = (id) => document.getElementById(id);

async function init() {
  fillIcons();
  state.status = await api('/api/status');
  showModelStatus(state.status);
  fillAgents();
  if (!state.status.model.configured) {
    const help = $('model-help');
    help.hidden = false;
    help.replaceChildren(el('strong', { text: 'The chat needs a language model.' }), el('pre', { text: state.status.model.reason }),
      el('p', {}, 'Meanwhile the ', el('a', { href: '/tools', text: 'Tools page' }), ' runs research_weather and chart_weather on any backend.'));
    $('prompt').disabled = true;
    $('send').disabled = true;
  }
  $('composer').addEventListener('submit', (event) => { event.preventDefault(); void send(); });
  $('prompt').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); void send(); }
  });
  $('prompt').addEventListener('input', () => showComposerError(''));
  $('stop').addEventListener('click', () => void stop());
  $('new-conversation').addEventListener('click', () => startNew());
  $('refresh-files').addEventListener('click', () => void refreshFiles());
  $('agent-select').addEventListener('change', () => {
    if (state.conversation && state.conversation.agentId !== $('agent-select').value) startNew();
  });
  await refreshConversations();
  // The address names a conversation after a reload; a fresh visit reopens the last one.
  const fromHash = window.location.hash.match(/^#c=([0-9a-f-]{36})$/)?.[1];
  const id = fromHash || window.localStorage.getItem(LAST_CONVERSATION);
  if (id && /^[0-9a-f-]{36}$/.test(id)) {
    await openConversation(id).catch(() => {
      window.localStorage.removeItem(LAST_CONVERSATION);
      startNew();
    });
  }
}

function fillAgents() {
  const select = $('agent-select');
  select.replaceChildren(...state.status.agents.map((agent) =>
    // The label already says "Agent": the backend's name is what tells them apart.
    el('option', { value: agent.id, disabled: !agent.available, title: agent.reason || agent.name, text: `${agent.name.replace(/^Travel agent · /, '')}${agent.available ? '' : ' — unavailable'}` })));
  select.value = state.status.defaultAgentId;
  select.title = select.selectedOptions[0]?.textContent || '';
  const unavailable = state.status.agents.filter((agent) => !agent.available);
  const node = $('agent-reason');
  node.hidden = unavailable.length === 0;
  // Folded by default: the reasons are long, and the conversations list matters more.
  node.replaceChildren(el('summary', { text: `${unavailable.length} agent${unavailable.length === 1 ? '' : 's'} unavailable — why` }),
    el('ul', {}, unavailable.map((agent) => el('li', { dataset: { testid: 'unavailable-agent', agent: agent.id } }, el('b', { text: agent.id }), ` — ${agent.reason}`))));
}

async function refreshConversations() {
  const { conversations } = await api('/api/conversations');
  const list = $('conversations');
  if (conversations.length === 0) { list.replaceChildren(el('li', { class: 'empty', text: 'None yet.' })); return; }
  list.replaceChildren(...conversations.map((conversation) =>
    el('li', { class: state.conversation?.id === conversation.id ? 'active' : '', dataset: { testid: 'conversation-item' } },
      el('button', { class: 'link', title: conversation.title, onclick: () => void openConversation(conversation.id) },
        el('span', { class: 'title', text: conversation.title }), el('span', { class: 'badge small', text: conversation.agentId })),
      el('button', { class: 'delete', title: 'Delete conversation', 'aria-label': 'Delete conversation', dataset: { testid: 'delete-conversation' }, onclick: () => void deleteConversation(conversation) }, icon('trash')))));
}

function remember(conversation) {
  state.conversation = conversation;
  window.history.replaceState(null, '', `#c=${conversation.id}`);
  window.localStorage.setItem(LAST_CONVERSATION, conversation.id);
}

async function openConversation(id) {
  const { conversation, messages } = await api(`/api/conversations/${id}`);
  remember(conversation);
  $('agent-select').value = conversation.agentId;
  const container = $('messages');
  container.replaceChildren();
  for (const message of messages) container.append(renderMessage(message));
  container.scrollTop = container.scrollHeight;
  await refreshConversations();
  await refreshFiles();
}

function startNew() {
  state.conversation = null;
  window.history.replaceState(null, '', window.location.pathname);
  window.localStorage.removeItem(LAST_CONVERSATION);
  $('messages').replaceChildren(el('p', { class: 'empty', text: 'New conversation. Ask about a trip.' }));
  $('files').replaceChildren(el('li', { class: 'empty', text: 'No files yet.' }));
  void refreshConversations();
}

async function deleteConversation(conversation) {
  if (!window.confirm(`Delete “${conversation.title}” and its sandbox session?`)) return;
  await api(`/api/conversations/${conversation.id}`, { method: 'DELETE' });
  if (state.conversation?.id === conversation.id) startNew();
  else await refreshConversations();
}

function renderMessage(message) {
  const bubble = el('div', { class: `message ${message.role}`, dataset: { testid: `${message.role}-message` } });
  for (const part of message.parts) appendPart(bubble, part, message.role);
  if (message.role === 'assistant') {
    bubble.dataset.done = 'true';
    markOutcome(bubble);
  }
  return bubble;
}

function appendPart(bubble, part, role) {
  if (part.type === 'text') {
    const node = el('div', { class: 'text' });
    if (role === 'assistant') renderMarkdown(node, part.text);
    else node.textContent = part.text;
    bubble.append(node);
  } else if (part.type === 'tool') {
    bubble.append(createToolCard(part.call));
  } else if (part.type === 'notice') {
    bubble.append(noticePart(part.level, part.text));
  }
}

function noticePart(level, text) {
  return el('div', { class: `notice-part ${level}`, dataset: { testid: `${level}-notice` } }, icon(level === 'stopped' ? 'stop' : 'alert'), el('span', { text }));
}

/** The bubble says how the turn ended: a failed tool or a failed or stopped turn is not a success. */
function markOutcome(bubble) {
  const failed = bubble.querySelector('.notice-part.error, .tool-card[data-status=error]');
  const stopped = bubble.querySelector('.notice-part.stopped');
  bubble.dataset.outcome = stopped ? 'stopped' : failed ? 'failed' : 'ok';
}

function showComposerError(text) {
  const node = $('composer-error');
  node.hidden = !text;
  node.replaceChildren(...(text ? [icon('alert'), el('span', { text })] : []));
}

function setSending(sending) {
  state.sending = sending;
  $('send').hidden = sending;
  $('stop').hidden = !sending;
  $('stop').disabled = false;
  $('send').disabled = !state.status.model.configured;
}

async function stop() {
  if (!state.sending || !state.conversation) return;
  $('stop').disabled = true;
  await api(`/api/conversations/${state.conversation.id}/stop`, { method: 'POST' }).catch((error) => showComposerError(error.message));
}

async function send() {
  const prompt = $('prompt');
  const text = prompt.value.trim();
  if (state.sending) return;
  // Checked here too, so a refused message never creates a conversation; the server checks again.
  const limit = state.status.limits?.messageChars;
  if (!text) { showComposerError('The message is empty; type a question first.'); return; }
  if (limit && text.length > limit) {
    showComposerError(`The message is ${text.length.toLocaleString('en-US')} characters; the limit is ${limit.toLocaleString('en-US')} (${(text.length - limit).toLocaleString('en-US')} too many). Shorten it, or split it over several messages.`);
    return;
  }
  showComposerError('');
  setSending(true);
  const container = $('messages');
  let created;
  let accepted = false;
  try {
    if (!state.conversation) {
      ({ conversation: created } = await api('/api/conversations', { method: 'POST', body: { agentId: $('agent-select').value } }));
      remember(created);
    }
    const response = await fetch(`/api/conversations/${state.conversation.id}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error?.message || `${response.status} ${response.statusText}`);
    }
    // Only now is the message the server's: the box empties and the bubbles appear.
    accepted = true;
    prompt.value = '';
    if (created) container.replaceChildren();
    container.append(renderMessage({ role: 'user', parts: [{ type: 'text', text }] }));
    const bubble = el('div', { class: 'message assistant streaming', dataset: { testid: 'assistant-message' } });
    container.append(bubble);
    await streamReply(response, bubble, container);
  } catch (error) {
    if (accepted) container.append(el('div', { class: 'message error' }, noticePart('error', error.message)));
    else showComposerError(error.message);
    // A conversation made for a message the server refused would sit empty in the list.
    if (!accepted && created) {
      await api(`/api/conversations/${created.id}`, { method: 'DELETE' }).catch(() => undefined);
      startNew();
    }
  } finally {
    setSending(false);
    await refreshConversations();
    await refreshFiles();
  }
}

async function streamReply(response, bubble, container) {
  const cards = new Map();
  let text = '';
  let finished = false;
  await readEventStream(response, (type, data) => {
    if (type === 'text-delta') {
      let last = bubble.lastElementChild;
      if (!last || !last.classList.contains('text')) { bubble.append((last = el('div', { class: 'text' }))); text = ''; }
      text += data.text;
      renderMarkdown(last, text);
    } else if (type === 'tool-start') {
      const card = createToolCard({ ...data, status: 'running', lifecycle: [], timeline: [] });
      cards.set(data.callId, card);
      bubble.append(card);
    } else if (type === 'tool-lifecycle') {
      const card = cards.get(data.callId);
      if (card && data.step) addTimelineStep(card, data.step);
    } else if (type === 'session-reset') {
      const card = cards.get(data.callId);
      if (card) showSessionReset(card, data.message);
    } else if (type === 'tool-end') {
      const card = cards.get(data.call.callId);
      if (card) finishToolCard(card, data.call);
    } else if (type === 'error') {
      bubble.append(noticePart('error', data.message));
    } else if (type === 'stopped') {
      bubble.append(noticePart('stopped', data.reason));
    } else if (type === 'done') {
      finished = true;
      bubble.classList.remove('streaming');
      bubble.dataset.done = 'true';
      markOutcome(bubble);
    }
    container.scrollTop = container.scrollHeight;
  });
  if (!finished) {
    // The stream broke off (server restart, network): say so rather than leave a blinking cursor.
    bubble.classList.remove('streaming');
    bubble.append(noticePart('error', 'The connection to the server ended before the reply did. Reload to see what was saved.'));
    bubble.dataset.done = 'true';
    markOutcome(bubble);
  }
}

async function refreshFiles() {
  const list = $('files');
  if (!state.conversation) return;
  try {
    const { files } = await api(`/api/conversations/${state.conversation.id}/files`);
    if (files.length === 0) { list.replaceChildren(el('li', { class: 'empty', text: 'No files yet.' })); return; }
    list.replaceChildren(...files.map((file) => el('li', { dataset: { testid: 'session-file' } },
      el('a', { href: `/api/conversations/${state.conversation.id}/files/${file.name.split('/').map(encodeURIComponent).join('/')}`, download: file.name.split('/').pop(), text: file.name }),
      el('span', { class: 'size', text: formatBytes(file.sizeBytes) }))));
  } catch (error) {
    list.replaceChildren(el('li', { class: 'empty', text: `Could not list files: ${error.message}` }));
  }
}

init().catch((error) => {
  document.body.prepend(el('div', { class: 'notice', text: `Could not start the UI: ${error.message}` }));
});
