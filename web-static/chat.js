// The chat page: pick an agent, chat with streamed replies and tool cards, list conversations,
// and see the conversation's session files.
import { api, el, formatBytes, readEventStream, showModelStatus } from './common.js';
import { addLifecycle, createToolCard, finishToolCard } from './tool-card.js';

const state = { status: null, conversation: null, sending: false };
const $ = (id) => document.getElementById(id);

async function init() {
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
  $('new-conversation').addEventListener('click', () => startNew());
  $('refresh-files').addEventListener('click', () => void refreshFiles());
  $('agent-select').addEventListener('change', () => {
    showAgentReason();
    if (state.conversation && state.conversation.agentId !== $('agent-select').value) startNew();
  });
  await refreshConversations();
  const fromHash = window.location.hash.match(/^#c=([0-9a-f-]{36})$/);
  if (fromHash) await openConversation(fromHash[1]).catch(() => startNew());
}

function fillAgents() {
  const select = $('agent-select');
  select.replaceChildren(...state.status.agents.map((agent) =>
    el('option', { value: agent.id, disabled: !agent.available, title: agent.reason || agent.name, text: agent.available ? agent.name : `${agent.name} — unavailable` })));
  select.value = state.status.defaultAgentId;
  const reasons = state.status.agents.filter((agent) => !agent.available);
  select.title = reasons.map((agent) => `${agent.id}: ${agent.reason}`).join('\n');
  showAgentReason();
}

function showAgentReason() {
  const unavailable = state.status.agents.filter((agent) => !agent.available);
  const node = $('agent-reason');
  node.hidden = unavailable.length === 0;
  node.replaceChildren(el('span', { text: 'Unavailable:' }),
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
      el('button', { class: 'delete', title: 'Delete conversation', dataset: { testid: 'delete-conversation' }, onclick: () => void deleteConversation(conversation), text: '✕' }))));
}

async function openConversation(id) {
  const { conversation, messages } = await api(`/api/conversations/${id}`);
  state.conversation = conversation;
  window.history.replaceState(null, '', `#c=${id}`);
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
  for (const part of message.parts) {
    if (part.type === 'text') bubble.append(el('div', { class: 'text', text: part.text }));
    else bubble.append(createToolCard(part.call));
  }
  return bubble;
}

async function send() {
  const prompt = $('prompt');
  const text = prompt.value.trim();
  if (!text || state.sending) return;
  state.sending = true;
  $('send').disabled = true;
  const container = $('messages');
  try {
    if (!state.conversation) {
      const { conversation } = await api('/api/conversations', { method: 'POST', body: { agentId: $('agent-select').value } });
      state.conversation = conversation;
      window.history.replaceState(null, '', `#c=${conversation.id}`);
      container.replaceChildren();
    }
    prompt.value = '';
    container.append(renderMessage({ role: 'user', parts: [{ type: 'text', text }] }));
    const bubble = el('div', { class: 'message assistant streaming', dataset: { testid: 'assistant-message' } });
    container.append(bubble);
    const response = await fetch(`/api/conversations/${state.conversation.id}/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error?.message || `${response.status} ${response.statusText}`);
    }
    const cards = new Map();
    await readEventStream(response, (type, data) => {
      if (type === 'text-delta') {
        let last = bubble.lastElementChild;
        if (!last || !last.classList.contains('text')) bubble.append((last = el('div', { class: 'text' })));
        last.textContent += data.text;
      } else if (type === 'tool-start') {
        const card = createToolCard({ ...data, status: 'running', lifecycle: [] });
        cards.set(data.callId, card);
        bubble.append(card);
      } else if (type === 'tool-lifecycle') {
        const card = cards.get(data.callId);
        if (card) addLifecycle(card, data.event);
      } else if (type === 'tool-end') {
        const card = cards.get(data.call.callId);
        if (card) finishToolCard(card, data.call);
      } else if (type === 'error') {
        bubble.append(el('div', { class: 'error', text: `⚠️ ${data.message}` }));
      } else if (type === 'done') {
        bubble.classList.remove('streaming');
        bubble.dataset.done = 'true';
      }
      container.scrollTop = container.scrollHeight;
    });
  } catch (error) {
    container.append(el('div', { class: 'message error', text: `⚠️ ${error.message}` }));
  } finally {
    state.sending = false;
    $('send').disabled = !state.status.model.configured;
    await refreshConversations();
    await refreshFiles();
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
