/**
 * `evtrail schema upcast --upcasters FILE --dry-run`: upcasters are plain functions keyed by
 * event type and the version they upcast from (as docs/architecture.md §6 asks, after Emmett):
 *
 *   export default {
 *     OrderPlaced: {
 *       1: (data, event) => ({ ...data, timeInForce: 'DAY' }),   // v1 data → v2 data
 *     },
 *   };
 *
 * The dry run applies them, step by step up to the newest version of the type (the newest
 * schema in the registry, else one past the last upcaster), to every stored event of an older
 * version, and reports the events whose upcaster throws (or has no step for a version) and
 * those whose upcast data still fails the newest schema (Ajv, as `schema check`). Nothing is
 * written. Exit 1 when any event throws or fails.
 *
 * The user asked for JavaScript, so JavaScript touches each event of the types upcast
 * (docs/architecture.md §1); the events are streamed from DuckDB in seq order. `runUpcast`
 * returns what it found, the failure (exit 1) as data; src/cli/commands/schema.ts reads the
 * flags (`upcastersFlag`, `dryRunFlag`, run-check.ts's LIMIT_HINT), ./render.ts prints it.
 */
import { UserError } from '../core/errors.js';
import { loadUpcasters, targetVersion, upcastData } from '../replay/upcasters.js';
import { Store } from '../store/store.js';
import { resolveRegistry, versionCounts } from './run-check.js';
import { compileSchema } from './registry.js';
import { judge } from './validate.js';

// The module shape and the step-by-step upcast are replay's too (one loader: ../replay/upcasters.ts).
export { parseUpcasters, upcastData, type UpcastFn, type Upcasters } from '../replay/upcasters.js';

export interface UpcastProblem {
  eventId: string;
  seq: number;
  type: string;
  version: number;
  /** 'threw': an upcaster threw or a step is missing; 'invalid': the result fails the newest schema. */
  kind: 'threw' | 'invalid';
  /** The version whose upcaster threw (threw), or the JSON pointer of the failing field (invalid). */
  at: string;
  message: string;
}

/** --upcasters FILE: the module, without which there is nothing to run. */
export function upcastersFlag(file: string | undefined): string {
  if (file === undefined) throw new UserError('schema upcast needs --upcasters FILE', 'evtrail schema upcast --upcasters ./my-upcasters.mjs --dry-run');
  return file;
}

/** --dry-run, asked for by name: the only mode. */
export function dryRunFlag(dryRun: boolean | undefined): true {
  if (!dryRun) throw new UserError('schema upcast only runs as --dry-run (the store keeps every event as it was written)', 'add --dry-run');
  return true;
}

export interface UpcastOptions {
  db: string;
  upcasters: string;
  registry?: string;
  /** Events whose problems are listed; 0 lists all. */
  limit: number;
}

export interface UpcastRow {
  type: string;
  from: number;
  to: number;
  events: number;
  upcast: number;
  threw: number;
  invalid: number;
  schema: string | null;
}

export interface UpcastResult {
  ok: boolean;
  upcasters: string;
  /** The folder given, `packs: <ids>`, or null. */
  registry: string | null;
  types: UpcastRow[];
  problemEvents: number;
  problems: UpcastProblem[];
  /** The failure's line (exit 1), when not ok. */
  failure?: string;
}

export async function runUpcast(options: UpcastOptions): Promise<UpcastResult> {
  const { limit } = options;
  const { steps: upcasters } = await loadUpcasters(options.upcasters);
  const store = await Store.open(options.db, { readOnly: true });
  try {
    const counts = await versionCounts(store);
    const reg = await resolveRegistry(options.registry, counts);
    const rows: UpcastRow[] = [];
    const problems: UpcastProblem[] = [];
    let problemEvents = 0;
    for (const [type, steps] of upcasters) {
      const newest = reg.registry.get(type)?.at(-1);
      const to = newest?.version ?? targetVersion(steps);
      const validate = newest ? compileSchema(newest.file, newest.schema) : null;
      const stats = new Map<number, (typeof rows)[number]>();
      const result = await store.stream(`SELECT seq, id, stream, schema_version, data::VARCHAR AS data FROM events WHERE type = $type AND schema_version < $to ORDER BY seq`, { type, to });
      for await (const batch of result.yieldRowObjectJson()) {
        for (const r of batch) {
          const version = Number(r.schema_version);
          const row = stats.get(version) ?? stats.set(version, { type, from: version, to, events: 0, upcast: 0, threw: 0, invalid: 0, schema: newest?.file ?? null }).get(version)!;
          row.events++;
          const event = { id: String(r.id), seq: Number(r.seq), type, schema_version: version, stream: r.stream === null ? null : String(r.stream) };
          let data: unknown = null;
          try {
            data = r.data === null ? null : JSON.parse(String(r.data));
          } catch {
            /* stored data is JSON; a text that is not stays null */
          }
          const out = upcastData(steps, data, version, to, event);
          const list: UpcastProblem[] = [];
          if ('failedAt' in out) {
            row.threw++;
            list.push({ eventId: event.id, seq: event.seq, type, version, kind: 'threw', at: `v${out.failedAt}`, message: out.message });
          } else {
            const errors = validate ? judge(validate, JSON.stringify(out.data) ?? null) : [];
            if (errors.length) {
              row.invalid++;
              for (const e of errors) list.push({ eventId: event.id, seq: event.seq, type, version, kind: 'invalid', at: e.path, message: e.message });
            } else row.upcast++;
          }
          if (list.length) {
            problemEvents++;
            if (limit === 0 || problemEvents <= limit) problems.push(...list);
          }
        }
      }
      rows.push(...[...stats.values()].sort((a, b) => a.from - b.from));
    }
    const ok = problemEvents === 0;
    return {
      ok, upcasters: options.upcasters, registry: reg.dir ?? (reg.packs.length ? `packs: ${reg.packs.join(', ')}` : null), types: rows, problemEvents, problems,
      failure: ok ? undefined : `${problemEvents} event(s) throw in an upcaster or still fail the newest schema`,
    };
  } finally {
    store.close();
  }
}
