/**
 * `evtrail schema infer [--out DIR] [--force]`: a JSON Schema per (type, schema_version) from
 * the stored events (src/schema/infer.ts), written as a registry (<Type>.v<N>.json, read back
 * by `schema check --registry` and `schema compat --registry`). Existing files are not
 * overwritten unless --force; nothing is written when any would be refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { printJson } from '../output/json.js';
import { plainTable, printTables, type TableData } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import { Store } from '../store/store.js';
import { ENUM_MAX_VALUES, ENUM_MIN_EVENTS_PER_VALUE, buildSchema, firstKeysSql, groupSql, inferSql, type FieldStats, type GroupStats } from './infer.js';
import { registryFileName } from './registry.js';

export interface InferFlags {
  db: string;
  out?: string;
  force?: boolean;
  output: OutputMode;
}

export interface InferredSchema {
  type: string;
  version: number;
  events: number;
  schema: { [key: string]: unknown };
}

/** The schemas of every (type, version) in the store: two queries, one pass over data. */
export async function inferSchemas(store: Store): Promise<InferredSchema[]> {
  const rows = await store.all(groupSql());
  const firstKeys = new Map((await store.all(firstKeysSql(rows.map((r) => String(r.first_seq))))).map((r) => [String(r.seq), r.keys]));
  const groups: GroupStats[] = rows.map((r) => {
    const keys = firstKeys.get(String(r.first_seq));
    return { type: String(r.type), version: Number(r.schema_version), events: Number(r.events), objects: Number(r.objects), firstKeys: Array.isArray(keys) ? keys.map(String) : [] };
  });
  const fields = new Map<string, FieldStats[]>();
  for (const r of await store.all(inferSql())) {
    const key = `${String(r.type)}\u0000${Number(r.schema_version)}`;
    const list = fields.get(key) ?? fields.set(key, []).get(key)!;
    list.push({
      key: String(r.key),
      present: Number(r.present),
      kinds: Number(r.kinds),
      strings: Number(r.strings),
      topStrings: Array.isArray(r.top_strings) ? r.top_strings.map(String) : null,
      notDateTime: Number(r.not_date_time),
    });
  }
  return groups.map((g) => ({ type: g.type, version: g.version, events: g.events, schema: buildSchema(g, fields.get(`${g.type}\u0000${g.version}`) ?? []) }));
}

export async function runInferCommand(flags: InferFlags): Promise<void> {
  const store = await Store.open(flags.db, { readOnly: true });
  let inferred: InferredSchema[];
  try {
    inferred = await inferSchemas(store);
  } finally {
    store.close();
  }
  if (inferred.length === 0) throw new UserError(`the store ${flags.db} has no events`, 'ingest something first (evtrail ingest <file>)');
  const files = flags.out === undefined ? [] : writeRegistry(flags.out, inferred, flags.force ?? false);
  const threshold = { maxValues: ENUM_MAX_VALUES, minEventsPerValue: ENUM_MIN_EVENTS_PER_VALUE };
  if (flags.output === 'json') {
    printJson({ out: flags.out ?? null, enumThreshold: threshold, schemas: inferred.map((s, i) => ({ type: s.type, version: s.version, events: s.events, file: files[i] ?? null, schema: s.schema })) });
    return;
  }
  const table: TableData = {
    title: flags.out === undefined ? 'inferred schemas (--out DIR writes them as a registry; --json prints them)' : `wrote ${files.length} schema(s) to ${flags.out}`,
    columns: ['type', 'version', 'events', 'required', 'optional', 'enums', 'date-times', ...(flags.out === undefined ? [] : ['file'])],
    rows: inferred.map((s, i) => {
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
        ...(flags.out === undefined ? [] : [files[i]]),
      ];
    }),
    note: `enum: a string field with at most ${ENUM_MAX_VALUES} distinct values, each seen in ${ENUM_MIN_EVENTS_PER_VALUE}+ events on average; required: present in every event`,
  };
  if (flags.output === 'tty') await printTables(flags.output, [table]);
  else process.stdout.write(plainTable(table));
}

/** Writes one file per schema; refuses (before writing any) when one exists and not --force. */
function writeRegistry(dir: string, inferred: InferredSchema[], force: boolean): string[] {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UserError(`--out ${dir} is not a folder`, 'pass a folder for the registry');
  const files = inferred.map((s) => path.join(dir, registryFileName(s.type, s.version)));
  if (!force) {
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length) throw new UserError(`${existing[0]} exists${existing.length > 1 ? ` (and ${existing.length - 1} more)` : ''}; not overwritten`, 'pass --force to overwrite, or another --out');
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    for (const [i, s] of inferred.entries()) fs.writeFileSync(files[i]!, JSON.stringify(s.schema, null, 2) + '\n');
  } catch (error) {
    throw new UserError(`cannot write to ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'pass a folder you can write to');
  }
  return files;
}
