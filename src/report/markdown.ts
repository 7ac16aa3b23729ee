/**
 * The Markdown report: the same sections as the HTML one, as GitHub-flavoured Markdown tables
 * and code blocks (no charts: a table of violations per rule says the same). Its seal is the
 * last line, an HTML comment. Pure.
 */
import type { ReportModel } from './model.js';
import type { SealFields } from './seal.js';
import { bytes, int, integrityLine, lensRows, packText, plural, schemaLine, timeRange, verdict, windowText } from './text.js';

/** Text safe in a Markdown paragraph or table cell: no markup, no HTML, one line. */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1');
}

function code(text: string): string {
  // An inline code span can hold no newline and needs a fence longer than its own backticks.
  const t = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  if (t === '') return '';
  const longest = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${longest ? ' ' : ''}${t}${longest ? ' ' : ''}${fence}`;
}

function block(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n$/, '')}\n${fence}`;
}

function table(header: string[], rows: string[][], right: number[] = []): string {
  const sep = header.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function renderMarkdown(m: ReportModel, seal: SealFields): string {
  const a = m.audit;
  const s = m.scope;
  const i = m.integrity;
  const out: string[] = [];
  out.push(`# ${mdText(m.title)}`, '');
  out.push(`Generated ${mdText(m.generatedAt)} by evtrail ${mdText(m.evtrailVersion)}.`, '');
  out.push(`**Audit:** ${mdText(verdict(m))}${a.failed ? ` — **fails** (--fail-on ${mdText(a.failOn)})` : ''}.  `);
  out.push(`**Integrity:** ${mdText(integrityLine(i))}.`, '');

  out.push('## Scope', '');
  out.push(
    table(
      ['what', 'value'],
      [
        ['store', code(s.store)],
        ['events', mdText(`${int(s.events)} in ${plural(s.streams, 'stream')}; ${int(s.redelivered)} redelivered, ${int(s.conflicts)} conflicting copies, ${int(s.rejects)} rejected lines`)],
        ['time range (UTC)', mdText(timeRange(s.firstTs, s.lastTs))],
        ['audit window', mdText(`${windowText(s.window)}: ${plural(s.auditedEvents, 'event')} audited`)],
        ...lensRows(s).map(([what, text]) => [what, mdText(text)]),
        ['evtrail', mdText(m.evtrailVersion)],
        ['rule catalog', `SHA-256 ${code(s.catalog.sha256)} (${mdText(`${plural(s.catalog.files, 'file')}, ${plural(s.catalog.rules, 'rule')}${s.catalog.userRules ? ', includes --rules' : ''}`)})`],
        ['rules', s.only ? mdText(`only ${s.only.join(', ')}`) : 'all of the catalog'],
        ['packs', mdText(s.packs.map((p) => `${p.id} ${p.active ? 'in force' : 'not in force'}${p.id === 'core' ? '' : ` (${(p.share * 100).toFixed(1)}% of events${p.forced ? ', --pack' : ''})`}`).join('; '))],
        ['fails on', mdText(s.failOn)],
      ],
    ),
    '',
  );
  out.push('### Sources', '');
  out.push(
    table(
      ['source', 'kind', 'format', 'events', 'rejects', 'size', 'SHA-256'],
      s.sources.map((x) => [code(x.uri), mdText(x.kind), mdText(`${x.format} / ${x.preset}`), int(x.events), int(x.rejects), mdText(bytes(x.bytes)), x.sha256 ? code(x.sha256) : '—']),
      [3, 4, 5],
    ),
    '',
  );
  if (s.parameters.length) {
    out.push('### Rule parameters', '');
    out.push(table(['rule', 'parameter', 'value', 'default'], s.parameters.map((p) => [mdText(p.rule), mdText(p.name), p.value === p.default ? mdText(p.value) : `**${mdText(p.value)}**`, mdText(p.default)])), '');
  }

  out.push('## Integrity', '', mdText(integrityLine(i)), '');
  if (i.checked && i.problems.length) {
    out.push(table(['kind', 'seq', 'event', 'source', 'what'], i.problems.map((p) => [mdText(p.kind), p.seq === undefined ? '' : String(p.seq), p.id ? code(p.id) : '', mdText(p.source ?? ''), mdText(p.message)]), [1]), '');
  }
  if (i.checked && i.sources.length) {
    out.push(table(['source', 'events', 'chain head'], i.sources.map((x) => [code(x.uri), int(x.events), x.head ? code(x.head) : '—']), [1]), '');
  }

  out.push('## Audit', '');
  out.push(`${mdText(verdict(m))}. Evidence: up to ${mdText(plural(a.samplesPerRule, 'violation'))} per rule.`, '');
  out.push(
    table(
      ['rule', 'severity', 'pack', 'result', 'violations', 'what it checks'],
      a.rules.map((r) => [
        mdText(r.id),
        mdText(r.severity),
        mdText(packText(r)),
        r.status === 'skipped' ? 'skipped' : r.violations === 0 ? 'pass' : r.failing ? '**FAIL**' : 'found',
        r.status === 'skipped' ? '—' : int(r.violations),
        mdText(r.title) + (r.reason ? ` (skipped: ${mdText(r.reason)})` : ''),
      ]),
      [4],
    ),
    '',
  );
  for (const r of a.rules.filter((x) => x.violations > 0)) {
    out.push(`### ${mdText(r.id)}: ${mdText(plural(r.violations, 'violation'))} (${mdText(r.severity)})`, '', mdText(r.title), '');
    out.push(table(['time (UTC)', 'event', 'stream', 'message'], r.samples.map((v) => [v.ts ? code(v.ts) : '', v.eventId ? code(v.eventId) : '—', v.stream ? code(v.stream) : '—', mdText(v.message)])), '');
    if (r.violations > r.samples.length) out.push(`… and ${int(r.violations - r.samples.length)} more (evtrail audit --details lists them all).`, '');
  }

  if (m.schema) {
    const sc = m.schema;
    out.push('## Schemas', '');
    out.push(mdText(`Event types and schema versions of the audited events (vocabulary: ${sc.packs.join(', ')}). ${schemaLine(sc)}`), '');
    out.push(table(['type', 'version', 'events', 'schema', 'violations'], sc.types.map((t) => [mdText(t.type), `v${t.version}`, int(t.events), t.registered ? 'registered' : 'none', t.violations === null ? '—' : int(t.violations)]), [1, 2, 4]), '');
  }

  if (m.traces.length) {
    out.push('## Traces', '');
    for (const t of m.traces) out.push(`### ${mdText(t.id)}`, '', mdText(`${plural(t.events, 'event')}, ${plural(t.anomalies, 'anomaly', 'anomalies')}, ${plural(t.findings, 'audit finding')}`), '', block(t.text, 'text'), '');
  }

  out.push('## Re-create this report', '', block(m.commands.join('\n'), 'sh'), '');
  out.push('This report carries its own SHA-256 (and, when signed, an Ed25519 signature) in its last line; `evtrail verify --report FILE` checks it. Two reports of the same store with the same flags differ only in their generation time.', '');
  const signed = seal.key !== undefined && seal.signature !== undefined ? ` key=${seal.key} signature=${seal.signature}` : '';
  out.push(`<!-- evtrail-report sha256=${seal.sha256}${signed} -->`);
  return out.join('\n') + '\n';
}
