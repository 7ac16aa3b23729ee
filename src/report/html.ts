/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, no script, no font, no
 * image, no link out), with a Content-Security-Policy that forbids the browser any request,
 * every value escaped, and a print style. Pure: model in, text out.
 */
import { bucketLabel, type ReportModel, type RuleSection } from './model.js';
import type { SealFields } from './seal.js';
import { eventsChart, violationsChart } from './svg.js';
import { waterfallSvg } from '../trace/waterfall.js';
import { bytes, int, integrityLine, lensRows, packText, plural, schemaLine, shortRange, timeRange, verdict, windowText } from './text.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}
const e = escapeHtml;

const CSS = `
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f6f7f9;--card:#fff;--accent:#2f5bd3;--err:#c0392b;--warn:#c98a06;--info:#2f7fd3;--ok:#1e8e4e}
*{box-sizing:border-box}
html{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0 auto;max-width:1200px;padding:28px 32px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
p{margin:6px 0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
pre{background:#f2f4f7;border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow-x:auto;margin:6px 0}
header.top{display:flex;justify-content:space-between;align-items:flex-start;gap:16px;margin-bottom:18px}
.sub{color:var(--muted)}
.badges{display:flex;gap:8px;flex-wrap:wrap;justify-content:flex-end}
.badge{display:inline-block;padding:3px 10px;border-radius:999px;font-weight:600;font-size:12px;white-space:nowrap;border:1px solid transparent}
.b-ok{background:#e7f6ec;color:var(--ok);border-color:#b7e4c7}
.b-fail{background:#fdecea;color:var(--err);border-color:#f5c2bd}
.b-warn{background:#fff6e0;color:#8a5d00;border-color:#f3dc9b}
.b-none{background:#eef0f3;color:var(--muted);border-color:var(--line)}
nav{margin:0 0 18px;color:var(--muted)}
nav a{color:var(--accent);text-decoration:none;margin-right:14px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:0 0 18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:650;margin-top:2px}
.card .v.small{font-size:13px;font-weight:500}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em;background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
td.wrap{word-break:break-word}
tr.fail td:first-child{border-left:3px solid var(--err)}
tr.warnrow td:first-child{border-left:3px solid var(--warn)}
.sev{font-weight:600}
.sev-error{color:var(--err);fill:var(--err)}
.sev-warning{color:var(--warn);fill:var(--warn)}
.sev-info{color:var(--info);fill:var(--info)}
.muted{color:var(--muted);fill:var(--muted)}
.chart{display:block;margin:4px 0 8px}
.chart .bar{fill:var(--accent)}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .tick{stroke:var(--muted)}
.chart .axis{font-size:11px;fill:var(--muted)}
.chart .label{font-size:12px;fill:var(--fg)}
.chart .count{font-size:12px;fill:var(--fg);font-variant-numeric:tabular-nums}
.chart .track{fill:#f0f2f5}
.waterfall{display:block;width:100%;height:auto;margin:4px 0 8px}
details.trace-text summary{cursor:pointer;color:var(--muted);font-size:12px}
.rule{border-top:1px solid var(--line);padding-top:10px;margin-top:12px}
.rule:first-of-type{border-top:0;margin-top:0}
h2.second{margin-top:18px}
h2 .muted{font-weight:400;font-size:13px}
table.samples{table-layout:fixed}
table.samples th:nth-child(1){width:235px}
table.samples th:nth-child(2){width:150px}
table.samples th:nth-child(3){width:175px}
table.samples td .mono{white-space:nowrap}
td.hash .mono,td.wrap .mono{word-break:break-all}
footer{color:var(--muted);font-size:12px;margin-top:24px}
@media print{
  html{background:#fff;font-size:11px}
  body{max-width:none;padding:0}
  nav{display:none}
  section,.card{border-color:#ccc;break-inside:avoid-page}
  section.long{break-inside:auto}
  tr,.rule{break-inside:avoid}
  pre{white-space:pre-wrap;word-break:break-all;background:#fff}
  .waterfall{break-inside:avoid}
  h2{break-after:avoid}
  .badge{border-color:#999}
  a{color:inherit;text-decoration:none}
}
`;

interface Column {
  label: string;
  num?: boolean;
  /** Class of the column's cells: 'hash' breaks long hex anywhere. */
  cls?: string;
}

function cellClass(c: Column | undefined): string {
  const cls = [c?.num ? 'num' : '', c?.cls ?? ''].filter(Boolean).join(' ');
  return cls ? ` class="${cls}"` : '';
}

function table(columns: Column[], rows: string[][], rowClass: (i: number) => string = () => '', tableClass = ''): string {
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ''}>${e(c.label)}</th>`).join('');
  const body = rows
    .map((r, i) => {
      const cls = rowClass(i);
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.map((cell, j) => `<td${cellClass(columns[j])}>${cell}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table${tableClass ? ` class="${tableClass}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function card(key: string, value: string, small = false): string {
  return `<div class="card"><div class="k">${e(key)}</div><div class="v${small ? ' small' : ''}">${e(value)}</div></div>`;
}

function ruleStatus(r: RuleSection): string {
  if (r.status === 'skipped') return '<span class="badge b-none">skipped</span>';
  if (r.violations === 0) return '<span class="badge b-ok">pass</span>';
  return r.failing ? '<span class="badge b-fail">fail</span>' : '<span class="badge b-warn">found</span>';
}

export function renderHtml(m: ReportModel, seal: SealFields): string {
  const a = m.audit;
  const s = m.scope;
  const integrity = m.integrity;
  const integrityBadge = !integrity.checked
    ? '<span class="badge b-none">integrity not checked</span>'
    : integrity.ok
      ? '<span class="badge b-ok">integrity verified</span>'
      : '<span class="badge b-fail">integrity FAILED</span>';
  const auditBadge = a.failed
    ? `<span class="badge b-fail">audit fails (${e(a.failOn)})</span>`
    : a.violations > 0
      ? '<span class="badge b-warn">audit: findings below --fail-on</span>'
      : '<span class="badge b-ok">audit: no violations</span>';
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en">');
  out.push('<head>');
  out.push('<meta charset="utf-8">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<meta name="generator" content="evtrail ${e(m.evtrailVersion)}">`);
  out.push(`<meta name="evtrail-report-sha256" content="${seal.sha256}">`);
  if (seal.key !== undefined && seal.signature !== undefined) {
    out.push(`<meta name="evtrail-report-key" content="${seal.key}">`);
    out.push(`<meta name="evtrail-report-signature" content="${seal.signature}">`);
  }
  out.push(`<title>${e(m.title)}</title>`);
  out.push(`<style>${CSS}</style>`);
  out.push('</head>');
  out.push('<body>');
  out.push(`<header class="top"><div><h1>${e(m.title)}</h1><p class="sub">Generated ${e(m.generatedAt)} by evtrail ${e(m.evtrailVersion)} · ${e(verdict(m))}</p></div><div class="badges">${auditBadge}${integrityBadge}</div></header>`);
  out.push('<nav><a href="#scope">Scope</a><a href="#integrity">Integrity</a><a href="#audit">Audit</a>' + (m.schema ? '<a href="#schema">Schemas</a>' : '') + (m.traces.length ? '<a href="#traces">Traces</a>' : '') + '<a href="#recreate">Re-create</a></nav>');

  out.push('<div class="cards">');
  out.push(card('Events', int(s.events)));
  out.push(card('Streams', int(s.streams)));
  out.push(card('Sources', int(s.sources.length)));
  out.push(card('Rules ran', `${int(a.ran)}${a.skipped ? ` (+${int(a.skipped)} skipped)` : ''}`));
  out.push(card('Violations', int(a.violations)));
  out.push(card('Time range (UTC)', shortRange(s.firstTs, s.lastTs), true));
  out.push('</div>');

  // Charts
  out.push(`<section id="charts"><h2>Events per minute <span class="muted">(${e(bucketLabel(m.charts.bucketSeconds))} bars)</span></h2>${eventsChart(m.charts, e)}`);
  out.push(`<h2 class="second">Violations per rule</h2>${violationsChart(a.rules, e)}</section>`);

  // Scope
  out.push('<section id="scope"><h2>Scope</h2>');
  out.push(
    table(
      [{ label: 'what' }, { label: 'value' }],
      [
        ['store', `<span class="mono">${e(s.store)}</span>`],
        ['events', `${e(int(s.events))} in ${e(plural(s.streams, 'stream'))}; ${e(int(s.redelivered))} redelivered, ${e(int(s.conflicts))} conflicting copies, ${e(int(s.rejects))} rejected lines`],
        ['time range', e(timeRange(s.firstTs, s.lastTs))],
        ['audit window', `${e(windowText(s.window))}: ${e(plural(s.auditedEvents, 'event'))} audited`],
        ...lensRows(s).map(([what, text]) => [what, e(text)]),
        ['evtrail', e(m.evtrailVersion)],
        ['rule catalog', `SHA-256 <span class="mono">${e(s.catalog.sha256)}</span> (${e(plural(s.catalog.files, 'file'))}: ${e(plural(s.catalog.rules, 'rule'))} and the views they read${s.catalog.userRules ? '; includes --rules' : ''})`],
        ['rules', s.only ? `only ${e(s.only.join(', '))}` : 'all of the catalog'],
        ['packs', e(s.packs.map((p) => `${p.id} ${p.active ? 'in force' : 'not in force'}${p.id === 'core' ? '' : ` (${(p.share * 100).toFixed(1)}% of events${p.forced ? ', --pack' : ''})`}`).join('; '))],
        ['fails on', e(s.failOn)],
      ],
    ),
  );
  out.push('<h3>Sources</h3>');
  out.push(
    table(
      [{ label: 'source', cls: 'wrap' }, { label: 'kind' }, { label: 'format' }, { label: 'events', num: true }, { label: 'rejects', num: true }, { label: 'size', num: true }, { label: 'SHA-256', cls: 'hash' }],
      s.sources.map((src) => [`<span class="mono">${e(src.uri)}</span>`, e(src.kind), e(`${src.format} / ${src.preset}`), e(int(src.events)), e(int(src.rejects)), e(bytes(src.bytes)), `<span class="mono">${e(src.sha256 ?? '—')}</span>`]),
    ),
  );
  if (s.parameters.length) {
    out.push('<h3>Rule parameters</h3>');
    out.push(
      table(
        [{ label: 'rule' }, { label: 'parameter' }, { label: 'value' }, { label: 'default' }],
        s.parameters.map((p) => [e(p.rule), e(p.name), p.value === p.default ? e(p.value) : `<strong>${e(p.value)}</strong>`, e(p.default)]),
      ),
    );
  }
  out.push('</section>');

  // Integrity
  out.push('<section id="integrity"><h2>Integrity</h2>');
  out.push(`<p>${integrityBadge} ${e(integrityLine(integrity))}</p>`);
  if (integrity.checked) {
    if (integrity.problems.length) {
      out.push(
        table(
          [{ label: 'kind' }, { label: 'seq', num: true }, { label: 'event' }, { label: 'source' }, { label: 'what' }],
          integrity.problems.map((p) => [e(p.kind), e(p.seq === undefined ? '' : String(p.seq)), `<span class="mono">${e(p.id ?? '')}</span>`, e(p.source ?? ''), e(p.message)]),
          () => 'fail',
        ),
      );
    }
    if (integrity.sources.length) {
      out.push(
        table(
          [{ label: 'source' }, { label: 'events', num: true }, { label: 'chain head', cls: 'hash' }],
          integrity.sources.map((src) => [`<span class="mono">${e(src.uri)}</span>`, e(int(src.events)), `<span class="mono">${e(src.head ?? '—')}</span>`]),
        ),
      );
    }
  }
  out.push('</section>');

  // Audit
  out.push('<section id="audit" class="long"><h2>Audit</h2>');
  out.push(`<p>${e(verdict(m))}. Evidence: up to ${e(plural(a.samplesPerRule, 'violation'))} per rule, in the audit's order (time, stream, event id).</p>`);
  out.push(
    table(
      [{ label: 'rule' }, { label: 'severity' }, { label: 'pack' }, { label: 'result' }, { label: 'violations', num: true }, { label: 'what it checks' }],
      a.rules.map((r) => [
        r.violations > 0 ? `<a href="#rule-${e(r.id)}">${e(r.id)}</a>` : e(r.id),
        `<span class="sev sev-${e(r.severity)}">${e(r.severity)}</span>`,
        e(packText(r)),
        ruleStatus(r),
        r.status === 'skipped' ? '<span class="muted">—</span>' : e(int(r.violations)),
        e(r.title) + (r.reason ? `<br><span class="muted">skipped: ${e(r.reason)}</span>` : ''),
      ]),
      (i) => {
        const r = a.rules[i]!;
        return r.failing ? 'fail' : r.violations > 0 ? 'warnrow' : '';
      },
    ),
  );
  for (const r of a.rules.filter((x) => x.violations > 0)) {
    out.push(`<div class="rule" id="rule-${e(r.id)}"><h3><span class="sev sev-${e(r.severity)}">${e(r.severity)}</span> ${e(r.id)}: ${e(plural(r.violations, 'violation'))}</h3><p class="muted">${e(r.title)}</p>`);
    out.push(
      table(
        [{ label: 'time (UTC)' }, { label: 'event' }, { label: 'stream' }, { label: 'message' }],
        r.samples.map((v) => [`<span class="mono">${e(v.ts ?? '')}</span>`, `<span class="mono">${e(v.eventId ?? '—')}</span>`, `<span class="mono">${e(v.stream ?? '—')}</span>`, e(v.message)]),
        () => '',
        'samples',
      ),
    );
    if (r.violations > r.samples.length) out.push(`<p class="muted">… and ${e(int(r.violations - r.samples.length))} more (evtrail audit --details lists them all)</p>`);
    out.push('</div>');
  }
  out.push('</section>');

  // Schemas
  if (m.schema) {
    const sc = m.schema;
    out.push('<section id="schema"><h2>Schemas</h2>');
    out.push(`<p>Event types and schema versions of the audited events (vocabulary: ${e(sc.packs.join(', '))}). ${e(schemaLine(sc))}</p>`);
    out.push(
      table(
        [{ label: 'type' }, { label: 'version', num: true }, { label: 'events', num: true }, { label: 'schema' }, { label: 'violations', num: true }],
        sc.types.map((t) => [e(t.type), e(`v${t.version}`), e(int(t.events)), t.registered ? 'registered' : '<span class="muted">none</span>', t.violations === null ? '<span class="muted">—</span>' : e(int(t.violations))]),
        (i) => ((sc.types[i]!.violations ?? 0) > 0 ? 'fail' : ''),
      ),
    );
    out.push('</section>');
  }

  // Traces
  if (m.traces.length) {
    out.push('<section id="traces" class="long"><h2>Traces</h2>');
    for (const t of m.traces) {
      // The waterfall where people look; the tree as text (every id, copyable) folded under it.
      out.push(`<h3>${e(t.id)}</h3><p class="muted">${e(plural(t.events, 'event'))}, ${e(plural(t.anomalies, 'anomaly', 'anomalies'))}, ${e(plural(t.findings, 'audit finding'))}</p>`);
      out.push(waterfallSvg(t.waterfall));
      out.push(`<details class="trace-text"><summary>the trace as text</summary><pre>${e(t.text)}</pre></details>`);
    }
    out.push('</section>');
  }

  // Re-create
  out.push('<section id="recreate"><h2>Re-create this report</h2>');
  out.push(`<pre>${e(m.commands.join('\n'))}</pre>`);
  out.push('</section>');
  out.push(
    `<footer>This report carries its own SHA-256 (and, when signed, an Ed25519 signature) in its &lt;meta name="evtrail-report-…"&gt; tags; <code>evtrail verify --report FILE</code> checks it. Two reports of the same store with the same flags differ only in their generation time.${seal.key ? ` Signed with key ${e(seal.key)}.` : ''}</footer>`,
  );
  out.push('</body>');
  out.push('</html>');
  return out.join('\n') + '\n';
}
