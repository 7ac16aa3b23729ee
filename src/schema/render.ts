/**
 * How the schema commands' answers are shown, and only that, from the data ./run-check.ts,
 * ./run-infer.ts, ./run-compat.ts, ./against-log.ts, ./timeline.ts and ./upcast.ts return: --json one document, a terminal
 * ink tables, a pipe plain text tables (no --csv: the answers are several tables). In a pipe the
 * tables are printed whole, not fitted: the reasons and messages are the point.
 */
import { printJson } from '../output/json.js';
import { plainTable, printTables, type TableData } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import { ENUM_MAX_VALUES, ENUM_MIN_EVENTS_PER_VALUE } from './infer.js';
import type { CheckResult } from './run-check.js';
import type { InferResult } from './run-infer.js';
import { FORMAT_NAMES, type ChangeRow, type CompatAnswer, type PairCompat, type RegistryCompat } from './run-compat.js';
import type { AgainstLogResult } from './against-log.js';
import type { TimelineResult } from './timeline.js';
import type { UpcastResult } from './upcast.js';

/** Tables in a terminal (fitted), or whole as plain text in a pipe. */
async function show(mode: Exclude<OutputMode, 'json'>, tables: TableData[]): Promise<void> {
  if (mode === 'tty') return printTables(mode, tables);
  process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
}

export async function renderCheck(mode: OutputMode, c: CheckResult): Promise<void> {
  const v = c.validation;
  const listed = new Set(v.violations.map((x) => x.seq)).size;
  if (mode === 'json') {
    printJson({
      ok: c.ok,
      registry: c.registry,
      events: c.events,
      checked: c.checked,
      violatingEvents: v.violatingEvents,
      errors: v.errors,
      suspects: v.suspects,
      types: v.targets.map((t) => ({ type: t.type, version: t.version, schema: t.schema, events: t.events, violating: t.violating, prefilter: t.prefilter })),
      unchecked: c.unchecked,
      violations: v.violations,
      listed,
    });
    return;
  }
  const tables: TableData[] = [
    {
      title: `schema check against ${c.registry}: ${c.checked} of ${c.events} events checked, ${c.ok ? 'no violations' : `${v.violatingEvents} event(s) break their schema (${v.errors} error(s))`}`,
      columns: ['type', 'version', 'events', 'violating', 'schema'],
      rows: v.targets.map((t) => [t.type, `v${t.version}`, t.events, t.violating, t.schema]),
    },
  ];
  if (c.unchecked.length) {
    tables.push({
      title: 'not checked (no schema for the type and version; not a failure)',
      columns: ['type', 'version', 'events'],
      rows: c.unchecked.map((u) => [u.type, `v${u.version}`, u.events]),
    });
  }
  if (!c.ok) {
    tables.push({
      title: 'violations',
      columns: ['seq', 'event id', 'type', 'version', 'path', 'message'],
      rows: v.violations.map((x) => [x.seq, x.eventId, x.type, `v${x.version}`, x.path || '(data)', x.message]),
      note: listed < v.violatingEvents ? `… ${v.violatingEvents - listed} more event(s) with violations (--limit 0 lists all)` : undefined,
    });
  }
  await show(mode, tables);
}

export async function renderInfer(mode: OutputMode, r: InferResult): Promise<void> {
  if (mode === 'json') {
    const enumThreshold = { maxValues: ENUM_MAX_VALUES, minEventsPerValue: ENUM_MIN_EVENTS_PER_VALUE };
    printJson({ out: r.out ?? null, enumThreshold, schemas: r.schemas.map((s) => ({ type: s.type, version: s.version, events: s.events, file: s.file, schema: s.schema })) });
    return;
  }
  const written = r.out !== undefined;
  const table: TableData = {
    title: written ? `wrote ${r.schemas.length} schema(s) to ${r.out}` : 'inferred schemas (--out DIR writes them as a registry; --json prints them)',
    columns: ['type', 'version', 'events', 'required', 'optional', 'enums', 'date-times', ...(written ? ['file'] : [])],
    rows: r.schemas.map((s) => {
      const props = s.schema.properties as Record<string, Record<string, unknown>>;
      const required = s.schema.required as string[];
      const names = Object.keys(props);
      return [
        s.type,
        `v${s.version}`,
        s.events,
        required.join(' '),
        names.filter((n) => !required.includes(n)).join(' '),
        names.filter((n) => props[n]!.enum !== undefined).join(' '),
        names.filter((n) => props[n]!.format === 'date-time').join(' '),
        ...(written ? [s.file] : []),
      ];
    }),
    note: `enum: a string field with at most ${ENUM_MAX_VALUES} distinct values, each seen in ${ENUM_MIN_EVENTS_PER_VALUE}+ events on average; required: present in every event`,
  };
  await show(mode, [table]);
}

const changeRows = (changes: ChangeRow[]) => changes.map((c) => [c.breaking ? 'BREAKING' : 'ok', c.direction, c.type, c.path, c.reason]);
const breakingCount = (changes: ChangeRow[]) => changes.filter((c) => c.breaking).length;

export async function renderCompat(mode: OutputMode, answer: CompatAnswer): Promise<void> {
  return answer.kind === 'pair' ? renderPair(mode, answer) : renderRegistry(mode, answer);
}

async function renderPair(mode: OutputMode, r: PairCompat): Promise<void> {
  if (mode === 'json') {
    printJson({
      compatible: r.compatible, mode: r.mode, format: r.format, ...(r.rules ? { rules: r.rules } : {}), old: r.old, new: r.new, changes: r.changes,
      ...(r.witnesses ? { witnesses: r.witnesses } : {}),
    });
    return;
  }
  const label = r.format === 'json' ? '' : `${FORMAT_NAMES[r.format]}, `;
  const tables: TableData[] = [{
    title: `${r.new} against ${r.old} (${label}${r.mode}): ${r.compatible ? 'compatible' : `INCOMPATIBLE, ${breakingCount(r.changes)} breaking change(s)`}`,
    columns: ['verdict', 'reading', 'change', 'path', 'why'],
    rows: changeRows(r.changes),
    note: r.changes.length === 0 ? 'no differences' : undefined,
  }];
  if (r.witnesses && r.witnesses.length > 0) {
    tables.push({
      title: 'witnesses: a value one schema writes and the other cannot read',
      columns: ['reading', 'value written', 'read error'],
      rows: r.witnesses.map((w) => [w.direction, w.value, w.error]),
    });
  }
  await show(mode, tables);
}

async function renderRegistry(mode: OutputMode, r: RegistryCompat): Promise<void> {
  if (mode === 'json') {
    printJson({ compatible: r.compatible, mode: r.mode, registry: r.registry, types: r.types, changes: r.changes });
    return;
  }
  await show(mode, [
    {
      title: `registry ${r.registry} (${r.mode}): ${r.compatible ? 'compatible' : `INCOMPATIBLE, ${breakingCount(r.changes)} breaking change(s)`}`,
      columns: ['type', 'versions', 'verdict'],
      rows: r.types.map((t) => [t.type, t.versions.map((v) => `v${v}`).join(' '), t.compatible ? 'compatible' : 'INCOMPATIBLE']),
    },
    {
      title: 'changes',
      columns: ['type', 'version', 'against', 'verdict', 'reading', 'change', 'path', 'why'],
      rows: r.changes.map((c) => [c.subject, `v${c.version}`, `v${c.against}`, c.breaking ? 'BREAKING' : 'ok', c.direction, c.type, c.path, c.reason]),
      note: r.changes.length === 0 ? 'no differences' : undefined,
    },
  ]);
}

export async function renderAgainstLog(mode: OutputMode, r: AgainstLogResult): Promise<void> {
  const v = r.validation;
  if (mode === 'json') {
    // `compatible` and `changes` as every compat answer has them (docs/architecture.md §3); no schema pair, so no changes.
    printJson({ compatible: r.compatible, schema: r.schema, type: r.type, version: r.version, checked: r.checked, rejectedEvents: v.violatingEvents, errors: v.errors, versions: r.versions, changes: [], rejected: v.violations });
    return;
  }
  const tables: TableData[] = [
    {
      title: `${r.schema} against the stored ${r.type} events${r.version === null ? '' : ` v${r.version}`}: ${r.checked === 0 ? 'no such events' : r.compatible ? `accepts all ${r.checked}` : `REJECTS ${v.violatingEvents} of ${r.checked}`}`,
      columns: ['version', 'events', 'rejected'],
      rows: r.versions.map((x) => [`v${x.version}`, x.events, x.rejected]),
    },
  ];
  if (!r.compatible) {
    const listed = new Set(v.violations.map((x) => x.seq)).size;
    tables.push({
      title: 'events it would reject',
      columns: ['seq', 'event id', 'version', 'path', 'message'],
      rows: v.violations.map((x) => [x.seq, x.eventId, `v${x.version}`, x.path || '(data)', x.message]),
      note: listed < v.violatingEvents ? `… ${v.violatingEvents - listed} more (--limit 0 lists all)` : undefined,
    });
  }
  await show(mode, tables);
}

export async function renderTimeline(mode: OutputMode, t: TimelineResult): Promise<void> {
  const { registry, hasRegistry, versions, lagging, noSchema } = t;
  if (mode === 'json') {
    printJson({ registry, types: t.types, lagging, noSchema });
    return;
  }
  const tables: TableData[] = [
    {
      title: `schema versions per type (registry: ${registry ?? 'none: --registry DIR names one'})`,
      columns: ['type', 'version', 'events', 'first', 'last', 'producers', 'schema'],
      rows: versions.map((v) => [v.type, `v${v.version}`, v.events, v.first, v.last, v.producers, v.schema ?? (hasRegistry ? 'NONE' : '')]),
    },
    {
      title: 'producers still emitting an old version after a newer one appeared',
      columns: ['type', 'old', 'producer', 'newer', 'newer first seen', 'events after', 'last old event'],
      rows: lagging.map((l) => [l.type, `v${l.version}`, `${l.producer}${l.producerFrom === 'source' ? '' : ' (stream category)'}`, `v${l.newerVersion}`, l.newerFirstSeen, l.eventsAfter, l.lastOld]),
      note: lagging.length === 0 ? 'none' : undefined,
    },
  ];
  if (hasRegistry) tables.push({ title: 'versions with no schema', columns: ['type', 'version', 'events'], rows: noSchema.map((n) => [n.type, `v${n.version}`, n.events]), note: noSchema.length === 0 ? 'none' : undefined });
  await show(mode, tables);
}

export async function renderUpcast(mode: OutputMode, u: UpcastResult): Promise<void> {
  const { ok, types: rows, problemEvents, problems } = u;
  if (mode === 'json') {
    printJson({ ok, upcasters: u.upcasters, registry: u.registry, types: rows, problemEvents, problems });
    return;
  }
  const tables: TableData[] = [
    {
      title: `upcast dry run (${u.upcasters}): ${ok ? 'every event upcasts and passes the newest schema' : `${problemEvents} event(s) throw or still fail`}`,
      columns: ['type', 'from', 'to', 'events', 'upcast ok', 'threw', 'still invalid', 'newest schema'],
      rows: rows.map((r) => [r.type, `v${r.from}`, `v${r.to}`, r.events, r.upcast, r.threw, r.invalid, r.schema ?? 'none (results not validated)']),
      note: rows.length === 0 ? 'no stored event is older than the newest version of its type' : undefined,
    },
  ];
  if (!ok) {
    tables.push({ title: 'problems', columns: ['seq', 'event id', 'type', 'version', 'kind', 'at', 'message'], rows: problems.map((p) => [p.seq, p.eventId, p.type, `v${p.version}`, p.kind, p.at || '(data)', p.message]) });
  }
  await show(mode, tables);
}
