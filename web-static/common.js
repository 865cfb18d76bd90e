// Small helpers shared by the chat and tools pages. Plain browser JavaScript, no build step.

/** Calls the JSON API; throws an Error with the server's message on failure. */
export async function api(path, options = {}) {
  const init = { ...options, headers: { 'content-type': 'application/json', ...(options.headers || {}) } };
  if (init.body !== undefined && typeof init.body !== 'string') init.body = JSON.stringify(init.body);
  const response = await fetch(path, init);
  if (response.status === 204) return undefined;
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message || `${response.status} ${response.statusText}`);
  return body;
}

/** Creates an element: el('div', { class: 'x', dataset: { testid: 'y' } }, child, 'text'). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof window.Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Fills the header badge with the model in use, or a warning when none is configured. */
export function showModelStatus(status) {
  const badge = document.getElementById('model-status');
  if (!badge) return;
  badge.textContent = status.model.configured ? `Model: ${status.model.label}` : 'No model configured';
  badge.classList.toggle('warning', !status.model.configured);
}

/** Reads a fetch Response carrying server-sent events and calls onEvent(type, data) for each. */
export async function readEventStream(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new window.TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      let type = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(type, JSON.parse(data.join('\n')));
    }
  }
}
