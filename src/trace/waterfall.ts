/**
 * A trace as a waterfall: time across, one row per event in time order. Each row's bar runs
 * from its cause's time to its own (the gap the hop took), with a dot at the event; a root has
 * the dot only. The critical path's bars are blue and its labels bold, the rest grey; an
 * effect earlier than its cause (clock skew) is a red bar running backwards; an event with
 * an anomaly or an audit finding has a red dot and the finding written after its bar.
 *
 * Two pure steps: traceWaterfall (report → plain data, JSON-safe: the HTML report keeps it in
 * its model) and waterfallSvg (data → SVG text, no browser library, no script, inline styles so
 * the file stands alone).
 *
 * The time axis. A trace can hold hops of nanoseconds and pauses of hours (an order resting
 * on the book, a settlement next morning). A log scale would show both, but it shrinks every
 * later hop (the same 1 ms is wide at the start, invisible after a minute), and a waterfall is
 * read for where the time went. So the axis is linear, with breaks: a pause far longer than
 * all the shorter pauses together (timeSegments) is cut out and drawn as a narrow band
 * labelled with its length ("≈ 2h 10m"), and the remaining stretches share the width linearly.
 * Inside a stretch bars stay comparable; across a break the band says what was left out.
 */
import { formatDuration } from '../core/time.js';
import { styled } from './render-graph.js';
import type { TraceReport } from './view.js';

export interface WaterfallRow {
  id: string;
  type: string;
  source: string | null;
  seq: number;
  /** ns after the first event's time (null: no time). */
  atNs: number | null;
  /** The cause the bar starts at: the one on the critical path, else the latest. */
  causeId: string | null;
  causeType: string | null;
  causeAtNs: number | null;
  critical: boolean;
  failure: boolean;
  compensation: boolean;
  /** What is wrong with the event: "⚠ anomaly", "✖ rule (severity): message". */
  notes: string[];
}

export interface Waterfall {
  /** What was traced (the id as given). */
  title: string;
  /** The first event's time (ISO UTC, nine digits); offsets count from it. */
  startTs: string | null;
  spanNs: number;
  /** Events in the trace (rows may hold fewer: see maxRows). */
  events: number;
  rows: WaterfallRow[];
  /** "OrderPlaced → SettlementCompleted, 12 hops, 3.666 s" (null: no hop). */
  criticalPath: string | null;
}

/** Rows drawn at most: a trace of 20 000 events would be an SVG 400 000 px tall. */
export const MAX_WATERFALL_ROWS = 2000;

export function traceWaterfall(report: TraceReport, maxRows = MAX_WATERFALL_ROWS): Waterfall {
  const { graph } = report;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const timed = graph.nodes.filter((n) => n.tsNs !== null);
  const t0 = timed.length ? timed.reduce((min, n) => (n.tsNs! < min ? n.tsNs! : min), timed[0]!.tsNs!) : null;
  const t1 = timed.length ? timed.reduce((max, n) => (n.tsNs! > max ? n.tsNs! : max), timed[0]!.tsNs!) : null;
  const offset = (ns: bigint | null) => (ns === null || t0 === null ? null : Number(ns - t0));
  const critical = new Set(graph.criticalPath?.eventIds ?? []);
  const criticalCause = new Map((graph.criticalPath?.hops ?? []).map((h) => [h.to, h.from]));
  const notes = new Map(styled(report).map((s) => [s.node.id, s]));
  const ordered = [...graph.nodes].sort((a, b) => {
    if (a.tsNs === null || b.tsNs === null) return a.tsNs === b.tsNs ? a.seq - b.seq : a.tsNs === null ? 1 : -1;
    return a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : a.seq - b.seq;
  });
  const rows = ordered.slice(0, maxRows).map((node): WaterfallRow => {
    const parents = graph.parents.get(node.id) ?? [];
    let causeId = criticalCause.get(node.id) ?? null;
    if (causeId === null) {
      for (const p of parents) {
        const cur = causeId === null ? null : byId.get(causeId)!;
        const cand = byId.get(p)!;
        if (cur === null || (cand.tsNs ?? -1n) > (cur.tsNs ?? -1n)) causeId = p;
      }
    }
    const cause = causeId === null ? null : byId.get(causeId)!;
    const s = notes.get(node.id)!;
    return {
      id: node.id,
      type: node.type,
      source: node.source,
      seq: node.seq,
      atNs: offset(node.tsNs),
      causeId,
      causeType: cause?.type ?? null,
      causeAtNs: cause ? offset(cause.tsNs) : null,
      critical: critical.has(node.id),
      failure: s.failure,
      compensation: s.compensation,
      notes: s.findings,
    };
  });
  const cp = graph.criticalPath;
  let criticalPath: string | null = null;
  if (cp && cp.hops.length > 0) {
    const first = byId.get(cp.eventIds[0]!)!;
    const last = byId.get(cp.eventIds[cp.eventIds.length - 1]!)!;
    criticalPath = `${first.type} → ${last.type}, ${cp.hops.length} hop${cp.hops.length === 1 ? '' : 's'}, ${formatDuration(cp.totalNs)}`;
  }
  const startTs = t0 === null ? null : (ordered[0]!.ts ?? null);
  return { title: report.resolution.input, startTs, spanNs: t0 === null ? 0 : Number(t1! - t0), events: graph.nodes.length, rows, criticalPath };
}

// ---------------------------------------------------------------------------------------------
// The time axis

export interface Segment {
  /** ns offsets of the stretch's first and last instant. */
  start: number;
  end: number;
  /** Distinct times in it. */
  instants: number;
}

/**
 * A pause is cut out when it is more than this many times all the pauses kept: left in, it
 * would squeeze the rest of the trace into a fiftieth of the width (about 15 px).
 */
const BREAK_RATIO = 50;

/**
 * The stretches of time drawn, the pauses between them cut out (see the module comment). Pauses
 * are the gaps between consecutive distinct times. The longest k pauses are cut, for the
 * smallest k where the shortest of them is more than BREAK_RATIO × all the pauses kept together
 * (the pauses that would squeeze the rest of the trace into a sliver). A trace whose pauses grow
 * steadily (1 ms, 20 ms, 400 ms, 2 s) has no such k and keeps one linear axis; milliseconds of
 * work then hours of waiting have.
 */
export function timeSegments(offsets: readonly number[]): Segment[] {
  const times = [...new Set(offsets)].sort((a, b) => a - b);
  if (times.length === 0) return [];
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const sorted = [...gaps].sort((a, b) => b - a);
  let kept = sorted.reduce((a, b) => a + b, 0);
  let cut = Infinity;
  for (let k = 0; k < sorted.length - 1; k++) {
    kept -= sorted[k]!;
    if (sorted[k]! > BREAK_RATIO * kept) {
      cut = sorted[k]!;
      break;
    }
  }
  const out: Segment[] = [{ start: times[0]!, end: times[0]!, instants: 1 }];
  gaps.forEach((g, i) => {
    if (g >= cut) out.push({ start: times[i + 1]!, end: times[i + 1]!, instants: 1 });
    else {
      out[out.length - 1]!.end = times[i + 1]!;
      out[out.length - 1]!.instants++;
    }
  });
  return out;
}

/** A round step (1, 2, 5 × 10^k ns) giving about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

// ---------------------------------------------------------------------------------------------
// SVG

/** XML text: the five entities, and control characters (not allowed in XML 1.0) as U+FFFD. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** At most `max` characters, the middle cut out ("evt-4afc…3324"): ids differ at their ends. */
export function middleEllipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return '…';
  const tail = Math.floor((max - 1) / 2);
  return chars.slice(0, max - 1 - tail).join('') + '…' + chars.slice(chars.length - tail).join('');
}

/** At most `max` characters, the end cut off. */
function endEllipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

const COLOURS = {
  text: '#1d2330',
  muted: '#667085',
  grid: '#e4e7ec',
  band: '#f2f4f7',
  critical: '#2f5bd3',
  other: '#98a2b3',
  anomaly: '#dd3333',
  failure: '#fde2e1',
  compensation: '#e3f1fd',
};
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"`;
const MONO = `font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"`;

export interface SvgOptions {
  /** A file of its own (XML prolog, xmlns); else an element to put inside an HTML page. */
  standalone?: boolean;
  /** Width in px (the drawing scales in a page; this is its size as a file). */
  width?: number;
}

/** Average advance of a character at 11–12 px, to fit text in a column without measuring it. */
const CHAR_PX = 6.6;

export function waterfallSvg(w: Waterfall, options: SvgOptions = {}): string {
  const W = options.width ?? 1100;
  const labelW = 330;
  const right = 16;
  const pad = 10;
  const rowH = 22;
  const top = 84;
  const plotL = labelW + pad;
  const plotW = W - plotL - right - pad;
  const H = top + Math.max(1, w.rows.length) * rowH + 36;
  const breakW = 52;
  /** Width of a stretch that is a single instant (room for its tick's label). */
  const pointW = 56;

  const segments = timeSegments(w.rows.flatMap((r) => [r.atNs, r.causeAtNs]).filter((t): t is number => t !== null));
  // Each stretch gets width in proportion to the instants in it, and its own linear scale: a
  // burst of nanosecond hops after hours of quiet gets room to be seen (ticks say each scale).
  const points = segments.filter((seg) => seg.end === seg.start).length;
  const linearW = Math.max(0, plotW - (segments.length - 1) * breakW - (segments.length > 1 ? points * pointW : 0));
  const instants = segments.reduce((sum, seg) => sum + (seg.end > seg.start ? seg.instants : 0), 0);
  const segW = segments.map((seg) => (seg.end > seg.start ? (linearW * seg.instants) / instants : segments.length > 1 ? pointW : 0));
  const segX: number[] = [];
  {
    let x = plotL;
    segments.forEach((seg, i) => {
      segX.push(x);
      x += segW[i]! + breakW;
    });
  }
  const scaleOf = (i: number) => (segments[i]!.end > segments[i]!.start ? segW[i]! / (segments[i]!.end - segments[i]!.start) : 0);
  const xOf = (t: number): number => {
    let i = segments.length - 1;
    while (i > 0 && t < segments[i]!.start) i--;
    // A single instant sits in the middle of its room.
    if (segments[i]!.end === segments[i]!.start) return segX[i]! + segW[i]! / 2;
    return segX[i]! + (Math.min(t, segments[i]!.end) - segments[i]!.start) * scaleOf(i);
  };

  const out: string[] = [];
  const title = `Waterfall of ${w.title}: ${w.events} event${w.events === 1 ? '' : 's'}${w.spanNs > 0 ? ` over ${formatDuration(BigInt(w.spanNs))}` : ''}`;
  if (options.standalone) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg${options.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : ''} class="waterfall" role="img" aria-label="${xmlText(title)}" viewBox="0 0 ${W} ${H}" width="${options.standalone ? W : '100%'}"${options.standalone ? ` height="${H}"` : ''} preserveAspectRatio="xMinYMin meet" ${FONT} font-size="12">`,
  );
  out.push(`<title>${xmlText(title)}</title>`);
  if (options.standalone) out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);

  // Heading: what, when, the critical path and the legend.
  const start = w.startTs ? `${w.startTs.slice(0, 10)} ${w.startTs.slice(11, -1)} UTC` : 'no event has a time';
  out.push(`<text x="8" y="18" font-size="14" font-weight="600" fill="${COLOURS.text}">${xmlText(endEllipsis(title, Math.floor((W - 16) / 7.5)))}</text>`);
  out.push(`<text x="8" y="36" fill="${COLOURS.muted}">${xmlText(`starts ${start}; each bar runs from the event's cause to the event${segments.length > 1 ? '; ≈ bands: pauses left out (each stretch between them has its own scale)' : ''}`)}</text>`);
  if (w.criticalPath) {
    out.push(`<text x="8" y="54" fill="${COLOURS.critical}" font-weight="600" class="critical-legend">${xmlText(`━ critical path: ${w.criticalPath}`)}</text>`);
  }

  // Axis: per stretch, ticks from its start; breaks as bands across the rows.
  const axisY = top - 8;
  const rowsBottom = top + w.rows.length * rowH;
  segments.forEach((s, i) => {
    const x0 = segX[i]!;
    const len = s.end - s.start;
    const scale = scaleOf(i);
    const width = segW[i]!;
    if (i > 0) {
      // The break before this stretch.
      const bx = x0 - breakW;
      const prev = segments[i - 1]!;
      out.push(`<rect x="${bx.toFixed(1)}" y="${axisY - 12}" width="${breakW}" height="${rowsBottom - axisY + 12}" fill="${COLOURS.band}" class="break"><title>${xmlText(`${formatDuration(BigInt(s.start - prev.end))} without an event, left out`)}</title></rect>`);
      out.push(`<text x="${(bx + breakW / 2).toFixed(1)}" y="${rowsBottom + 14}" text-anchor="middle" font-size="10" fill="${COLOURS.muted}" class="break-label">${xmlText(`≈ ${formatDuration(BigInt(s.start - prev.end))}`)}</text>`);
    }
    // Ticks: about one per 110 px of the stretch; a stretch that is one instant gets one.
    const step = len > 0 ? niceStep(len, Math.max(1, Math.floor(width / 110))) : 0;
    const ticks = step > 0 ? Array.from({ length: Math.floor(len / step) + 1 }, (_, k) => k * step) : [0];
    for (const t of ticks) {
      const x = len > 0 ? x0 + t * scale : xOf(s.start);
      out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${axisY}" y2="${rowsBottom}" stroke="${COLOURS.grid}"/>`);
      // A stretch after a break starts at its time since the first event; its ticks count from there.
      const text = t === 0 ? (i === 0 ? '0' : `+${formatDuration(BigInt(s.start))}`) : `+${formatDuration(BigInt(Math.round(t)))}`;
      out.push(`<text x="${x.toFixed(1)}" y="${axisY - 3}" text-anchor="${ticks.length === 1 && i === segments.length - 1 && x > W - 80 ? 'end' : 'middle'}" font-size="10" fill="${COLOURS.muted}" class="tick">${xmlText(text)}</text>`);
    }
  });
  out.push(`<line x1="${plotL}" x2="${W - right}" y1="${axisY}" y2="${axisY}" stroke="${COLOURS.muted}"/>`);

  // Rows.
  const typeChars = 24;
  const idChars = Math.floor((labelW - 8 - typeChars * CHAR_PX - 8) / CHAR_PX);
  w.rows.forEach((r, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const anomaly = r.notes.length > 0;
    const tip = [
      `${r.type} ${r.id}`,
      r.source ? `from ${r.source}` : '',
      r.atNs === null ? 'no time' : `at +${formatDuration(BigInt(r.atNs))}`,
      r.causeId ? `cause ${r.causeType} ${r.causeId}${r.atNs !== null && r.causeAtNs !== null ? `, ${formatDuration(BigInt(r.atNs - r.causeAtNs))} after it` : ''}` : 'no cause in the trace',
      r.critical ? 'on the critical path' : '',
      ...r.notes,
    ].filter(Boolean);
    out.push(`<g class="event${r.critical ? ' critical' : ''}${anomaly ? ' anomaly' : ''}" data-id="${xmlText(r.id)}" data-seq="${r.seq}" data-ns="${r.atNs ?? ''}" data-critical="${r.critical}">`);
    out.push(`<title>${xmlText(tip.join('\n'))}</title>`);
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${W}" height="${rowH}" fill="#fafbfc"/>`);
    if (r.failure || r.compensation) out.push(`<rect x="4" y="${y + 2}" width="${labelW - 8}" height="${rowH - 4}" rx="3" fill="${r.failure ? COLOURS.failure : COLOURS.compensation}"/>`);
    out.push(`<text x="8" y="${mid + 4}" fill="${COLOURS.text}"${r.critical ? ' font-weight="600"' : ''}>${xmlText(middleEllipsis(r.type, typeChars))}</text>`);
    out.push(`<text x="${labelW - 8}" y="${mid + 4}" text-anchor="end" font-size="11" ${MONO} fill="${COLOURS.muted}">${xmlText(middleEllipsis(r.id, idChars))}</text>`);
    if (r.atNs === null) {
      out.push(`<text x="${plotL}" y="${mid + 4}" fill="${COLOURS.muted}" font-style="italic">no time</text>`);
      out.push('</g>');
      return;
    }
    const x = xOf(r.atNs);
    const colour = r.critical ? COLOURS.critical : COLOURS.other;
    let gapText = '';
    let barL = x;
    let barR = x;
    if (r.causeAtNs !== null) {
      const cx = xOf(r.causeAtNs);
      const gap = r.atNs - r.causeAtNs;
      gapText = `${gap >= 0 ? '+' : ''}${formatDuration(BigInt(gap))}`;
      barL = Math.min(cx, x);
      barR = Math.max(cx, x);
      const skew = gap < 0;
      const width = Math.max(2, barR - barL);
      out.push(`<rect class="bar${r.critical ? ' critical' : ''}${skew ? ' skew' : ''}" x="${barL.toFixed(2)}" y="${mid - 5}" width="${width.toFixed(2)}" height="10" rx="2" fill="${skew ? COLOURS.anomaly : colour}"${skew ? ' fill-opacity="0.55"' : ''}/>`);
    } else {
      // A root (or an event whose cause is missing): a dot, no bar.
      out.push(`<rect class="bar root${r.critical ? ' critical' : ''}" x="${(x - 1).toFixed(2)}" y="${mid - 5}" width="2" height="10" fill="${colour}"/>`);
    }
    out.push(`<circle cx="${x.toFixed(2)}" cy="${mid}" r="${anomaly ? 4.5 : 3.5}" fill="${anomaly ? COLOURS.anomaly : colour}" stroke="#ffffff" stroke-width="1"/>`);
    // The gap and the notes beside the bar: after it when there is room, else before it.
    const text = [gapText, ...r.notes.map((n) => endEllipsis(n, 90))].filter(Boolean).join('  ');
    if (text) {
      const roomRight = W - right - (barR + 8);
      const roomLeft = barL - 8 - plotL;
      const after = roomRight >= Math.min(text.length * CHAR_PX, 200) || roomRight >= roomLeft;
      const room = after ? roomRight : roomLeft;
      const fitted = endEllipsis(text, Math.max(4, Math.floor(room / CHAR_PX)));
      const tx = after ? barR + 8 : barL - 8;
      // The gap in the bar's colour, the notes red.
      const [gapPart, ...rest] = gapText ? [gapText, fitted.slice(gapText.length)] : ['', fitted];
      out.push(
        `<text x="${tx.toFixed(1)}" y="${mid + 4}" font-size="11"${after ? '' : ' text-anchor="end"'}>` +
          (gapPart ? `<tspan fill="${COLOURS.muted}"${r.critical ? ' font-weight="600"' : ''}>${xmlText(gapPart)}</tspan>` : '') +
          (rest.join('') ? `<tspan fill="${COLOURS.anomaly}">${xmlText(rest.join(''))}</tspan>` : '') +
          '</text>',
      );
    }
    out.push('</g>');
  });
  if (w.rows.length < w.events) {
    out.push(`<text x="8" y="${rowsBottom + 28}" fill="${COLOURS.muted}">${xmlText(`the first ${w.rows.length} of ${w.events} events by time (evtrail trace --json has them all)`)}</text>`);
  } else if (w.rows.length === 0) {
    out.push(`<text x="${W / 2}" y="${top + 14}" text-anchor="middle" fill="${COLOURS.muted}">no event</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The waterfall of a trace as an SVG file's text. */
export function traceSvg(report: TraceReport): string {
  return waterfallSvg(traceWaterfall(report), { standalone: true });
}
