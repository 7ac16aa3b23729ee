import fs from 'node:fs';
import { z } from 'zod';
import { ENVELOPE_FIELDS, type EnvelopeField } from '../core/envelope.js';
import { compileUserSql, NONE, parseRecordPath, RecordAccess, SQL_PREFIX } from './mapping.js';
import { UserError } from '../core/errors.js';
import { checkTimeZone } from '../core/time-zone.js';
import { FORMATS, parseFormat } from './formats.js';
import { PRESETS, getPreset } from './presets/index.js';
import { vocabularyConfigSchema } from '../packs/vocabulary-map.js';

const CONFIG_FIELDS = ['preset', 'format', 'date', 'symbol', 'tz', 'map', 'each', 'skip', 'vocabulary'] as const;

/** evtrail.config.json: defaults for ingest, overridden by the command line. */
export const configSchema = z
  .object({
    preset: z.string().optional(),
    format: z.string().optional(),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    // LOBSTER: the ticker when file names lack it, and the exchange's time zone (--symbol, --tz).
    symbol: z.string().min(1).optional(),
    tz: z.string().min(1).optional(),
    // Partial: a config maps the fields it needs, not all of them. A field is a path, null
    // (absent: --map field=none) or {"sql": "…"} (computed: --map field=sql:…).
    map: z.partialRecord(z.enum(ENVELOPE_FIELDS), z.union([z.string().min(1), z.null(), z.object({ sql: z.string().min(1) }).strict()])).optional(),
    each: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    skip: z.string().min(1).optional(),
    // --- vocabulary (owner: stores; src/packs/vocabulary-map.ts) ---
    // The log's type and data field names → the packs' (issue 17 point 8); kept in the store.
    vocabulary: vocabularyConfigSchema.optional(),
  })
  .strict();

export type IngestConfig = z.infer<typeof configSchema>;

export const CONFIG_FILE = 'evtrail.config.json';

/** What each field must be, as said in errors. */
const EXPECTED: Record<string, string> = {
  preset: `a preset name (${PRESETS.map((p) => p.name).join(', ')})`,
  format: `a format name (${FORMATS.join(', ')})`,
  date: 'a date as YYYY-MM-DD',
  symbol: 'a ticker, e.g. "AMZN"',
  tz: 'an IANA time zone name, e.g. "America/New_York"',
  map: 'an object of envelope field → path, e.g. {"id": "event.uuid"}',
  each: 'a path to an array, or a list of them, e.g. "$.data.orders"',
  skip: 'a SQL condition over the record, e.g. "$.event = \'info\'"',
  vocabulary: 'an object {"types": {"order_placed": "OrderPlaced"}, "fields": {"Quantity": "qty"}, "auto": true}',
};

/** Reads a config file; an error names the file, the field and what was expected. */
export function loadConfig(file: string, explicit: boolean): IngestConfig {
  if (!fs.existsSync(file)) {
    if (explicit) throw new UserError(`no config file ${file}`, 'check the --config path');
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new UserError(`${file} is a folder, not a config file`, 'pass a JSON file with --config');
    if (code) throw new UserError(`cannot read ${file} (${code})`, 'check the file permissions');
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, `fix the file or remove it; fields: ${CONFIG_FIELDS.join(', ')}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw configError(file, parsed.error.issues[0]!, json);
  const config = parsed.data;
  // Names are checked here too, so the error says which file they came from.
  if (config.preset !== undefined) {
    try {
      getPreset(config.preset);
    } catch (error) {
      throw new UserError(`${file}: preset: ${(error as Error).message}`, (error as UserError).hint);
    }
  }
  if (config.format !== undefined) {
    try {
      parseFormat(config.format);
    } catch (error) {
      throw new UserError(`${file}: format: ${(error as Error).message}`, (error as UserError).hint);
    }
  }
  for (const [field, p] of Object.entries(config.map ?? {})) checkMapping(field, mappingText(p as ConfigMapping), `${file}: map.${field}`);
  for (const p of eachList(config.each)) checkPath(p, `${file}: each`);
  if (config.skip !== undefined) checkSql(config.skip, `${file}: skip`);
  if (config.tz !== undefined) checkTimeZone(config.tz, `${file}: tz`);
  return config;
}

function configError(file: string, issue: z.core.$ZodIssue, json: unknown): UserError {
  const where = issue.path.map(String).join('.');
  const fieldsHint = `fields: ${CONFIG_FIELDS.join(', ')}; map fields: ${ENVELOPE_FIELDS.join(', ')}`;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    const plural = issue.keys.length > 1 ? 's' : '';
    return where === 'map'
      ? new UserError(`${file}: map: unknown envelope field${plural} ${keys}`, `map fields: ${ENVELOPE_FIELDS.join(', ')}`)
      : new UserError(`${file}: unknown field${plural} ${keys}`, fieldsHint);
  }
  const got = describe(valueAt(json, issue.path));
  if (where === '') return new UserError(`${file}: expected a JSON object, got ${got}`, `e.g. {"preset": "canonical", "map": {"id": "event.uuid"}}`);
  const top = String(issue.path[0]);
  const expected = issue.path.length > 1 && top === 'map' ? 'a path ("event.uuid", "$[1][0]"), null (absent) or {"sql": "…"}' : (EXPECTED[top] ?? issue.message);
  return new UserError(`${file}: ${where}: expected ${expected}, got ${got}`, fieldsHint);
}

function valueAt(json: unknown, keys: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of keys) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 39) + '…' : value);
  return String(value);
}

type ConfigMapping = string | null | { sql: string };

/** A config file's field mapping in --map's spelling: a path, `none`, or `sql:EXPR`. */
export function mappingText(m: ConfigMapping): string {
  if (m === null) return NONE;
  if (typeof m === 'object') return SQL_PREFIX + m.sql;
  return m;
}

/** The config's map in --map's spelling. */
export function configMap(config: IngestConfig): Partial<Record<EnvelopeField, string>> {
  return Object.fromEntries(Object.entries(config.map ?? {}).map(([f, m]) => [f, mappingText(m as ConfigMapping)]));
}

/** The config's each as a list. */
export function eachList(each: string | readonly string[] | undefined): string[] {
  return each === undefined ? [] : typeof each === 'string' ? [each] : [...each];
}

/** Parses --map field=path entries (a path, `none`, or `sql:EXPR`). */
export function parseMapArgs(entries: readonly string[]): Partial<Record<EnvelopeField, string>> {
  const out: Partial<Record<EnvelopeField, string>> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const field = entry.slice(0, eq).trim();
    const p = entry.slice(eq + 1).trim();
    if (eq < 0 || !p) throw new UserError(`--map ${entry}: expected field=path`, 'e.g. --map id=event.uuid --map ts=occurred');
    if (!(ENVELOPE_FIELDS as readonly string[]).includes(field)) {
      throw new UserError(`--map ${entry}: unknown field "${field}"`, `fields: ${ENVELOPE_FIELDS.join(', ')}`);
    }
    checkMapping(field, p, `--map ${entry}`);
    out[field as EnvelopeField] = p;
  }
  return out;
}

function checkMapping(field: string, m: string, where: string): void {
  if (m === NONE) {
    if (field === 'type') throw new UserError(`${where}: an event needs a type`, `give it a constant: --map "type=sql:'trade'" (config: {"sql": "'trade'"})`);
    return;
  }
  if (m.startsWith(SQL_PREFIX)) return checkSql(m.slice(SQL_PREFIX.length), where);
  checkPath(m, where);
}

/** The syntax of a SQL expression (DuckDB checks the rest before the ingest reads: ingest.ts). */
export function checkSql(expr: string, where: string): void {
  try {
    compileUserSql(expr, { access: new RecordAccess(), each: true, line: true, frame: true });
  } catch (error) {
    throw new UserError(`${where}: ${(error as Error).message}`, SQL_HINT);
  }
}

export const SQL_HINT = `a DuckDB expression over the record, where $.key, $[0], $frame.key are the values there as text, e.g. --map "ts=sql:epoch_ms(CAST($[2] AS BIGINT))" --map "id=sql:$[0] || '-' || $[1]"`;

export function checkPath(p: string, where: string): void {
  try {
    parseRecordPath(p);
  } catch {
    throw new UserError(`${where}: "${p}" is not a path`, 'write keys separated by dots and array elements by index, e.g. metadata.correlationId, $[1][0], $.data.b[0]; sql:EXPR computes a field, none leaves it out');
  }
}
