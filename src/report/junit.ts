/**
 * The JUnit XML report, for CI systems that show test results natively: one <testsuite>, one
 * <testcase> per rule — <failure> with the count and the sample violations when the rule's
 * findings fail the audit at its --fail-on (as `evtrail audit` exits), a passing case with the
 * findings in <system-out> when they are below it (warnings under the default --fail-on error
 * are not failures unless asked), <skipped> with the reason when it did not run. The scope and the seal are <property>
 * elements of the suite. No times: the report is deterministic but for its generation time. Pure.
 */
import type { ReportModel } from './model.js';
import type { SealFields } from './seal.js';
import { int, integrityLine, lensRows, plural, timeRange, windowText } from './text.js';

export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot hold at all are replaced, the markup ones escaped.
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}
const x = escapeXml;

export function renderJunit(m: ReportModel, seal: SealFields): string {
  const a = m.audit;
  const s = m.scope;
  const failures = a.rules.filter((r) => r.status === 'ran' && r.violations > 0 && r.failing).length;
  const out: string[] = [];
  const prop = (name: string, value: string) => out.push(`      <property name="${x(name)}" value="${x(value)}"/>`);
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  const counts = `tests="${a.rules.length}" failures="${failures}" errors="0" skipped="${a.skipped}"`;
  out.push(`<testsuites name="evtrail audit" ${counts}>`);
  // JUnit's timestamp is a local date-time to the second (no fraction, no zone, in the XSD the
  // CI servers validate with); the full instant is the evtrail.generatedAt property.
  out.push(`  <testsuite name="${x(`evtrail audit: ${s.store}`)}" ${counts} timestamp="${x(m.generatedAt.slice(0, 19))}" hostname="evtrail">`);
  out.push('    <properties>');
  // The seal first, written verbatim (hex and base64 need no escaping).
  out.push(`      <property name="evtrail.report.sha256" value="${seal.sha256}"/>`);
  if (seal.key !== undefined && seal.signature !== undefined) {
    out.push(`      <property name="evtrail.report.key" value="${seal.key}"/>`);
    out.push(`      <property name="evtrail.report.signature" value="${seal.signature}"/>`);
  }
  prop('evtrail.version', m.evtrailVersion);
  prop('evtrail.generatedAt', m.generatedAt);
  prop('evtrail.store', s.store);
  prop('evtrail.events', String(s.events));
  prop('evtrail.streams', String(s.streams));
  prop('evtrail.timeRange', timeRange(s.firstTs, s.lastTs));
  prop('evtrail.window', windowText(s.window));
  for (const [what, text] of lensRows(s)) prop(`evtrail.${what}`, text);
  prop('evtrail.catalog.sha256', s.catalog.sha256);
  prop('evtrail.failOn', s.failOn);
  prop('evtrail.integrity', integrityLine(m.integrity));
  s.sources.forEach((src, i) => {
    prop(`evtrail.source.${i + 1}.uri`, src.uri);
    prop(`evtrail.source.${i + 1}.sha256`, src.sha256 ?? '');
    prop(`evtrail.source.${i + 1}.events`, String(src.events));
  });
  for (const p of s.parameters) prop(`evtrail.param.${p.rule}.${p.name}`, p.value);
  out.push('    </properties>');
  for (const r of a.rules) {
    const open = `    <testcase classname="${x(`evtrail.audit.${r.pack}`)}" name="${x(r.id)}" assertions="${r.status === 'ran' ? 1 : 0}">`;
    if (r.status === 'skipped') {
      out.push(open, `      <skipped message="${x(r.reason ?? 'skipped')}"/>`, '    </testcase>');
    } else if (r.violations > 0) {
      const lines = [`${r.title}`, `${plural(r.violations, 'violation')} (${r.severity}${r.failing ? `, fails at --fail-on ${a.failOn}` : ''}); the first ${r.samples.length}:`];
      for (const v of r.samples) lines.push(`  ${v.ts ?? '-'}  ${v.eventId ?? '-'}  ${v.stream ?? '-'}  ${v.message}`);
      if (r.violations > r.samples.length) lines.push(`  … and ${int(r.violations - r.samples.length)} more (evtrail audit --details)`);
      if (r.failing) out.push(open, `      <failure message="${x(`${plural(r.violations, 'violation')}: ${r.title}`)}" type="${x(r.severity)}">${x(lines.join('\n'))}</failure>`, '    </testcase>');
      else out.push(open, `      <system-out>${x(`below --fail-on ${a.failOn}: not a failure\n${lines.join('\n')}`)}</system-out>`, '    </testcase>');
    } else {
      out.push(open.replace(/>$/, '/>'));
    }
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
