/**
 * `evtrail schema check`: every stored event whose (type, version) has a schema in the
 * registry is validated (src/schema/validate.ts: DuckDB finds the suspects, Ajv judges them);
 * each violation with event id, seq, path and message. Events whose (type, version) has no
 * schema are counted and listed, not failures. Exit 1 when any event breaks its schema.
 */
import { CheckFailed, UserError } from '../core/errors.js';
import { wholeNumber } from '../core/flags.js';
import { printJson } from '../output/json.js';
import { plainTable, printTables, type TableData } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import { Store } from '../store/store.js';
import { loadRegistry, packRegistry, type RegistryEntry } from './registry.js';
import { validateEvents, type Target } from './validate.js';

export interface CheckFlags {
  db: string;
  registry?: string;
  limit: string;
  output: OutputMode;
}

export interface VersionCount {
  type: string;
  version: number;
  events: number;
}

/** Events per (type, schema_version): no data read. */
export async function versionCounts(store: Store): Promise<VersionCount[]> {
  const rows = await store.all(`SELECT type, schema_version, count(*) AS n FROM events GROUP BY ALL ORDER BY type, schema_version`);
  return rows.map((r) => ({ type: String(r.type), version: Number(r.schema_version), events: Number(r.n) }));
}

export interface ResolvedRegistry {
  /** The folder given, or null for the packs' schemas. */
  dir: string | null;
  packs: string[];
  registry: Map<string, RegistryEntry[]>;
}

/** --registry DIR, or else the schemas of the packs whose vocabulary the log speaks. */
export async function resolveRegistry(dir: string | undefined, counts: VersionCount[]): Promise<ResolvedRegistry> {
  if (dir !== undefined) return { dir, packs: [], registry: loadRegistry(dir) };
  const byType = new Map<string, number>();
  for (const c of counts) byType.set(c.type, (byType.get(c.type) ?? 0) + c.events);
  const { packs, registry } = await packRegistry(byType);
  return { dir: null, packs, registry };
}

export function parseLimit(text: string): number {
  return wholeNumber('--limit', text, { hint: 'e.g. --limit 100 (0 lists every violation)' });
}

export async function runCheckCommand(flags: CheckFlags): Promise<void> {
  const limit = parseLimit(flags.limit);
  const store = await Store.open(flags.db, { readOnly: true });
  try {
    const counts = await versionCounts(store);
    if (counts.length === 0) throw new UserError(`the store ${flags.db} has no events`, 'ingest something first (evtrail ingest <file>)');
    const reg = await resolveRegistry(flags.registry, counts);
    if (reg.dir === null && reg.registry.size === 0) {
      throw new UserError('no registry: the log speaks no pack\'s vocabulary, so there are no default schemas', 'pass --registry DIR (e.g. one written by evtrail schema infer --out DIR)');
    }
    const targets: Target[] = [];
    const unchecked: VersionCount[] = [];
    for (const c of counts) {
      const entry = reg.registry.get(c.type)?.find((e) => e.version === c.version);
      if (entry) targets.push({ type: c.type, version: c.version, file: entry.file, schema: entry.schema });
      else unchecked.push(c);
    }
    const result = await validateEvents(store, targets, { limit });
    const total = counts.reduce((a, c) => a + c.events, 0);
    const checked = result.targets.reduce((a, t) => a + t.events, 0);
    const ok = result.violatingEvents === 0;
    const registry = reg.dir ?? `packs: ${reg.packs.join(', ')}`;
    if (flags.output === 'json') {
      printJson({
        ok,
        registry,
        events: total,
        checked,
        violatingEvents: result.violatingEvents,
        errors: result.errors,
        suspects: result.suspects,
        types: result.targets.map((t) => ({ type: t.type, version: t.version, schema: t.schema, events: t.events, violating: t.violating, prefilter: t.prefilter })),
        unchecked: unchecked.map((u) => ({ ...u, reason: reg.registry.has(u.type) ? 'no schema for this version' : 'no schema for this type' })),
        violations: result.violations,
        listed: new Set(result.violations.map((v) => v.seq)).size,
      });
    } else {
      const tables: TableData[] = [
        {
          title: `schema check against ${registry}: ${checked} of ${total} events checked, ${ok ? 'no violations' : `${result.violatingEvents} event(s) break their schema (${result.errors} error(s))`}`,
          columns: ['type', 'version', 'events', 'violating', 'schema'],
          rows: result.targets.map((t) => [t.type, `v${t.version}`, t.events, t.violating, t.schema]),
        },
      ];
      if (unchecked.length) {
        tables.push({
          title: 'not checked (no schema for the type and version; not a failure)',
          columns: ['type', 'version', 'events'],
          rows: unchecked.map((u) => [u.type, `v${u.version}`, u.events]),
        });
      }
      if (!ok) {
        const listed = new Set(result.violations.map((v) => v.seq)).size;
        tables.push({
          title: 'violations',
          columns: ['seq', 'event id', 'type', 'version', 'path', 'message'],
          rows: result.violations.map((v) => [v.seq, v.eventId, v.type, `v${v.version}`, v.path || '(data)', v.message]),
          note: listed < result.violatingEvents ? `… ${result.violatingEvents - listed} more event(s) with violations (--limit 0 lists all)` : undefined,
        });
      }
      if (flags.output === 'tty') await printTables(flags.output, tables);
      else process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
    }
    if (!ok) throw new CheckFailed(`${result.violatingEvents} event(s) break their schema`);
  } finally {
    store.close();
  }
}
