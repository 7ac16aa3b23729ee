/**
 * `evtrail schema infer [--out DIR] [--force]`: a JSON Schema per (type, schema_version) from
 * the stored events (src/schema/infer.ts), written as a registry (<Type>.v<N>.json, read back
 * by `schema check --registry` and `schema compat --registry`). Existing files are not
 * overwritten unless --force; nothing is written when any would be refused. `runInfer` returns
 * the schemas; ./render.ts prints them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { buildSchema, firstKeysSql, groupSql, inferSql, type FieldStats, type GroupStats } from './infer.js';
import { registryFileName } from './registry.js';

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

export interface InferOptions {
  db: string;
  /** Write the schemas there as a registry. */
  out?: string;
  /** Overwrite files that exist in `out`. */
  force?: boolean;
}

export interface InferResult {
  out?: string;
  /** Each schema with the file it was written to (null without `out`). */
  schemas: (InferredSchema & { file: string | null })[];
}

/** Infers every (type, version)'s schema and writes them to `out` when given. */
export async function runInfer(options: InferOptions): Promise<InferResult> {
  const store = await Store.open(options.db, { readOnly: true });
  let inferred: InferredSchema[];
  try {
    inferred = await inferSchemas(store);
  } finally {
    store.close();
  }
  if (inferred.length === 0) throw new UserError(`the store ${options.db} has no events`, 'ingest something first (evtrail ingest <file>)');
  const files = options.out === undefined ? [] : writeRegistry(options.out, inferred, options.force ?? false);
  return { ...(options.out === undefined ? {} : { out: options.out }), schemas: inferred.map((s, i) => ({ ...s, file: files[i] ?? null })) };
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
