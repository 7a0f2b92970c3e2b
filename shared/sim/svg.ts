// Minimal SVG charts for the simulator's report: line charts with 95% bands, a reliability diagram
// and a 2-d scatter. Text is always escaped; output is a standalone SVG document.

export interface BandPoint { x: number; y: number; lo?: number; hi?: number }
export interface Series { name: string; points: BandPoint[]; color?: string; dashed?: boolean }
export interface ChartOptions { title: string; xLabel: string; yLabel: string; width?: number; height?: number; yMin?: number; yMax?: number }

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const fmt = (v: number) => (Math.round(v * 100) / 100 + 0).toString(); // + 0 turns -0 into 0

/** Round, readable tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number((Math.round(v / step) * step).toPrecision(12)));
  return out;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

function frame(opts: ChartOptions, xs: number[], ys: number[], legendRows: number): { f: Frame; xMin: number; xMax: number; yMin: number; yMax: number } {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const left = 60;
  const right = width - 20;
  const top = 36 + legendRows * 16;
  const bottom = height - 44;
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  let yMin = opts.yMin ?? Math.min(...ys);
  let yMax = opts.yMax ?? Math.max(...ys);
  if (!Number.isFinite(xMin) || !Number.isFinite(xMax)) [xMin, xMax] = [0, 1];
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) yMax = yMin + 1;
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const sy = (y: number) => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  return { f: { width, height, left, right, top, bottom, sx, sy }, xMin, xMax, yMin, yMax };
}

function axes(f: Frame, opts: ChartOptions, xr: [number, number], yr: [number, number]): string[] {
  const out: string[] = [];
  out.push(`<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="white"/>`);
  out.push(`<text x="${f.width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`);
  out.push(`<line x1="${f.left}" y1="${f.bottom}" x2="${f.right}" y2="${f.bottom}" stroke="black"/>`);
  out.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.bottom}" stroke="black"/>`);
  for (const t of ticks(xr[0], xr[1])) {
    out.push(`<line x1="${fmt(f.sx(t))}" y1="${f.bottom}" x2="${fmt(f.sx(t))}" y2="${f.bottom + 4}" stroke="black"/>`);
    out.push(`<text x="${fmt(f.sx(t))}" y="${f.bottom + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of ticks(yr[0], yr[1])) {
    out.push(`<line x1="${f.left - 4}" y1="${fmt(f.sy(t))}" x2="${f.right}" y2="${fmt(f.sy(t))}" stroke="#ddd"/>`);
    out.push(`<text x="${f.left - 6}" y="${fmt(f.sy(t) + 4)}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  out.push(`<text x="${(f.left + f.right) / 2}" y="${f.height - 8}" text-anchor="middle" font-size="12">${escapeXml(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${(f.top + f.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(opts.yLabel)}</text>`);
  return out;
}

function legend(f: Frame, items: { name: string; color: string; dashed?: boolean; dot?: boolean }[]): string[] {
  const out: string[] = [];
  const perRow = Math.max(1, Math.floor((f.right - f.left) / 150));
  items.forEach((it, i) => {
    const x = f.left + (i % perRow) * 150;
    const y = 32 + Math.floor(i / perRow) * 16;
    out.push(
      it.dot
        ? `<circle cx="${x + 9}" cy="${y - 4}" r="4" fill="${it.color}"/>`
        : `<line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${it.color}" stroke-width="2"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    out.push(`<text x="${x + 22}" y="${y}" font-size="11">${escapeXml(it.name)}</text>`);
  });
  return out;
}

function wrap(f: Frame, body: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="sans-serif">`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Line chart; a series with lo/hi gets a translucent 95% band. */
export function lineChart(series: Series[], opts: ChartOptions): string {
  const pts = series.flatMap((s) => s.points);
  const ys = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter(Number.isFinite);
  const perRow = Math.max(1, Math.floor(((opts.width ?? 640) - 80) / 150));
  const { f, xMin, xMax, yMin, yMax } = frame(opts, pts.map((p) => p.x), ys, Math.ceil(series.length / perRow));
  const body = axes(f, opts, [xMin, xMax], [yMin, yMax]);
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const withBand = s.points.filter((p) => p.lo !== undefined && p.hi !== undefined);
    if (withBand.length > 1) {
      const upper = withBand.map((p) => `${fmt(f.sx(p.x))},${fmt(f.sy(p.hi!))}`);
      const lower = withBand.slice().reverse().map((p) => `${fmt(f.sx(p.x))},${fmt(f.sy(p.lo!))}`);
      body.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    if (s.points.length > 0) {
      const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${fmt(f.sx(p.x))},${fmt(f.sy(p.y))}`).join(' ');
      body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${escapeXml(s.name)}</title></path>`);
    }
  });
  body.push(...legend(f, series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]!, dashed: s.dashed }))));
  return wrap(f, body);
}

export interface ReliabilitySeries { name: string; color?: string; bins: { lo: number; hi: number; count: number; meanProb: number; fracPositive: number }[] }

/** Reliability diagram: observed keeper share against mean predicted probability per bin, with the diagonal. */
export function reliabilityDiagram(series: ReliabilitySeries[], opts: Omit<ChartOptions, 'xLabel' | 'yLabel'>): string {
  const full: ChartOptions = { ...opts, xLabel: 'mean predicted keep-probability', yLabel: 'observed keeper share', yMin: 0, yMax: 1 };
  const perRow = Math.max(1, Math.floor(((opts.width ?? 640) - 80) / 150));
  const { f } = frame(full, [0, 1], [0, 1], Math.ceil((series.length + 1) / perRow));
  const body = axes(f, full, [0, 1], [0, 1]);
  body.push(`<line x1="${fmt(f.sx(0))}" y1="${fmt(f.sy(0))}" x2="${fmt(f.sx(1))}" y2="${fmt(f.sy(1))}" stroke="#999" stroke-dasharray="4 4"/>`);
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const bins = s.bins.filter((b) => b.count > 0);
    if (bins.length === 0) return;
    const d = bins.map((b, k) => `${k === 0 ? 'M' : 'L'}${fmt(f.sx(b.meanProb))},${fmt(f.sy(b.fracPositive))}`).join(' ');
    body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const b of bins) {
      const r = Math.min(8, 2 + Math.log10(1 + b.count));
      body.push(`<circle cx="${fmt(f.sx(b.meanProb))}" cy="${fmt(f.sy(b.fracPositive))}" r="${fmt(r)}" fill="${color}"><title>${escapeXml(`${s.name}: ${b.count} items, p̄=${fmt(b.meanProb)}, observed ${fmt(b.fracPositive)}`)}</title></circle>`);
    }
  });
  body.push(...legend(f, [...series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]! })), { name: 'perfect calibration', color: '#999', dashed: true }]));
  return wrap(f, body);
}

export interface ScatterGroup { name: string; color: string; points: { x: number; y: number }[] }

export function scatterPlot(groups: ScatterGroup[], opts: ChartOptions): string {
  const pts = groups.flatMap((g) => g.points);
  const { f, xMin, xMax, yMin, yMax } = frame(opts, pts.map((p) => p.x), pts.map((p) => p.y), 1);
  const body = axes(f, opts, [xMin, xMax], [yMin, yMax]);
  for (const g of groups) {
    for (const p of g.points) body.push(`<circle cx="${fmt(f.sx(p.x))}" cy="${fmt(f.sy(p.y))}" r="3" fill="${g.color}" fill-opacity="0.7"/>`);
  }
  body.push(...legend(f, groups.map((g) => ({ name: `${g.name} (${g.points.length})`, color: g.color, dot: true }))));
  return wrap(f, body);
}
