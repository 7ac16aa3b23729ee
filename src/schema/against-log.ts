/**
 * `evtrail schema compat --new FILE --against-log`: would a proposed schema reject stored
 * events? Every stored event of its type (all versions, or --version) is validated with the
 * same engine as `schema check` (src/schema/validate.ts); each rejected event with id, seq,
 * path and message, counts per version. Exit 1 when any event would be rejected. `runAgainstLog`
 * returns the answer (src/cli/commands/schema.ts reads the flags, ./render.ts prints it).
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { formatOfFile, loadEntry, loadSchema } from './registry.js';
import { validateEvents, type ValidationResult } from './validate.js';

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

export interface AgainstLogOptions {
  db: string;
  /** The proposed schema file. */
  new: string;
  /** The event type (default: from the file's name or x-evtrail-type). */
  type?: string;
  /** Only the events of this schema_version (null: every version). */
  version: number | null;
  /** Rejected events listed (0: all); the counts are always exact. */
  limit: number;
}

export interface AgainstLogResult {
  compatible: boolean;
  schema: string;
  type: string;
  version: number | null;
  checked: number;
  versions: { version: number; events: number; rejected: number }[];
  validation: ValidationResult;
  /** The CheckFailed message when the schema would reject stored events. */
  failure?: string;
}

/** Validates every stored event of the schema's type against it; ./render.ts prints the answer. */
export async function runAgainstLog(options: AgainstLogOptions): Promise<AgainstLogResult> {
  const format = formatOfFile(options.new);
  const schema = format === 'json' ? loadSchema(options.new) : undefined;
  const type = typeOfSchemaFile(options.new, schema, options.type);
  const judgedSchema = schema ?? loadEntry(options.new, type, 0, format).schema;
  const { version } = options;
  const store = await Store.open(options.db, { readOnly: true });
  try {
    const validation = await validateEvents(store, [{ type, version, file: options.new, schema: judgedSchema }], { limit: options.limit });
    const compatible = validation.violatingEvents === 0;
    return {
      compatible, schema: options.new, type, version,
      checked: validation.targets[0]?.events ?? 0,
      versions: (validation.targets[0]?.versions ?? []).map((v) => ({ version: v.version, events: v.events, rejected: v.violating })),
      validation,
      ...(compatible ? {} : { failure: `${options.new} would reject ${validation.violatingEvents} stored ${type} event(s)` }),
    };
  } finally {
    store.close();
  }
}
