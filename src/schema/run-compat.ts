/**
 * `evtrail schema compat`: is a new schema compatible with the old one (a pair of files), or is
 * every type's history in a registry folder compatible? JSON Schema, Avro (.avsc) and Protobuf
 * (.proto), each by its own rules (./compat.ts, ./avro-schema.ts, ./protobuf-schema.ts).
 * `runCompat` returns the verdict and the changes (src/cli/commands/schema.ts reads the flags,
 * ./render.ts prints it); the command exits 1 when incompatible (`failure`). `--against-log`
 * is ./against-log.ts.
 */
import { UserError } from '../core/errors.js';
import { checkPair, checkVersions, isMode, MODES, type Change, type CompatMode, type JsonSchema, type VersionCheck } from './compat.js';
import { checkAvroPair, isAvroFile, loadAvroSchema, type AvroWitness } from './avro-schema.js';
import { checkProtobufPair, isProtoFile, loadProtoFile } from './protobuf-schema.js';
import type { AvroJson } from './avro-compat.js';
import type { ProtoFile } from './protobuf-compat.js';
import { loadRegistry, loadSchema, type RegistryEntry, type SchemaFormat } from './registry.js';

export interface CompatOptions {
  old?: string;
  new?: string;
  registry?: string;
  /** JSON Schema: Confluent's lenient rule set instead of the strict one. */
  lenient?: boolean;
  /** Folders to look up .proto imports in, after the importing file's own folder. */
  protoPath?: string[];
  mode: CompatMode;
}

/** --mode, any case: BACKWARD, FORWARD_TRANSITIVE, … (the cli's zod schema reads it so). */
export function parseMode(value: string): CompatMode {
  const mode = value.toUpperCase();
  if (!isMode(mode)) throw new UserError(`unknown compatibility mode ${value}`, `use one of ${MODES.join(', ')}`);
  return mode;
}

export type ChangeRow = Pick<Change, 'breaking' | 'direction' | 'path' | 'reason'> & { type: string };

/** A pair of files: the verdict, the changes, and (Avro) values one writes that the other cannot read. */
export interface PairCompat {
  kind: 'pair';
  compatible: boolean;
  mode: CompatMode;
  format: SchemaFormat;
  /** JSON Schema only: which of Confluent's rule sets judged. */
  rules?: 'lenient' | 'strict';
  old: string;
  new: string;
  changes: ChangeRow[];
  witnesses?: AvroWitness[];
  failure?: string;
}

/** Every type of a registry folder, each version against those the mode compares it with. */
export interface RegistryCompat {
  kind: 'registry';
  compatible: boolean;
  mode: CompatMode;
  registry: string;
  types: { type: string; format: SchemaFormat; versions: number[]; compatible: boolean }[];
  changes: (ChangeRow & { subject: string; version: number; against: number })[];
  failure?: string;
}

export type CompatAnswer = PairCompat | RegistryCompat;

export const FORMAT_NAMES: Record<SchemaFormat, string> = { json: 'JSON Schema', avro: 'Avro', protobuf: 'Protobuf' };

export function runCompat(options: CompatOptions): CompatAnswer {
  const { mode } = options;
  if (options.registry !== undefined) {
    if (options.old !== undefined || options.new !== undefined) throw new UserError('--registry cannot be combined with --old/--new', 'check a registry, or a pair of schema files');
    return checkRegistry(options.registry, mode);
  }
  if (options.old === undefined || options.new === undefined) {
    throw new UserError('schema compat needs --old and --new (or --registry)', 'evtrail schema compat --old v1.json --new v2.json --mode BACKWARD');
  }
  const format = pairFormat(options.old, options.new);
  if (options.lenient && format !== 'json') throw new UserError('--lenient is Confluent\'s lenient rule set for JSON Schema', 'drop --lenient for Avro and Protobuf schemas');
  const result = format === 'avro'
    ? checkAvroPair(loadAvroSchema(options.old), loadAvroSchema(options.new), mode)
    : format === 'protobuf'
      ? { ...checkProtobufPair(loadProtoFile(options.old, options.protoPath), loadProtoFile(options.new, options.protoPath), mode), witnesses: undefined }
      : { ...checkPair(loadSchema(options.old), loadSchema(options.new), mode, options.lenient ? 'lenient' : 'strict'), witnesses: undefined };
  const breaking = result.changes.filter((c) => c.breaking).length;
  return {
    kind: 'pair', compatible: result.compatible, mode, format,
    ...(format === 'json' ? { rules: options.lenient ? 'lenient' as const : 'strict' as const } : {}),
    old: options.old, new: options.new, changes: result.changes,
    ...(result.witnesses ? { witnesses: result.witnesses } : {}),
    ...(result.compatible ? {} : { failure: `incompatible under ${mode}: ${breaking} breaking change(s)` }),
  };
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
const formatOf = (file: string): SchemaFormat => (isAvroFile(file) ? 'avro' : isProtoFile(file) ? 'protobuf' : 'json');

/** The format of a pair, from the files' extensions (.avsc, .proto, else JSON Schema); both must agree. */
function pairFormat(oldFile: string, newFile: string): SchemaFormat {
  const [a, b] = [formatOf(oldFile), formatOf(newFile)];
  if (a !== b) {
    throw new UserError(`${oldFile} is ${FORMAT_NAMES[a]} and ${newFile} is ${FORMAT_NAMES[b]}`, 'compare two schemas of one format: two .avsc files, two .proto files or two JSON Schemas');
  }
  return a;
}

function checkRegistry(dir: string, mode: CompatMode): RegistryCompat {
  const registry = loadRegistry(dir);
  const types: RegistryCompat['types'] = [];
  const changes: RegistryCompat['changes'] = [];
  for (const [type, versions] of registry) {
    const checks = checkEntries(type, versions, mode);
    types.push({ type, format: versions[0]!.format, versions: versions.map((v) => v.version), compatible: checks.every((c) => c.compatible) });
    for (const check of checks) for (const c of check.changes) changes.push({ ...c, subject: type, version: check.version, against: check.against });
  }
  const compatible = types.every((t) => t.compatible);
  const breaking = changes.filter((c) => c.breaking).length;
  return {
    kind: 'registry', compatible, mode, registry: dir, types, changes,
    ...(compatible ? {} : { failure: `incompatible under ${mode}: ${breaking} breaking change(s) in ${types.filter((t) => !t.compatible).map((t) => t.type).join(', ')}` }),
  };
}
