/**
 * The schema registry: a folder of JSON Schemas, one file per (event type, version), named
 * `<Type>.v<N>.json` (or `<Type>/v<N>.json`); the file name says which events a schema is
 * for (see docs/schemas.md). Also: reading and meta-validating one schema file, Ajv
 * validators for draft-07 and 2020-12, and the packs' registries (the default of `check` and
 * `timeline`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { UserError } from '../core/errors.js';
import protobuf from 'protobufjs';
import type { AvroJson } from './avro-compat.js';
import { loadAvroSchema } from './avro-schema.js';
import type { JsonSchema, VersionedSchema } from './compat.js';
import { avroToJsonSchema, protoMessageToJsonSchema } from './json-mapping.js';
import type { ProtoFile } from './protobuf-compat.js';
import { loadProtoFile } from './protobuf-schema.js';
import { parseSchemaJson, readSchemaFile } from './schema-file.js';

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;
const DRAFT_07 = /json-schema\.org\/draft-07\/schema/;

/** Reads a schema file; exit 2 when it is missing, not JSON, or not a valid draft-07 / 2020-12 JSON Schema. */
export function loadSchema(file: string): JsonSchema {
  const text = readSchemaFile(file, 'give the path of a JSON Schema file');
  const schema = parseSchemaJson(file, text, 'a schema file holds one JSON Schema document');
  validateSchema(file, schema);
  return schema as JsonSchema;
}

let meta07: Ajv | undefined;
let meta2020: Ajv | undefined;

/** Checks the document against its meta-schema with Ajv (draft-07 unless it says 2020-12). */
export function validateSchema(file: string, schema: unknown): void {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new UserError(`${file} is not a JSON Schema: a schema is an object or a boolean`, 'see https://json-schema.org/ for the format');
  }
  const declared = typeof schema === 'object' && typeof (schema as { $schema?: unknown }).$schema === 'string' ? ((schema as { $schema: string }).$schema) : undefined;
  if (declared !== undefined && !DRAFT_2020.test(declared) && !DRAFT_07.test(declared)) {
    throw new UserError(`${file} declares $schema ${declared}, which evtrail does not check`, 'use draft-07 (http://json-schema.org/draft-07/schema#) or 2020-12 (https://json-schema.org/draft/2020-12/schema)');
  }
  // One meta-validator per draft: an Ajv instance costs tens of milliseconds to build.
  const ajv = declared && DRAFT_2020.test(declared) ? (meta2020 ??= new Ajv2020({ strict: false })) : (meta07 ??= new Ajv({ strict: false }));
  const valid = ajv.validateSchema(schema as object);
  if (!valid) {
    const e = ajv.errors?.[0];
    const where = e?.instancePath ? ` at ${e.instancePath}` : '';
    throw new UserError(`${file} is not a valid JSON Schema${where}: ${e?.message ?? 'invalid'}`, `check it against the ${declared && DRAFT_2020.test(declared) ? '2020-12' : 'draft-07'} meta-schema`);
  }
}

export type SchemaFormat = 'json' | 'avro' | 'protobuf';

/**
 * One (type, version) of a registry. `schema` is a JSON Schema in every format (an Avro or
 * Protobuf schema as the JSON Schema of its JSON mapping, json-mapping.ts), which is what stored
 * events are checked against; `original` is the schema as written, which compat compares.
 */
export interface RegistryEntry extends VersionedSchema {
  type: string;
  file: string;
  format: SchemaFormat;
  original: JsonSchema | AvroJson | ProtoFile;
}

const REGISTRY_FILE = /^(.+)\.v(\d+)\.(?:schema\.)?(json|avsc|proto)$/;
const FORMAT_OF_EXTENSION: Record<string, SchemaFormat> = { json: 'json', avsc: 'avro', proto: 'protobuf' };

/** A schema file's format, from its extension: .avsc Avro, .proto Protobuf, anything else JSON Schema. */
export function formatOfFile(file: string): SchemaFormat {
  const ext = /\.(avsc|proto)$/i.exec(file)?.[1]?.toLowerCase();
  return ext ? FORMAT_OF_EXTENSION[ext]! : 'json';
}

/** A schema file in its format, with the JSON Schema its events are checked against. */
export function loadEntry(file: string, type: string, version: number, format: SchemaFormat): RegistryEntry {
  if (format === 'avro') {
    const original = loadAvroSchema(file);
    return { type, version, file, format, original, schema: avroToJsonSchema(original) };
  }
  if (format === 'protobuf') {
    const original = loadProtoFile(file);
    return { type, version, file, format, original, schema: protoMessageToJsonSchema(messageOfType(file, original, type)) };
  }
  const schema = loadSchema(file);
  checkNaming(file, schema, type, version);
  return { type, version, file, format, original: schema, schema };
}

/** A .proto registry file's message for its type: the one named like the type, or the file's only message. */
function messageOfType(file: string, proto: ProtoFile, type: string): protobuf.Type {
  const messages = proto.types.filter((t): t is protobuf.Type => t instanceof protobuf.Type);
  const named = messages.find((m) => m.name === type || m.fullName.replace(/^\./, '') === type);
  if (named) return named;
  if (messages.length === 1) return messages[0]!;
  throw new UserError(`${file} has ${messages.length} messages and none named ${type}`, `name the message ${type}, or keep one message in the file`);
}

/**
 * A registry is a folder of JSON Schemas, one per (type, version): either flat files
 * `<Type>.v<N>.json` or one folder per type holding `v<N>.json` (see docs/schemas.md).
 */
export function loadRegistry(dir: string): Map<string, RegistryEntry[]> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read registry ${dir}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : String(code)}`, 'a registry is a folder of <Type>.v<N>.json (or .avsc, .proto) files');
  }
  const out = new Map<string, RegistryEntry[]>();
  const add = (type: string, version: number, file: string, extension: string) => {
    const list = out.get(type) ?? [];
    const clash = list.find((e) => e.version === version);
    if (clash) throw new UserError(`registry ${dir} has two schemas for ${type} v${version}: ${clash.file} and ${file}`, 'keep one file per (type, version)');
    list.push(loadEntry(file, type, version, FORMAT_OF_EXTENSION[extension]!));
    out.set(type, list);
  };
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isFile()) {
      const m = REGISTRY_FILE.exec(entry.name);
      if (m) add(decodeType(m[1]!), Number(m[2]), full, m[3]!);
    } else if (entry.isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) {
        const m = /^v(\d+)\.(?:schema\.)?(json|avsc|proto)$/.exec(name);
        if (m) add(decodeType(entry.name), Number(m[1]), path.join(full, name), m[2]!);
      }
    }
  }
  if (out.size === 0) throw new UserError(`registry ${dir} holds no schema`, 'name the files <Type>.v<N>.json, .avsc or .proto (e.g. OrderPlaced.v2.avsc), or <Type>/v<N>.json');
  for (const list of out.values()) list.sort((a, b) => a.version - b.version);
  return out;
}


/** A type's file name: itself, or percent-encoded when it has characters a file name cannot hold. */
export function registryFileName(type: string, version: number): string {
  const safe = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/.test(type) && !type.includes('%') ? type : encodeURIComponent(type).replaceAll('.', '%2E');
  return `${safe}.v${version}.json`;
}

function decodeType(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * The file name is what says which events a schema is for. The pack's schemas also say it
 * inside (`x-evtrail-type`, `x-evtrail-version`, what `infer` writes too): when a file does,
 * it must agree, so a copied file that was not renamed is caught.
 */
function checkNaming(file: string, schema: JsonSchema, type: string, version: number): void {
  if (typeof schema !== 'object') return;
  const t = schema['x-evtrail-type'];
  const v = schema['x-evtrail-version'];
  if (t !== undefined && t !== type) throw new UserError(`${file} says x-evtrail-type ${JSON.stringify(t)}, but its name says ${type}`, 'rename the file <Type>.v<N>.json or fix x-evtrail-type');
  if (v !== undefined && v !== version) throw new UserError(`${file} says x-evtrail-version ${JSON.stringify(v)}, but its name says v${version}`, 'rename the file <Type>.v<N>.json or fix x-evtrail-version');
}

// ajv-formats is CommonJS: its default export is the plugin itself at run time.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

let ajv07: Ajv | undefined;
let ajv2020: Ajv | undefined;

/**
 * An Ajv validator for a schema (draft-07 unless its $schema says 2020-12), with the formats
 * of ajv-formats checked and every error reported (allErrors). Unknown keywords (x-evtrail-*,
 * annotations) are ignored, not refused.
 */
export function compileSchema(file: string, schema: JsonSchema): ValidateFunction {
  const is2020 = typeof schema === 'object' && typeof schema.$schema === 'string' && DRAFT_2020.test(schema.$schema);
  const make = (A: typeof Ajv) => addFormats(new A({ strict: false, allErrors: true, validateSchema: false }));
  const ajv = is2020 ? (ajv2020 ??= make(Ajv2020)) : (ajv07 ??= make(Ajv));
  try {
    // $id must be unique per Ajv instance; two versions may share one, so each compile gets a fresh copy without it.
    const { $id: _id, ...rest } = typeof schema === 'object' ? schema : { $id: undefined };
    return ajv.compile(typeof schema === 'boolean' ? schema : rest);
  } catch (error) {
    throw new UserError(`${file}: cannot compile: ${(error as Error).message.replace(/\s+/g, ' ')}`, 'remote $refs are not fetched; keep the schema self-contained');
  }
}

export interface PackRegistry {
  /** The packs whose schemas are used, e.g. ["trading"]. */
  packs: string[];
  registry: Map<string, RegistryEntry[]>;
}

/**
 * The default registry: the schemas of the packs whose vocabulary the log speaks (the same
 * share of events as the audit asks, the pack's minShare). `typeCounts`: events per type.
 */
export async function packRegistry(typeCounts: Map<string, number>): Promise<PackRegistry> {
  const { loadCatalog } = await import('../audit/catalog.js');
  const total = [...typeCounts.values()].reduce((a, b) => a + b, 0);
  const registry = new Map<string, RegistryEntry[]>();
  const packs: string[] = [];
  for (const pack of loadCatalog().packs) {
    const dir = path.join(pack.dir, 'schemas');
    if (pack.vocabulary.length === 0 || !fs.existsSync(dir) || total === 0) continue;
    const spoken = pack.vocabulary.reduce((n, t) => n + (typeCounts.get(t) ?? 0), 0);
    if (spoken / total < pack.minShare) continue;
    packs.push(pack.id);
    for (const [type, list] of loadRegistry(dir)) {
      // Named by pack, not by the install path, in what users see.
      const named = list.map((e) => ({ ...e, file: `${pack.id}:${path.basename(e.file)}` }));
      registry.set(type, [...(registry.get(type) ?? []), ...named]);
    }
  }
  return { packs, registry };
}
