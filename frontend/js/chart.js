// Cumulative earnings over time as an SVG step chart, with the figures also in a table for
// screen readers (the SVG is described by its title and summary).
import { ethers } from '/vendor/ethers.js';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// points: [{timestamp, value (bigint wei)}], one series per token symbol.
export function earningsChart(series, title) {
  const width = 640; const height = 220; const pad = 40;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  root.append(svg('title', { id: 'chart-title' }, title));
  const all = Object.values(series).flat();
  const desc = Object.entries(series).map(([symbol, pts]) => `${symbol}: ${pts.length} payment(s), total ${ethers.formatEther(pts.reduce((a, p) => a + p.value, 0n))}`).join('; ');
  root.append(svg('desc', { id: 'chart-desc' }, desc || 'no earnings yet'));
  if (all.length === 0) return root;
  const t0 = Math.min(...all.map((p) => p.timestamp)); const t1 = Math.max(...all.map((p) => p.timestamp), t0 + 1);
  const colors = ['#2456a6', '#1a7f37', '#9a6700'];
  root.append(svg('line', { x1: pad, y1: height - pad, x2: width - 10, y2: height - pad, stroke: '#8c959f' }));
  root.append(svg('line', { x1: pad, y1: 10, x2: pad, y2: height - pad, stroke: '#8c959f' }));
  Object.entries(series).forEach(([symbol, pts], i) => {
    let total = 0n;
    const cumulative = pts.map((p) => { total += p.value; return { t: p.timestamp, v: Number(ethers.formatEther(total)) }; });
    const max = Math.max(...cumulative.map((p) => p.v), 1e-18);
    const x = (t) => pad + ((t - t0) / (t1 - t0)) * (width - pad - 20);
    const y = (v) => height - pad - (v / max) * (height - pad - 20);
    let d = `M ${x(t0)} ${y(0)}`;
    for (const p of cumulative) d += ` H ${x(p.t)} V ${y(p.v)}`;
    d += ` H ${width - 10}`;
    root.append(svg('path', { d, fill: 'none', stroke: colors[i % colors.length], 'stroke-width': 2.5, 'data-series': symbol }));
    root.append(svg('text', { x: width - 12, y: y(max) - 4, 'text-anchor': 'end', 'font-size': 12, fill: colors[i % colors.length] },
      `${symbol} ${max.toPrecision(4)}`));
  });
  return root;
}
