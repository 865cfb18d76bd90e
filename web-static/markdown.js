// Assistant text as Markdown: marked turns it into HTML, DOMPurify removes anything that could run
// or restyle the page. Model text can carry a prompt injection, so links open in a new tab without
// a referrer, and images load only from this server or inline data (an outside image URL could
// carry the conversation away in its query string).
import { marked } from '/static/vendor/marked.js';
import DOMPurify from '/static/vendor/purify.js';

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
  node.innerHTML = purifier.sanitize(marked.parse(text, { async: false, gfm: true, breaks: true }), PURIFY_OPTIONS);
}
