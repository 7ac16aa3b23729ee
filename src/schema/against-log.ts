/**
 * `evtrail schema compat --new FILE --against-log`: would a proposed schema reject stored
 * events? Every stored event of its type (all versions, or --version) is validated with the
 * same engine as `schema check` (src/schema/validate.ts); each rejected event with id, seq,
 * path and message, counts per version. Exit 1 when any event would be rejected.
 */
import path from 'node:path';
import { CheckFailed, UserError } from '../core/errors.js';
import { wholeNumber } from '../core/flags.js';
import { printJson } from '../output/json.js';
import { plainTable, printTables, type TableData } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import { Store } from '../store/store.js';
import { parseLimit } from './check-command.js';
import { formatOfFile, loadEntry, loadSchema } from './registry.js';
import { validateEvents } from './validate.js';

export interface AgainstLogFlags {
  new?: string;
  old?: string;
  registry?: string;
  type?: string;
  version?: string;
  limit: string;
  db: string;
  output: OutputMode;
}

/** The event type a schema file is for: --type, else its name <Type>.v<N>.json, else x-evtrail-type. */
export function typeOfSchemaFile(file: string, schema: unknown, given?: string): string {
  if (given !== undefined) {
    if (given.trim() === '') throw new UserError('--type needs an event type', 'e.g. --type OrderPlaced');
    return given;
  }
  const m = /^(.+)\.v\d+\.(?:schema\.)?(?:json|avsc|proto)$/.exec(path.basename(file));
  if (m) return m[1]!;
  const declared = typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>)['x-evtrail-type'] : undefined;
  if (typeof declared === 'string' && declared !== '') return declared;
  throw new UserError(`cannot tell which event type ${file} is for`, 'name it <Type>.v<N>.json (e.g. OrderPlaced.v3.json), or pass --type');
}

export async function runAgainstLogCommand(flags: AgainstLogFlags): Promise<void> {
  if (flags.new === undefined) throw new UserError('--against-log needs --new FILE', 'evtrail schema compat --new my-schemas/OrderPlaced.v3.json --against-log');
  if (flags.old !== undefined || flags.registry !== undefined) throw new UserError('--against-log checks --new against the stored events; it cannot be combined with --old or --registry', 'drop --old/--registry');
  let version: number | null = null;
  if (flags.version !== undefined) {
    version = wholeNumber('--schema-version', flags.version, { hint: 'e.g. --schema-version 2' });
  }
  const limit = parseLimit(flags.limit);
  // Avro and Protobuf schemas are checked through their JSON mappings (json-mapping.ts).
  const format = formatOfFile(flags.new);
  const schema = format === 'json' ? loadSchema(flags.new) : undefined;
  const type = typeOfSchemaFile(flags.new, schema, flags.type);
  const judgedSchema = schema ?? loadEntry(flags.new, type, 0, format).schema;
  const store = await Store.open(flags.db, { readOnly: true });
  try {
    const result = await validateEvents(store, [{ type, version, file: flags.new, schema: judgedSchema }], { limit });
    const checked = result.targets[0]?.events ?? 0;
    const compatible = result.violatingEvents === 0;
    const versions = (result.targets[0]?.versions ?? []).map((v) => ({ version: v.version, events: v.events, rejected: v.violating }));
    if (flags.output === 'json') {
      // `compatible` and `changes` as every compat answer has them (docs/architecture.md §3); no schema pair, so no changes.
      printJson({ compatible, schema: flags.new, type, version, checked, rejectedEvents: result.violatingEvents, errors: result.errors, versions, changes: [], rejected: result.violations });
    } else {
      const tables: TableData[] = [
        {
          title: `${flags.new} against the stored ${type} events${version === null ? '' : ` v${version}`}: ${checked === 0 ? 'no such events' : compatible ? `accepts all ${checked}` : `REJECTS ${result.violatingEvents} of ${checked}`}`,
          columns: ['version', 'events', 'rejected'],
          rows: versions.map((v) => [`v${v.version}`, v.events, v.rejected]),
        },
      ];
      if (!compatible) {
        const listed = new Set(result.violations.map((v) => v.seq)).size;
        tables.push({
          title: 'events it would reject',
          columns: ['seq', 'event id', 'version', 'path', 'message'],
          rows: result.violations.map((v) => [v.seq, v.eventId, `v${v.version}`, v.path || '(data)', v.message]),
          note: listed < result.violatingEvents ? `… ${result.violatingEvents - listed} more (--limit 0 lists all)` : undefined,
        });
      }
      if (flags.output === 'tty') await printTables(flags.output, tables);
      else process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
    }
    if (!compatible) throw new CheckFailed(`${flags.new} would reject ${result.violatingEvents} stored ${type} event(s)`);
  } finally {
    store.close();
  }
}
