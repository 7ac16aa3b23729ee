import { CheckFailed, UserError } from '../core/errors.js';
import { plainTable, printJson, printTables, type TableData } from '../cli/render.js';
import type { OutputMode } from '../cli/options.js';
import { checkPair, checkVersions, isMode, MODES, type Change, type CompatMode } from './compat.js';
import { checkAvroPair, isAvroFile, loadAvroSchema } from './avro-schema.js';
import { loadRegistry, loadSchema } from './registry.js';

export interface CompatFlags {
  old?: string;
  new?: string;
  registry?: string;
  mode: string;
  output: OutputMode;
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
  if (isAvroFile(flags.old) || isAvroFile(flags.new)) return runAvroPair(flags.old, flags.new, mode, flags.output);
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

/** Two .avsc files: Avro's resolution rules, and a witness for each reading that breaks. */
async function runAvroPair(oldFile: string, newFile: string, mode: CompatMode, output: OutputMode): Promise<void> {
  if (!isAvroFile(oldFile) || !isAvroFile(newFile)) {
    throw new UserError(`${isAvroFile(oldFile) ? newFile : oldFile} is not an Avro schema (.avsc) while the other one is`, 'compare two schemas of the same format: two .avsc files, or two JSON Schemas');
  }
  const result = checkAvroPair(loadAvroSchema(oldFile), loadAvroSchema(newFile), mode);
  const breaking = result.changes.filter((c) => c.breaking).length;
  if (output === 'json') printJson({ compatible: result.compatible, mode, format: 'avro', old: oldFile, new: newFile, changes: result.changes, witnesses: result.witnesses });
  else {
    const tables: TableData[] = [{
      title: `${newFile} against ${oldFile} (Avro, ${mode}): ${result.compatible ? 'compatible' : `INCOMPATIBLE, ${breaking} breaking change(s)`}`,
      columns: ['verdict', 'reading', 'change', 'path', 'why'],
      rows: result.changes.map((c) => [c.breaking ? 'BREAKING' : 'ok', c.direction, c.type, c.path, c.reason]),
      note: result.changes.length === 0 ? 'no differences' : undefined,
    }];
    if (result.witnesses.length > 0) {
      tables.push({
        title: 'witnesses: a value one schema writes and the other cannot read',
        columns: ['reading', 'value written', 'read error'],
        rows: result.witnesses.map((w) => [w.direction, w.value, w.error]),
      });
    }
    await show(output, tables);
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
