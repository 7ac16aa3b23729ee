/**
 * The lens: what the analysis commands (replay, trace, audit, query, report, ui) see as
 * `events`. A temp view of that name shadows the store's table on the connection (DuckDB looks
 * in the temp catalog first), so every projection, rule and trace lookup runs its SQL unchanged
 * through it:
 *
 * - the store's vocabulary mapping (src/packs/vocabulary-map.ts), when it has one: types and
 *   data field names translated to the packs' own;
 * - `--tenant <id>`: only that tenant's events.
 *
 * The table itself is never changed (hashes, chain, export and verify read it as it is);
 * `store.rawEvents` names it for the few readers that must see all of it (the trace index's
 * bookkeeping).
 */
import { UserError } from '../core/errors.js';
import { VOCABULARY_META_KEY, isEmptyVocabulary, parseStoredVocabulary, type Vocabulary } from '../packs/vocabulary-map.js';
import { sqlIdent, sqlString } from './sql.js';
import type { Store } from './store.js';

export interface LensOptions {
  /** Read through the store's vocabulary mapping (default true). */
  vocabulary?: boolean;
  /** Only this tenant's events. */
  tenant?: string;
}

export interface Lens {
  vocabulary: Vocabulary | null;
  tenant: string | null;
}

/**
 * The tenant of an event: Marten's tenant_id (kept in meta.marten), else a tenant the producer
 * put in the metadata. Emmett's `partition` is not a tenant unless the writer made it one, and is
 * not read.
 */
export const TENANT_SQL = `coalesce(json_extract_string(meta, '$.marten.tenant_id'), json_extract_string(meta, '$.tenant_id'), json_extract_string(meta, '$.tenantId'), json_extract_string(meta, '$.tenant'))`;

export async function storedVocabulary(store: Store): Promise<Vocabulary | null> {
  const rows = await store.all(`SELECT value FROM evtrail_meta WHERE key = ${sqlString(VOCABULARY_META_KEY)}`);
  const v = parseStoredVocabulary(rows[0]?.value);
  return isEmptyVocabulary(v) ? null : v;
}

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * data with its keys renamed, at any depth, by text: a key is a quoted name that follows `{` or
 * `,` and precedes `:`, which in valid JSON can only be a key (a quote inside a string value is
 * escaped). The values stay as written, to the last digit.
 */
export function renameKeysSql(column: string, fields: Record<string, string>): string {
  let expr = `${column}::VARCHAR`;
  // pattern: the quoted key, with `groups` capture groups of its own; the key's colon is the group after them.
  const replace = (pattern: string, replacement: string, groups = 0) => {
    expr = `regexp_replace(${expr}, ${sqlString(`([{,]\\s*)${pattern}(\\s*:)`)}, ${sqlString(`\\1${replacement}\\${groups + 2}`)}, 'g')`;
  };
  // Each pass costs about as much as the others (~0.5 CPU-s per million events): the .NET case,
  // a PascalCase name whose target only lowers its first letter (OrderId → orderId), is done in
  // one pass per first letter, the rest (Quantity → qty, order_id → orderId) one pass each.
  const lowered = new Map<string, string[]>();
  for (const [from, to] of Object.entries(fields)) {
    const first = from[0]!;
    if (/^[A-Z][A-Za-z0-9]*$/.test(from) && to === first.toLowerCase() + from.slice(1)) lowered.set(first, [...(lowered.get(first) ?? []), from.slice(1)]);
    else replace(regexEscape(JSON.stringify(from)), JSON.stringify(to).replaceAll('\\', '\\\\'));
  }
  for (const [first, rests] of lowered) {
    replace(`"${first}(${rests.map(regexEscape).join('|')})"`, `"${first.toLowerCase()}\\2"`, 1);
  }
  return `${expr}::JSON`;
}

export function typeSql(types: Record<string, string>): string {
  const entries = Object.entries(types);
  if (entries.length === 0) return 'type';
  return `CASE type ${entries.map(([from, to]) => `WHEN ${sqlString(from)} THEN ${sqlString(to)}`).join(' ')} ELSE type END`;
}

/** The temp view's SQL over the store's table, or null when the lens changes nothing. */
export function lensViewSql(raw: string, lens: Lens): string | null {
  const v = lens.vocabulary;
  const replace: string[] = [];
  if (v && Object.keys(v.types).length > 0) replace.push(`${typeSql(v.types)} AS type`);
  if (v && Object.keys(v.fields).length > 0) replace.push(`${renameKeysSql('data', v.fields)} AS data`);
  const where = lens.tenant !== null ? ` WHERE ${TENANT_SQL} = ${sqlString(lens.tenant)}` : '';
  if (replace.length === 0 && where === '') return null;
  return `CREATE OR REPLACE TEMP VIEW events AS SELECT *${replace.length ? ` REPLACE (${replace.join(', ')})` : ''} FROM ${raw}${where}`;
}

/**
 * An empty tenant, or one with no events in the store, is a UserError naming the tenants there
 * are. applyLens checks it; a command with long work to do before it puts the lens on (report's
 * integrity check, which must read the table itself) checks it first, to fail at once.
 */
export async function checkTenant(store: Store, tenant: string): Promise<void> {
  if (tenant.trim() === '') throw new UserError('--tenant needs a value', "e.g. --tenant acme (Marten's tenant_id; *DEFAULT* is Marten's default tenant)");
  const rows = await store.all(`SELECT t, count(*) AS n FROM (SELECT ${TENANT_SQL} AS t FROM events) GROUP BY t ORDER BY n DESC, t LIMIT 20`);
  if (!rows.some((r) => r.t === tenant)) {
    const known = rows.filter((r) => r.t !== null).map((r) => `${String(r.t)} (${String(r.n)})`);
    throw new UserError(
      `no events of tenant ${JSON.stringify(tenant)} in the store`,
      known.length ? `tenants in the store: ${known.join(', ')}` : "the store's events carry no tenant (Marten's tenant_id, or tenant / tenantId in meta)",
    );
  }
}

/**
 * Puts the lens on the store's connection (and on every connection it opens later). An unknown
 * tenant is a UserError naming the tenants there are.
 */
export async function applyLens(store: Store, options: LensOptions = {}): Promise<Lens> {
  const vocabulary = options.vocabulary === false ? null : await storedVocabulary(store);
  const tenant = options.tenant ?? null;
  if (tenant !== null) await checkTenant(store, tenant);
  const lens: Lens = { vocabulary, tenant };
  const db = String((await store.all('SELECT current_database() AS d'))[0]!.d);
  const raw = `${sqlIdent(db)}.main.events`;
  const sql = lensViewSql(raw, lens);
  if (sql !== null) {
    await store.run(sql);
    store.setLens(sql, raw, lens.vocabulary ? lensFingerprint(lens.vocabulary) : '');
  }
  return lens;
}

/** What identifies a vocabulary, for derived data built through it (the trace index). */
export function lensFingerprint(v: Vocabulary): string {
  return JSON.stringify([Object.entries(v.types).sort(), Object.entries(v.fields).sort()]);
}
