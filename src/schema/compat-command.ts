import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CheckFailed, UserError } from '../core/errors.js';
import { plainTable, printJson, printTables, type TableData } from '../cli/render.js';
import type { OutputMode } from '../cli/options.js';
import { checkPair, checkVersions, isMode, MODES, type Change, type CompatMode, type JsonSchema, type VersionedSchema } from './compat.js';

export interface CompatFlags {
  old?: string;
  new?: string;
  registry?: string;
  mode: string;
  output: OutputMode;
}

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;
const DRAFT_07 = /json-schema\.org\/draft-07\/schema/;

/** Reads a schema file; exit 2 when it is missing, not JSON, or not a valid draft-07 / 2020-12 JSON Schema. */
export function loadSchema(file: string): JsonSchema {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read schema ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code)}`, 'give the path of a JSON Schema file');
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not JSON: ${(error as Error).message.split('\n')[0]}`, 'a schema file holds one JSON Schema document');
  }
  validateSchema(file, schema);
  return schema as JsonSchema;
}

/** Checks the document against its meta-schema with Ajv (draft-07 unless it says 2020-12). */
export function validateSchema(file: string, schema: unknown): void {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new UserError(`${file} is not a JSON Schema: a schema is an object or a boolean`, 'see https://json-schema.org/ for the format');
  }
  const declared = typeof schema === 'object' && typeof (schema as { $schema?: unknown }).$schema === 'string' ? ((schema as { $schema: string }).$schema) : undefined;
  if (declared !== undefined && !DRAFT_2020.test(declared) && !DRAFT_07.test(declared)) {
    throw new UserError(`${file} declares $schema ${declared}, which evtrail does not check`, 'use draft-07 (http://json-schema.org/draft-07/schema#) or 2020-12 (https://json-schema.org/draft/2020-12/schema)');
  }
  const ajv = declared && DRAFT_2020.test(declared) ? new Ajv2020({ strict: false }) : new Ajv({ strict: false });
  const valid = ajv.validateSchema(schema as object);
  if (!valid) {
    const e = ajv.errors?.[0];
    const where = e?.instancePath ? ` at ${e.instancePath}` : '';
    throw new UserError(`${file} is not a valid JSON Schema${where}: ${e?.message ?? 'invalid'}`, `check it against the ${declared && DRAFT_2020.test(declared) ? '2020-12' : 'draft-07'} meta-schema`);
  }
}

export interface RegistryEntry extends VersionedSchema {
  type: string;
  file: string;
}

const REGISTRY_FILE = /^(.+)\.v(\d+)\.(?:schema\.)?json$/;

/**
 * A registry is a folder of JSON Schemas, one per (type, version): either flat files
 * `<Type>.v<N>.json` or one folder per type holding `v<N>.json` (see src/schema/README.md).
 */
export function loadRegistry(dir: string): Map<string, RegistryEntry[]> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read registry ${dir}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : String(code)}`, 'a registry is a folder of <Type>.v<N>.json files');
  }
  const out = new Map<string, RegistryEntry[]>();
  const add = (type: string, version: number, file: string) => {
    const list = out.get(type) ?? [];
    const clash = list.find((e) => e.version === version);
    if (clash) throw new UserError(`registry ${dir} has two schemas for ${type} v${version}: ${clash.file} and ${file}`, 'keep one file per (type, version)');
    list.push({ type, version, file, schema: loadSchema(file) });
    out.set(type, list);
  };
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isFile()) {
      const m = REGISTRY_FILE.exec(entry.name);
      if (m) add(m[1]!, Number(m[2]), full);
    } else if (entry.isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) {
        const m = /^v(\d+)\.(?:schema\.)?json$/.exec(name);
        if (m) add(entry.name, Number(m[1]), path.join(full, name));
      }
    }
  }
  if (out.size === 0) throw new UserError(`registry ${dir} holds no schema`, 'name the files <Type>.v<N>.json (e.g. OrderPlaced.v2.json), or <Type>/v<N>.json');
  for (const list of out.values()) list.sort((a, b) => a.version - b.version);
  return out;
}

function parseMode(value: string): CompatMode {
  const mode = value.toUpperCase();
  if (!isMode(mode)) throw new UserError(`unknown compatibility mode ${value}`, `use one of ${MODES.join(', ')}`);
  return mode;
}

const changeRows = (changes: Change[], prefix: (c: Change) => string[] = () => []) =>
  changes.map((c) => [...prefix(c), c.breaking ? 'BREAKING' : 'ok', c.direction, c.type, c.path, c.reason]);

/** The reasons are the point: in a pipe they are printed whole, not cut at 60 characters. */
async function show(output: Exclude<OutputMode, 'json'>, tables: TableData[]): Promise<void> {
  if (output === 'tty') return printTables(output, tables);
  process.stdout.write(tables.map((t) => plainTable(t, 400)).join('\n'));
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
  const result = checkPair(loadSchema(flags.old), loadSchema(flags.new), mode);
  const breaking = result.changes.filter((c) => c.breaking).length;
  if (flags.output === 'json') printJson({ compatible: result.compatible, mode, old: flags.old, new: flags.new, changes: result.changes });
  else {
    const table: TableData = {
      title: `${flags.new} against ${flags.old} (${mode}): ${result.compatible ? 'compatible' : `INCOMPATIBLE, ${breaking} breaking change(s)`}`,
      columns: ['verdict', 'reading', 'change', 'path', 'why'],
      rows: changeRows(result.changes),
      note: result.changes.length === 0 ? 'no differences' : undefined,
    };
    await show(flags.output, [table]);
  }
  if (!result.compatible) throw new CheckFailed(`incompatible under ${mode}: ${breaking} breaking change(s)`);
}

async function runRegistry(dir: string, mode: CompatMode, output: OutputMode): Promise<void> {
  const registry = loadRegistry(dir);
  const types: { type: string; versions: number[]; compatible: boolean }[] = [];
  const changes: (Change & { subject: string; version: number; against: number })[] = [];
  for (const [type, versions] of registry) {
    const checks = checkVersions(versions, mode);
    types.push({ type, versions: versions.map((v) => v.version), compatible: checks.every((c) => c.compatible) });
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
