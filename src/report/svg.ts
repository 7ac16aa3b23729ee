/**
 * The HTML report's two charts as inline SVG (no script, no external file): events per
 * minute over the time range, and violations per rule. Pure string building; every text is
 * escaped by the caller's escape function.
 */
import { bucketLabel, type ChartSection, type RuleSection } from './model.js';
import { int } from './text.js';

export type Escape = (text: string) => string;

/** A round number ≥ max for the axis top (1, 2, 5 × 10^k). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function eventsChart(chart: ChartSection, esc: Escape): string {
  const W = 1100;
  const H = 240;
  const left = 56;
  const right = 12;
  const top = 14;
  const bottom = 34;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const n = chart.events.length;
  const label = `Events per minute (${bucketLabel(chart.bucketSeconds)} bars)`;
  // Each bar is a rate (events per minute), so bars of any width read on one scale.
  const rate = (events: number) => (events * 60) / chart.bucketSeconds;
  if (n === 0) {
    return `<svg class="chart" role="img" aria-label="${esc(label)}: no event has a time" viewBox="0 0 ${W} 60" width="100%"><text x="${W / 2}" y="34" text-anchor="middle" class="muted">no event has a time</text></svg>`;
  }
  const max = niceMax(Math.max(...chart.events.map((b) => rate(b.events))));
  const bw = plotW / n;
  const gap = bw > 4 ? Math.min(2, bw * 0.15) : 0;
  const out: string[] = [];
  out.push(`<svg class="chart" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet">`);
  out.push(`<title>${esc(label)}</title>`);
  // Grid lines and the y axis: 0, ½, max.
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="axis">${esc(int(max * f))}</text>`);
  }
  chart.events.forEach((b, i) => {
    if (b.events === 0) return;
    const h = (rate(b.events) / max) * plotH;
    const x = left + i * bw + gap / 2;
    out.push(`<rect x="${x.toFixed(2)}" y="${(top + plotH - h).toFixed(2)}" width="${Math.max(0.5, bw - gap).toFixed(2)}" height="${h.toFixed(2)}" class="bar"><title>${esc(`${b.start}: ${int(b.events)} events in ${bucketLabel(chart.bucketSeconds).replace('-', ' ')}s`)}</title></rect>`);
  });
  // x labels: at most 8, on bucket starts, as HH:MM (the date is in the caption when one day).
  const days = new Set(chart.events.map((b) => b.start.slice(0, 10)));
  const step = Math.max(1, Math.ceil(n / 8));
  for (let i = 0; i < n; i += step) {
    const b = chart.events[i]!;
    const x = left + i * bw + bw / 2;
    const clock = chart.bucketSeconds < 60 ? b.start.slice(11, 19) : b.start.slice(11, 16);
    const text = days.size > 1 ? `${b.start.slice(5, 10)} ${clock}` : clock;
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top + plotH}" y2="${top + plotH + 4}" class="tick"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" class="axis">${esc(text)}</text>`);
  }
  out.push(`<text x="${W - right}" y="${H - 2}" text-anchor="end" class="axis">UTC${days.size === 1 ? `, ${esc([...days][0]!)}` : ''}</text>`);
  out.push('</svg>');
  return out.join('');
}

export function violationsChart(rules: RuleSection[], esc: Escape): string {
  const ran = rules.filter((r) => r.status === 'ran');
  const W = 1100;
  const row = 24;
  const labelW = 230;
  const countW = 80;
  const top = 6;
  if (ran.length === 0) {
    return `<svg class="chart" role="img" aria-label="Violations per rule: no rule ran" viewBox="0 0 ${W} 60" width="100%"><text x="${W / 2}" y="34" text-anchor="middle" class="muted">no rule ran</text></svg>`;
  }
  const H = top * 2 + ran.length * row;
  const max = Math.max(1, ...ran.map((r) => r.violations));
  const plotW = W - labelW - countW;
  const out: string[] = [];
  out.push(`<svg class="chart" role="img" aria-label="Violations per rule" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet">`);
  out.push('<title>Violations per rule</title>');
  ran.forEach((r, i) => {
    const y = top + i * row;
    const w = r.violations === 0 ? 0 : Math.max(2, (r.violations / max) * plotW);
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" class="label">${esc(r.id)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 4}" width="${plotW}" height="${row - 8}" class="track"/>`);
    if (w > 0) out.push(`<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(2)}" height="${row - 8}" class="sev-${esc(r.severity)}"><title>${esc(`${r.id}: ${int(r.violations)} violations (${r.severity})`)}</title></rect>`);
    out.push(`<text x="${labelW + plotW + 8}" y="${y + 15}" class="count${r.violations ? '' : ' muted'}">${esc(int(r.violations))}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
