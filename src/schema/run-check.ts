/**
 * `evtrail schema check`: every stored event whose (type, version) has a schema in the
 * registry is validated (src/schema/validate.ts: DuckDB finds the suspects, Ajv judges them);
 * each violation with event id, seq, path and message. Events whose (type, version) has no
 * schema are counted and listed, not failures. `runCheck` returns what it found
 * (src/cli/commands/schema.ts reads the flags, ./render.ts prints it); the command exits 1
 * when any event breaks its schema (`failure`).
 */
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { loadRegistry, packRegistry, type RegistryEntry } from './registry.js';
import { validateEvents, type Target, type ValidationResult } from './validate.js';

export interface CheckOptions {
  db: string;
  registry?: string;
  /** Events whose violations are listed (0: all); the counts are always exact. */
  limit: number;
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

/** The --limit hint of the schema commands that list events (their zod schemas read --limit with it). */
export const LIMIT_HINT = 'e.g. --limit 100 (0 lists every violation)';

export interface CheckResult {
  ok: boolean;
  /** The folder given, or `packs: <ids>`. */
  registry: string;
  /** Events in the store, and those a schema judged. */
  events: number;
  checked: number;
  validation: ValidationResult;
  /** (type, version)s with no schema: counted, not failures. */
  unchecked: (VersionCount & { reason: string })[];
  /** The CheckFailed message when any event breaks its schema. */
  failure?: string;
}

export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const store = await Store.open(options.db, { readOnly: true });
  try {
    const counts = await versionCounts(store);
    if (counts.length === 0) throw new UserError(`the store ${options.db} has no events`, 'ingest something first (evtrail ingest <file>)');
    const reg = await resolveRegistry(options.registry, counts);
    if (reg.dir === null && reg.registry.size === 0) {
      throw new UserError('no registry: the log speaks no pack\'s vocabulary, so there are no default schemas', 'pass --registry DIR (e.g. one written by evtrail schema infer --out DIR)');
    }
    const targets: Target[] = [];
    const unchecked: CheckResult['unchecked'] = [];
    for (const c of counts) {
      const entry = reg.registry.get(c.type)?.find((e) => e.version === c.version);
      if (entry) targets.push({ type: c.type, version: c.version, file: entry.file, schema: entry.schema });
      else unchecked.push({ ...c, reason: reg.registry.has(c.type) ? 'no schema for this version' : 'no schema for this type' });
    }
    const validation = await validateEvents(store, targets, { limit: options.limit });
    const ok = validation.violatingEvents === 0;
    return {
      ok,
      registry: reg.dir ?? `packs: ${reg.packs.join(', ')}`,
      events: counts.reduce((a, c) => a + c.events, 0),
      checked: validation.targets.reduce((a, t) => a + t.events, 0),
      validation,
      unchecked,
      ...(ok ? {} : { failure: `${validation.violatingEvents} event(s) break their schema` }),
    };
  } finally {
    store.close();
  }
}
