// Assistant text as Markdown: marked turns it into HTML, DOMPurify removes anything that could run
// or restyle the page. Model text can carry a prompt injection, so HTML the model writes is shown
// as text (never interpreted), links open in a new tab without a referrer, and images load only
// from this server or inline data (an outside image URL could carry the conversation away in its
// query string).
import { Marked } from '/static/vendor/marked.js';
import DOMPurify from '/static/vendor/purify.js';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => text.replace(/[&<>"']/g, (char) => ESCAPES[char]);

const markdown = new Marked({ async: false, gfm: true, breaks: true, renderer: { html: ({ text }) => escapeHtml(text) } });

const purifier = DOMPurify(window);
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src') || '';
    if (!src.startsWith('/api/') && !/^data:image\/(png|jpeg|gif|webp);/.test(src)) {
      node.removeAttribute('src');
      node.setAttribute('alt', `[image not loaded: ${src.slice(0, 80)}]`);
    }
  }
});

const PURIFY_OPTIONS = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'svg', 'math'],
  FORBID_ATTR: ['style', 'class', 'id'],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/|#|data:image\/)/i,
};

/** Sets `node`'s content to the sanitised rendering of `text`. */
export function renderMarkdown(node, text) {
  node.innerHTML = purifier.sanitize(markdown.parse(text), PURIFY_OPTIONS);
}
