import { CheckFailed, UserError } from '../core/errors.js';
import { printJson } from '../output/json.js';
import { plainTable, printTables, type TableData } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import { checkPair, checkVersions, isMode, MODES, type Change, type CompatMode, type JsonSchema, type VersionCheck } from './compat.js';
import { checkAvroPair, isAvroFile, loadAvroSchema } from './avro-schema.js';
import { checkProtobufPair, isProtoFile, loadProtoFile } from './protobuf-schema.js';
import type { AvroJson } from './avro-compat.js';
import type { ProtoFile } from './protobuf-compat.js';
import { loadRegistry, loadSchema, type RegistryEntry, type SchemaFormat } from './registry.js';

export interface CompatFlags {
  old?: string;
  new?: string;
  registry?: string;
  /** JSON Schema: Confluent's lenient rule set instead of the strict one. */
  lenient?: boolean;
  /** Folders to look up .proto imports in, after the importing file's own folder. */
  protoPath?: string[];
  mode: string;
  output: OutputMode;
}

function parseMode(value: string): CompatMode {
  const mode = value.toUpperCase();
  if (!isMode(mode)) throw new UserError(`unknown compatibility mode ${value}`, `use one of ${MODES.join(', ')}`);
  return mode;
}

type ChangeRow = Pick<Change, 'breaking' | 'direction' | 'path' | 'reason'> & { type: string };
const changeRows = (changes: ChangeRow[], prefix: (c: ChangeRow) => string[] = () => []) =>
  changes.map((c) => [...prefix(c), c.breaking ? 'BREAKING' : 'ok', c.direction, c.type, c.path, c.reason]);

/** The reasons are the point: in a pipe they are printed whole, not cut at 60 characters. */
async function show(output: Exclude<OutputMode, 'json'>, tables: TableData[]): Promise<void> {
  if (output === 'tty') return printTables(output, tables);
  process.stdout.write(tables.map((t) => plainTable(t)).join('\n'));
}

export async function runCompatCommand(flags: CompatFlags): Promise<void> {
  const mode = parseMode(flags.mode);
  if (flags.registry !== undefined) {
    if (flags.old !== undefined || flags.new !== undefined) throw new UserError('--registry cannot be combined with --old/--new', 'check a registry, or a pair of schema files');
    return runRegistry(flags.registry, mode, flags.output);
  }
  if (flags.old === undefined || flags.new === undefined) {
    throw new UserError('schema compat needs --old and --new (or --registry)', 'evtrail schema compat --old v1.json --new v2.json --mode BACKWARD');
  }
  const format = pairFormat(flags.old, flags.new);
  if (flags.lenient && format !== 'json') throw new UserError('--lenient is Confluent\'s lenient rule set for JSON Schema', 'drop --lenient for Avro and Protobuf schemas');
  const result = format === 'avro'
    ? checkAvroPair(loadAvroSchema(flags.old), loadAvroSchema(flags.new), mode)
    : format === 'protobuf'
      ? { ...checkProtobufPair(loadProtoFile(flags.old, flags.protoPath), loadProtoFile(flags.new, flags.protoPath), mode), witnesses: undefined }
      : { ...checkPair(loadSchema(flags.old), loadSchema(flags.new), mode, flags.lenient ? 'lenient' : 'strict'), witnesses: undefined };
  const breaking = result.changes.filter((c) => c.breaking).length;
  if (flags.output === 'json') {
    printJson({
      compatible: result.compatible, mode, format, ...(format === 'json' ? { rules: flags.lenient ? 'lenient' : 'strict' } : {}), old: flags.old, new: flags.new, changes: result.changes,
      ...(result.witnesses ? { witnesses: result.witnesses } : {}),
    });
  } else {
    const label = format === 'json' ? '' : `${FORMAT_NAMES[format]}, `;
    const tables: TableData[] = [{
      title: `${flags.new} against ${flags.old} (${label}${mode}): ${result.compatible ? 'compatible' : `INCOMPATIBLE, ${breaking} breaking change(s)`}`,
      columns: ['verdict', 'reading', 'change', 'path', 'why'],
      rows: changeRows(result.changes),
      note: result.changes.length === 0 ? 'no differences' : undefined,
    }];
    if (result.witnesses && result.witnesses.length > 0) {
      tables.push({
        title: 'witnesses: a value one schema writes and the other cannot read',
        columns: ['reading', 'value written', 'read error'],
        rows: result.witnesses.map((w) => [w.direction, w.value, w.error]),
      });
    }
    await show(flags.output, tables);
  }
  if (!result.compatible) throw new CheckFailed(`incompatible under ${mode}: ${breaking} breaking change(s)`);
}

/** One type's versions in a registry, each format by its own rules (the versions must share one). */
function checkEntries(type: string, entries: RegistryEntry[], mode: CompatMode): VersionCheck<{ compatible: boolean; changes: ChangeRow[] }>[] {
  const formats = [...new Set(entries.map((e) => e.format))];
  if (formats.length > 1) {
    throw new UserError(`the registry holds ${type} in ${formats.map((f) => FORMAT_NAMES[f]).join(' and ')}: ${entries.map((e) => e.file).join(', ')}`, 'keep every version of a type in one format');
  }
  const versions = <S>() => entries.map((e) => ({ version: e.version, schema: e.original as S }));
  if (formats[0] === 'avro') return checkVersions(versions<AvroJson>(), mode, checkAvroPair);
  if (formats[0] === 'protobuf') return checkVersions(versions<ProtoFile>(), mode, checkProtobufPair);
  return checkVersions(versions<JsonSchema>(), mode);
}
const FORMAT_NAMES: Record<SchemaFormat, string> = { json: 'JSON Schema', avro: 'Avro', protobuf: 'Protobuf' };
const formatOf = (file: string): SchemaFormat => (isAvroFile(file) ? 'avro' : isProtoFile(file) ? 'protobuf' : 'json');

/** The format of a pair, from the files' extensions (.avsc, .proto, else JSON Schema); both must agree. */
function pairFormat(oldFile: string, newFile: string): SchemaFormat {
  const [a, b] = [formatOf(oldFile), formatOf(newFile)];
  if (a !== b) {
    throw new UserError(`${oldFile} is ${FORMAT_NAMES[a]} and ${newFile} is ${FORMAT_NAMES[b]}`, 'compare two schemas of one format: two .avsc files, two .proto files or two JSON Schemas');
  }
  return a;
}

async function runRegistry(dir: string, mode: CompatMode, output: OutputMode): Promise<void> {
  const registry = loadRegistry(dir);
  const types: { type: string; format: SchemaFormat; versions: number[]; compatible: boolean }[] = [];
  const changes: (ChangeRow & { subject: string; version: number; against: number })[] = [];
  for (const [type, versions] of registry) {
    const checks = checkEntries(type, versions, mode);
    types.push({ type, format: versions[0]!.format, versions: versions.map((v) => v.version), compatible: checks.every((c) => c.compatible) });
    for (const check of checks) for (const c of check.changes) changes.push({ ...c, subject: type, version: check.version, against: check.against });
  }
  const compatible = types.every((t) => t.compatible);
  const breaking = changes.filter((c) => c.breaking).length;
  if (output === 'json') printJson({ compatible, mode, registry: dir, types, changes });
  else {
    await show(output, [
      { title: `registry ${dir} (${mode}): ${compatible ? 'compatible' : `INCOMPATIBLE, ${breaking} breaking change(s)`}`, columns: ['type', 'versions', 'verdict'], rows: types.map((t) => [t.type, t.versions.map((v) => `v${v}`).join(' '), t.compatible ? 'compatible' : 'INCOMPATIBLE']) },
      {
        title: 'changes',
        columns: ['type', 'version', 'against', 'verdict', 'reading', 'change', 'path', 'why'],
        rows: changes.map((c) => [c.subject, `v${c.version}`, `v${c.against}`, c.breaking ? 'BREAKING' : 'ok', c.direction, c.type, c.path, c.reason]),
        note: changes.length === 0 ? 'no differences' : undefined,
      },
    ]);
  }
  if (!compatible) throw new CheckFailed(`incompatible under ${mode}: ${breaking} breaking change(s) in ${types.filter((t) => !t.compatible).map((t) => t.type).join(', ')}`);
}
