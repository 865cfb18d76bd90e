// The UI's icons as inline SVG, drawn with strokes in the text colour: they look the same on every
// machine, with or without an emoji font.
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Path data on a 24×24 grid, stroked (fill none). */
const SHAPES = {
  wave: ['M2 15c2.5-3 5-3 7.5 0s5 3 7.5 0 3.5-2.5 5-1', 'M2 10c2.5-3 5-3 7.5 0s5 3 7.5 0 3.5-2.5 5-1'],
  plus: ['M12 5v14', 'M5 12h14'],
  trash: ['M4 7h16', 'M9 7V4h6v3', 'M6 7l1 13h10l1-13', 'M10 11v6', 'M14 11v6'],
  wrench: ['M14.5 6.5a4 4 0 0 0 5 5l-8.5 8.5a2.1 2.1 0 0 1-3-3l8.5-8.5a4 4 0 0 1-2-2z'],
  clock: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M12 7v5l3 2'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  play: ['M8 5l11 7-11 7z'],
  done: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M8 12.5l3 3 5-6'],
  fail: ['M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z', 'M9 9l6 6', 'M15 9l-6 6'],
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  alert: ['M12 3L2 20h20z', 'M12 10v4', 'M12 17v.5'],
  stop: ['M7 7h10v10H7z'],
  send: ['M4 12l16-8-6 16-2.5-6.5z'],
  reset: ['M4 12a8 8 0 1 0 2.5-5.8', 'M4 4v4h4'],
  dot: ['M12 11a1 1 0 1 0 0 2a1 1 0 1 0 0-2z'],
};

/** An <svg> icon; decorative (aria-hidden) unless given a label. */
export function icon(name, { label, className } = {}) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}${className ? ` ${className}` : ''}`);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.dataset.icon = name;
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  for (const d of SHAPES[name] || SHAPES.dot) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** Replaces every <i data-icon="name"> placeholder in static HTML with its SVG. */
export function fillIcons(root = document) {
  for (const node of root.querySelectorAll('i[data-icon]')) node.replaceWith(icon(node.dataset.icon));
}
