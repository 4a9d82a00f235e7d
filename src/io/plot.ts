/**
 * Line charts as self-contained SVG (no scripts, fonts or external files), for training curves:
 * `renderLineChart` builds the text, `writeLineChart` writes it atomically so a viewer that
 * reloads the file never sees half a picture.
 */
import { ConfigError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';

export interface Series {
  name: string;
  /** CSS colour. */
  color: string;
  /** [x, y] points; non-finite ys are skipped. */
  points: readonly (readonly [number, number])[];
  /** Draw a dot at every point (for sparse series such as evaluations). */
  markers?: boolean;
}

export interface ChartOptions {
  title?: string;
  subtitle?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** At most this many points per series are drawn (evenly thinned; default 1500). */
  maxPoints?: number;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round numbers covering [lo, hi]: about `count` ticks at 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1);
  if (a >= 1000) return `${Number((v / 1000).toPrecision(4))}k`;
  return String(Number(v.toPrecision(4)));
}

function thin(points: readonly (readonly [number, number])[], max: number): (readonly [number, number])[] {
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length <= max) return finite;
  const out: (readonly [number, number])[] = [];
  for (let i = 0; i < max; i++) out.push(finite[Math.round((i * (finite.length - 1)) / (max - 1))]);
  return out;
}

/** The chart as an SVG document. */
export function renderLineChart(series: readonly Series[], options: ChartOptions = {}): string {
  const W = options.width ?? 760;
  const H = options.height ?? 420;
  if (!(W >= 200 && H >= 150))
    throw new ConfigError(`renderLineChart: width and height must be at least 200 x 150`);
  const maxPoints = options.maxPoints ?? 1500;
  const m = { left: 64, right: 24, top: options.subtitle ? 56 : 40, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const drawn = series.map((s) => ({ ...s, pts: thin(s.points, maxPoints) }));
  const all = drawn.flatMap((s) => s.pts);
  let x0 = Math.min(...all.map((p) => p[0]));
  let x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1]));
  let y1 = Math.max(...all.map((p) => p[1]));
  if (all.length === 0) {
    x0 = 0;
    x1 = 1;
    y0 = 0;
    y1 = 1;
  }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + (1 - (y - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  );
  if (options.title) {
    parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(options.title)}</text>`);
  }
  if (options.subtitle) parts.push(`<text x="${m.left}" y="40" fill="#555">${esc(options.subtitle)}</text>`);
  for (const t of niceTicks(y0, y1, 6)) {
    const y = f(sy(t));
    parts.push(
      `<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#333">${fmtTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1, 8)) {
    const x = f(sx(t));
    parts.push(
      `<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#f0f0f0"/>`,
      `<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle" fill="#333">${fmtTick(t)}</text>`,
    );
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  if (options.xLabel) {
    parts.push(
      `<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    const cy = m.top + ph / 2;
    parts.push(
      `<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${esc(options.yLabel)}</text>`,
    );
  }
  for (const s of drawn) {
    if (s.pts.length === 0) continue;
    const d = s.pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${f(sx(x))},${f(sy(y))}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="1.6"/>`);
    if (s.markers) {
      for (const [x, y] of s.pts)
        parts.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.6" fill="${esc(s.color)}"/>`);
    }
  }
  if (drawn.length > 0) {
    const lx = m.left + pw - 158;
    parts.push(
      `<rect x="${lx}" y="${m.top + 4}" width="150" height="${drawn.length * 18 + 6}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`,
    );
  }
  drawn.forEach((s, i) => {
    const y = m.top + 16 + i * 18;
    const x = m.left + pw - 150;
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${esc(s.color)}" stroke-width="2.5"/>`,
      `<text x="${x + 28}" y="${y}" dominant-baseline="middle">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Renders the chart and replaces `path` atomically. */
export function writeLineChart(path: string, series: readonly Series[], options: ChartOptions = {}): void {
  writeFileAtomic(path, renderLineChart(series, options));
}
