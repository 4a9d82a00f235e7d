/**
 * Self-contained HTML output of the seq2seq examples: grayscale PNG images encoded here as data
 * URIs (no image library), attention heatmaps as inline SVG, and the captioning sample page.
 */
import { deflateSync } from 'node:zlib';
import { captionOf, DIGIT_SIZE, type Strip } from '../models/caption.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A grayscale PNG (ink dark on white) of values in [0, 1], as a data URI (PNG spec: IHDR, IDAT, IEND). */
export function pngDataUri(pixels: ArrayLike<number>, width: number, height: number): string {
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    for (let x = 0; x < width; x++)
      raw[y * (width + 1) + 1 + x] = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[y * width + x]))));
  }
  const chunk = (type: string, data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale, deflate, no filter method, no interlace
  const parts = [
    Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  return `data:image/png;base64,${Buffer.concat(parts).toString('base64')}`;
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export function samplesHtml(title: string, items: { strip: Strip; caption: string }[]): string {
  const rows = items.map(({ strip, caption }) => {
    const truth = captionOf(strip.digits);
    const ok = caption === truth;
    const img = `<img src="${pngDataUri(strip.pixels, strip.width, DIGIT_SIZE)}" width="${strip.width * 3}" height="${DIGIT_SIZE * 3}" alt="${escapeHtml(truth)}">`;
    return `<tr><td>${img}</td><td class="${ok ? 'ok' : 'bad'}">${escapeHtml(caption)}</td><td>${ok ? '' : `truth: ${escapeHtml(truth)}`}</td></tr>`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em}img{image-rendering:pixelated;border:1px solid #ccc}td{padding:6px 12px}.ok{color:#060;font-size:1.3em}.bad{color:#b00;font-size:1.3em}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>Test strips (digit images never seen in training) and the captions the model wrote.</p>
<table>${rows.join('\n')}</table></body></html>
`;
}

export interface Heatmap {
  title: string;
  rows: string[];
  cols: string[];
  /** weights[row][col]. */
  weights: number[][];
  /** An image drawn above the columns (caption strips): data URI and its size in pixels. */
  image?: { uri: string; width: number; height: number };
}

/** One heatmap as inline SVG: labels left and on top, cells shaded by weight with the value on hover. */
export function heatmapSvg(h: Heatmap, cellW: number, cellH = 22): string {
  const left = 8 + 9 * Math.max(3, ...h.rows.map((r) => r.length));
  const imgH = h.image ? h.image.height : 0;
  const top = imgH + 24;
  const W = left + cellW * h.cols.length + 10;
  const H = top + cellH * h.rows.length + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="monospace" font-size="12">`,
  ];
  if (h.image)
    parts.push(
      `<image x="${left}" y="0" width="${h.image.width}" height="${h.image.height}" href="${h.image.uri}" style="image-rendering:pixelated"/>`,
    );
  h.cols.forEach((c, j) => {
    parts.push(
      `<text x="${left + cellW * j + cellW / 2}" y="${top - 6}" text-anchor="middle">${escapeHtml(c)}</text>`,
    );
  });
  h.rows.forEach((r, i) => {
    const y = top + cellH * i;
    parts.push(`<text x="${left - 6}" y="${y + cellH / 2 + 4}" text-anchor="end">${escapeHtml(r)}</text>`);
    h.weights[i].forEach((w, j) => {
      const shade = Math.round(255 * (1 - Math.min(1, Math.max(0, w))));
      parts.push(
        `<rect x="${left + cellW * j}" y="${y}" width="${cellW}" height="${cellH}" fill="rgb(${shade},${shade},255)" stroke="#eee"><title>${escapeHtml(r)} / ${escapeHtml(h.cols[j])}: ${w.toFixed(3)}</title></rect>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function heatmapPage(
  title: string,
  maps: { heatmap: Heatmap; cellW: number; note?: string }[],
): string {
  const body = maps.map(
    (m) =>
      `<h2>${escapeHtml(m.heatmap.title)}</h2>${m.note ? `<p>${escapeHtml(m.note)}</p>` : ''}\n${heatmapSvg(m.heatmap, m.cellW)}`,
  );
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:sans-serif;margin:2em}h2{font-size:1.1em;margin-top:2em}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>Rows: output tokens (&lt;/s&gt; is the end token); columns: source positions. Darker cells carry more attention weight; each row sums to 1. Hover a cell for its value.</p>
${body.join('\n')}
</body></html>
`;
}
