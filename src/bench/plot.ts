/**
 * `tidepool bench --plot`: one SVG per suite next to latest.json. A latency distribution is drawn
 * as its cumulative distribution (share of runs at or below a latency, latency on a log scale, so
 * the median and the tail read off one picture); a cost measured against a count (memory or
 * latency against live sessions) as a line with its points marked. Plain SVG, no dependencies.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlotData } from './types.js';

const PANEL_WIDTH = 640;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 70, right: 20, top: 36, bottom: 44 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** Writes `<suite>.svg` for every suite that kept samples; returns the files written. */
export async function writePlots(directory: string, bySuite: Map<string, PlotData[]>): Promise<string[]> {
  const files: string[] = [];
  for (const [suite, plots] of bySuite) {
    if (plots.length === 0) continue;
    const file = path.join(directory, `${suite}.svg`);
    await writeFile(file, renderSuite(suite, plots));
    files.push(file);
  }
  return files;
}

export function renderSuite(suite: string, plots: PlotData[]): string {
  const panels: string[] = [];
  const distributions = plots.filter((plot) => plot.kind === 'distribution');
  const byUnit = new Map<string, typeof distributions>();
  for (const plot of distributions) byUnit.set(plot.unit, [...(byUnit.get(plot.unit) ?? []), plot]);
  for (const [unit, group] of byUnit) panels.push(cdfPanel(`${suite}: latency distributions`, unit, group));
  for (const plot of plots) if (plot.kind === 'series') panels.push(seriesPanel(`${suite}: ${plot.name}`, plot));
  const height = panels.length * PANEL_HEIGHT;
  const body = panels.map((panel, index) => `<g transform="translate(0 ${index * PANEL_HEIGHT})">${panel}</g>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_WIDTH}" height="${height}" viewBox="0 0 ${PANEL_WIDTH} ${height}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

function cdfPanel(title: string, unit: string, group: Extract<PlotData, { kind: 'distribution' }>[]): string {
  const all = group.flatMap((plot) => plot.samples).filter((value) => value > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(...all)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  const x = (value: number) => MARGIN.left + ((Math.log10(Math.max(value, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * plotWidth();
  const y = (share: number) => MARGIN.top + (1 - share) * plotHeight();
  const ticks: string[] = [];
  for (let decade = low; decade <= high; decade *= 10) ticks.push(tickX(x(decade), formatNumber(decade)));
  for (const share of [0, 0.25, 0.5, 0.75, 0.9, 1]) ticks.push(tickY(y(share), `${Math.round(share * 100)}%`));
  const lines = group.map((plot, index) => {
    const sorted = [...plot.samples].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const points: string[] = [];
    for (let i = 0; i < sorted.length; i += step) points.push(`${x(sorted[i]!).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`);
    points.push(`${x(sorted.at(-1)!).toFixed(1)},${y(1).toFixed(1)}`);
    return `<polyline fill="none" stroke="${COLOURS[index % COLOURS.length]}" stroke-width="1.5" points="${points.join(' ')}"/>`;
  });
  return frame(title, `${unit} (log scale)`, 'share of runs at or below', ticks, lines, group.map((plot) => `${plot.name} (n=${plot.samples.length})`));
}

function seriesPanel(title: string, plot: Extract<PlotData, { kind: 'series' }>): string {
  const xs = plot.points.map((point) => point.x);
  const ys = plot.points.map((point) => point.y);
  const xMax = Math.max(...xs);
  const yMax = Math.max(...ys) * 1.1 || 1;
  const x = (value: number) => MARGIN.left + (value / xMax) * plotWidth();
  const y = (value: number) => MARGIN.top + (1 - value / yMax) * plotHeight();
  const ticks = [...plot.points.map((point) => tickX(x(point.x), formatNumber(point.x))), ...[0, 0.5, 1].map((share) => tickY(y(share * yMax), formatNumber(share * yMax)))];
  const points = plot.points.map((point) => `${x(point.x).toFixed(1)},${y(point.y).toFixed(1)}`);
  const marks = plot.points.map((point) => `<circle cx="${x(point.x).toFixed(1)}" cy="${y(point.y).toFixed(1)}" r="3" fill="${COLOURS[0]}"><title>${formatNumber(point.y)} ${escape(plot.unit)}</title></circle>`);
  return frame(title, plot.xLabel, plot.unit, ticks, [`<polyline fill="none" stroke="${COLOURS[0]}" stroke-width="1.5" points="${points.join(' ')}"/>`, ...marks], []);
}

function frame(title: string, xLabel: string, yLabel: string, ticks: string[], content: string[], legend: string[]): string {
  const bottom = MARGIN.top + plotHeight();
  // Bottom right: where a cumulative distribution rising to the top left leaves room.
  const legendItems = legend.map(
    (text, index) => `<g transform="translate(${MARGIN.left + plotWidth() - 250} ${bottom - 8 - (legend.length - 1 - index) * 14})"><rect width="10" height="3" y="-4" fill="${COLOURS[index % COLOURS.length]}"/><text x="14">${escape(text)}</text></g>`,
  );
  return [
    `<text x="${MARGIN.left}" y="20" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth()}" height="${plotHeight()}" fill="none" stroke="#999"/>`,
    ...ticks,
    ...content,
    ...legendItems,
    `<text x="${MARGIN.left + plotWidth() / 2}" y="${bottom + 34}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text transform="translate(14 ${MARGIN.top + plotHeight() / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  ].join('\n');
}

function tickX(position: number, label: string): string {
  const bottom = MARGIN.top + plotHeight();
  return `<line x1="${position.toFixed(1)}" x2="${position.toFixed(1)}" y1="${MARGIN.top}" y2="${bottom}" stroke="#eee"/><text x="${position.toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${escape(label)}</text>`;
}

function tickY(position: number, label: string): string {
  return `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth()}" y1="${position.toFixed(1)}" y2="${position.toFixed(1)}" stroke="#eee"/><text x="${MARGIN.left - 6}" y="${(position + 4).toFixed(1)}" text-anchor="end">${escape(label)}</text>`;
}

function plotWidth(): number {
  return PANEL_WIDTH - MARGIN.left - MARGIN.right;
}

function plotHeight(): number {
  return PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
}

function formatNumber(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return `${Math.round(value / 100) / 10}k`;
  if (Math.abs(value) >= 10) return String(Math.round(value));
  return String(Number(value.toPrecision(2)));
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
