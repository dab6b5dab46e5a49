// Cumulative earnings over time: one SVG step chart per token (amounts in different tokens do not
// share a scale), from the node's registration to its latest payment. The figures are also in a
// table beside it; each SVG is an image described by its title and description.
import { ethers } from '/vendor/ethers.js';
import { h } from './dom.js';
import { when } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2456a6', '#1a7f37', '#9a6700', '#8250df'];

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function one(symbol, points, start, end, color, index) {
  const width = 720; const height = 150; const left = 70; const right = 16; const top = 16; const bottom = 28;
  const t0 = Math.min(start, ...points.map((p) => p.timestamp));
  const t1 = Math.max(end, t0 + 60, ...points.map((p) => p.timestamp));
  let total = 0n;
  const cumulative = points.map((p) => { total += p.value; return { t: p.timestamp, v: Number(ethers.formatEther(total)) }; });
  const max = cumulative.length ? cumulative[cumulative.length - 1].v : 0;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const y = (v) => height - bottom - (max ? v / max : 0) * (height - top - bottom);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `chart-${index}-t chart-${index}-d`, 'data-series': symbol });
  root.append(svg('title', { id: `chart-${index}-t` }, `Cumulative earnings in ${symbol}`));
  root.append(svg('desc', { id: `chart-${index}-d` }, `${points.length} payment(s) between ${when(t0)} and ${when(t1)}, ${max} ${symbol} in all`));
  root.append(svg('line', { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, stroke: '#8c959f' }));
  root.append(svg('line', { x1: left, y1: top, x2: left, y2: height - bottom, stroke: '#8c959f' }));
  root.append(svg('text', { x: left - 6, y: top + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a' }, max.toPrecision(4)));
  root.append(svg('text', { x: left - 6, y: height - bottom, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a' }, '0'));
  root.append(svg('text', { x: left, y: height - 8, 'font-size': 11, fill: '#57606a' }, when(t0).slice(5, 16)));
  root.append(svg('text', { x: width - right, y: height - 8, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a' }, when(t1).slice(5, 16)));
  let d = `M ${x(t0)} ${y(0)}`;
  for (const p of cumulative) d += ` H ${x(p.t)} V ${y(p.v)}`;
  d += ` H ${x(t1)}`;
  root.append(svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2.5, 'data-series': symbol }));
  return h('figure', { class: 'chart-one' }, h('figcaption', {}, symbol), root);
}

// series: {symbol: [{timestamp, value: bigint}]} in time order; start/end: the time span to show.
export function earningsChart(series, start, end) {
  return h('div', { class: 'charts' }, Object.entries(series).map(([symbol, points], i) => one(symbol, points, start, end, COLORS[i % COLORS.length], i)));
}
