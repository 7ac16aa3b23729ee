import fs from 'node:fs';
import { z } from 'zod';
import { ENVELOPE_FIELDS, parsePath, type EnvelopeField } from '../core/envelope.js';
import { UserError } from '../core/errors.js';

/** evtrail.config.json: defaults for ingest, overridden by the command line. */
export const configSchema = z
  .object({
    preset: z.string().optional(),
    format: z.string().optional(),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').optional(),
    map: z.record(z.enum(ENVELOPE_FIELDS), z.string().min(1)).optional(),
  })
  .strict();

export type IngestConfig = z.infer<typeof configSchema>;

export const CONFIG_FILE = 'evtrail.config.json';

/** Reads a config file; an error names the file, the field and what was expected. */
export function loadConfig(file: string, explicit: boolean): IngestConfig {
  if (!fs.existsSync(file)) {
    if (explicit) throw new UserError(`no config file ${file}`, 'check the --config path');
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, 'fix the file or remove it');
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new UserError(`${file}: ${where}: ${issue.message}`, `fields: preset, format, date, map {${ENVELOPE_FIELDS.join(', ')}}`);
  }
  for (const [field, p] of Object.entries(parsed.data.map ?? {})) checkPath(p, `${file}: map.${field}`);
  return parsed.data;
}

/** Parses --map field=path entries. */
export function parseMapArgs(entries: readonly string[]): Partial<Record<EnvelopeField, string>> {
  const out: Partial<Record<EnvelopeField, string>> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const field = entry.slice(0, eq).trim();
    const p = entry.slice(eq + 1).trim();
    if (eq < 0 || !p) throw new UserError(`--map ${entry}: expected field=path`, 'e.g. --map id=event.uuid --map ts=occurred');
    if (!(ENVELOPE_FIELDS as readonly string[]).includes(field)) {
      throw new UserError(`--map ${entry}: unknown field "${field}"`, `fields: ${ENVELOPE_FIELDS.join(', ')}`);
    }
    checkPath(p, `--map ${entry}`);
    out[field as EnvelopeField] = p;
  }
  return out;
}

function checkPath(p: string, where: string): void {
  try {
    parsePath(p);
  } catch {
    throw new UserError(`${where}: "${p}" is not a path`, 'write keys separated by dots, e.g. metadata.correlationId');
  }
}
