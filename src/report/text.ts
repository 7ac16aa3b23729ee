/** Small text helpers the renderers share (pure, locale-independent: the report is deterministic). */
import { describeVocabulary } from '../packs/vocabulary-map.js';
import type { IntegritySection, ReportModel, RuleSection, SchemaSection, Scope } from './model.js';

export function int(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${int(n)} ${n === 1 ? one : many}`;
}

export function timeRange(first: string | null, last: string | null): string {
  if (first === null || last === null) return 'no event has a time';
  return `${first} – ${last}`;
}

export function windowText(w: { since: string | null; until: string | null }): string {
  return w.since || w.until ? `[${w.since ?? 'start'}, ${w.until ?? 'end'})` : 'the whole log';
}

export function integrityLine(i: IntegritySection): string {
  if (!i.checked) return `not checked: ${i.reason}`;
  if (i.ok) return `verified: ${plural(i.events, 'event')}, chain head ${i.head ?? '(empty store)'}`;
  return `FAILED: ${plural(i.problems.length, 'problem')} in ${plural(i.events, 'event')}`;
}

/** A rule's pack, and for a rule from outside the built-in packs its file and hash. */
export function packText(r: RuleSection): string {
  return r.origin ? `${r.pack} (outside the built-in packs: ${r.origin.file}, sha256 ${r.origin.sha256})` : r.pack;
}

/** One sentence: what the audit found. */
export function verdict(m: ReportModel): string {
  const a = m.audit;
  const failing = a.rules.filter((r) => r.failing).length;
  const found = a.rules.filter((r) => r.violations > 0).length;
  const parts = [`${plural(a.violations, 'violation')} in ${plural(found, 'rule')} of ${int(a.ran)} that ran`];
  if (a.skipped) parts.push(`${int(a.skipped)} skipped`);
  parts.push(failing ? `${plural(failing, 'rule')} at or above ${a.failOn}` : `nothing at or above ${a.failOn}`);
  return parts.join('; ');
}

/** The time range in a few characters: one day's date once, then the two times of day. */
export function shortRange(first: string | null, last: string | null): string {
  if (first === null || last === null) return 'no event has a time';
  const clock = (t: string) => t.slice(11, 19);
  return first.slice(0, 10) === last.slice(0, 10) ? `${first.slice(0, 10)} ${clock(first)} – ${clock(last)}` : `${first.slice(0, 10)} ${clock(first)} – ${last.slice(0, 10)} ${clock(last)}`;
}

export function schemaLine(s: SchemaSection): string {
  if (!s.checked) return 'The schema check (schema-violation) did not run.';
  const n = s.violations ?? 0;
  return n === 0 ? 'Every event matches its schema.' : `${plural(n, 'event')} ${n === 1 ? 'breaks its' : 'break their'} schema.`;
}

/**
 * The scope's lens rows (the same words in every format): which tenant was reported, and the
 * vocabulary mapping read through. None without --tenant or a mapping.
 */
export function lensRows(s: Scope): [string, string][] {
  const rows: [string, string][] = [];
  if (s.tenant !== undefined) rows.push(['tenant', `${s.tenant}: the audit, schemas, chart and traces cover only its events (${plural(s.auditedEvents, 'event')} audited); the totals, sources and integrity check, the whole store`]);
  if (s.vocabulary) rows.push(['vocabulary', `read through the store's mapping: ${describeVocabulary(s.vocabulary).join(', ')}`]);
  return rows;
}
