/**
 * The rule catalog: the built-in packs (src/packs/<pack>/: pack.json, rules/*.sql,
 * views/*.sql, schemas/*.json) and the user's rule folder (--rules DIR). Everything is read
 * and validated here, before any SQL runs: an invalid file stops the audit with its file,
 * field and reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { parseEventSchema, type EventSchema } from './json-schema.js';
import { parseParamValue } from './params.js';
import { RuleFileError, parseRule, parseSqlFile, parseView, type Rule, type View } from './rule-file.js';

export interface Pack {
  id: string;
  title: string;
  description: string;
  /** Event types the pack speaks; empty for the core pack (any log). */
  vocabulary: string[];
  /** The pack's rules run when at least this share of the log's events use its vocabulary. */
  minShare: number;
  /**
   * Defaults the pack sets for other rules' parameters while it is in force ("rule.param" →
   * value), e.g. the trading pack's 1 ms clock tolerance (MiFID II RTS 25); --param wins.
   */
  params: Record<string, string>;
  /**
   * `market-data`: the pack speaks what a venue publishes (order-book messages), where the
   * rules of other packs about an order's saga do not apply; `events` (default) otherwise.
   */
  kind: 'events' | 'market-data';
  dir: string;
  schemas: EventSchema[];
}

export interface Catalog {
  packs: Pack[];
  rules: Rule[];
  views: Map<string, View>;
  schemas: EventSchema[];
  /** Files from --rules: their SQL errors are the user's to fix (exit 2), not evtrail's bugs. */
  userFiles: Set<string>;
}

/**
 * Views the runner makes itself (they depend on the command line or on the schemas), which
 * rules and views can use like the ones in files.
 */
export const GENERATED_VIEWS: Record<string, string> = {
  audit_events:
    'the events the rules look at: the first occurrence of every id (redeliveries and conflicting copies left out), of the streams with an event in --since/--until (all streams without them)',
  audit_all_events: 'the first occurrence of every id in the whole store, for lookups (a cause before --since is still found)',
  audit_window: 'one row: since, until (NULL when not given) and log_end, the time of the last event in the store',
  audit_types: 'type, schema_version, events: what the audited events are made of (one row per type and version)',
  audit_known_types: 'type, pack: the vocabulary of the packs in force, and the types that have a registered schema',
  audit_schema_problems:
    'seq, id, stream, ts, type, schema_version, problems: the events that break the registered JSON Schema of their type and version (or whose version has none), all checked in one pass over data',
};

const packSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be kebab-case'),
    title: z.string().min(1),
    description: z.string().min(1),
    vocabulary: z.array(z.string().min(1)),
    minShare: z.number().gt(0).max(1).default(0.5),
    params: z.record(z.string(), z.string()).default({}),
    kind: z.enum(['events', 'market-data']).default('events'),
  })
  .strict();

/** src/packs, from src/audit (tests, tsx) or from dist/audit (the built CLI). */
export function builtinPacksDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '..', 'packs'), path.resolve(here, '..', '..', 'src', 'packs')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'core', 'pack.json')));
  if (!found) throw new Error(`the built-in rule packs are missing (looked in ${candidates.join(', ')})`);
  return found;
}

/** How a file is named in messages: relative to the working folder when inside it. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function fileError(error: unknown): never {
  if (error instanceof RuleFileError) {
    throw new UserError(error.message, 'fix the file; docs/rules.md (in the evtrail package) describes the rule format');
  }
  throw error;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${shown(file)} (${(error as NodeJS.ErrnoException).code ?? firstWord(error)})`, 'check the file and its permissions');
  }
}

function firstWord(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** *.sql files under a folder (sorted, recursive). */
function sqlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sqlFiles(full));
    else if (entry.name.endsWith('.sql')) out.push(full);
  }
  return out;
}

/** A .sql file is a view when its header names one (`-- view: …`), else a rule. */
function loadSqlFile(file: string): Rule | View {
  const name = shown(file);
  const text = readText(file);
  try {
    const isView = parseSqlFile(name, text).entries.some((e) => e.key === 'view');
    return isView ? parseView(name, text) : parseRule(name, text);
  } catch (error) {
    fileError(error);
  }
}

function isView(x: Rule | View): x is View {
  return !('severity' in x);
}

function loadPack(dir: string): { pack: Pack; rules: Rule[]; views: View[] } {
  const file = path.join(dir, 'pack.json');
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${shown(file)}: not valid JSON (${firstWord(error)})`, 'fix the pack file');
  }
  const parsed = packSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${shown(file)}: ${issue.path.join('.') || 'pack'}: ${issue.message}`, 'fix the pack file');
  }
  const schemas: EventSchema[] = [];
  const schemaDir = path.join(dir, 'schemas');
  if (fs.existsSync(schemaDir)) {
    for (const name of fs.readdirSync(schemaDir).filter((f) => f.endsWith('.json')).sort()) {
      const full = path.join(schemaDir, name);
      try {
        schemas.push(parseEventSchema(shown(full), JSON.parse(readText(full))));
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(`${shown(full)}: ${firstWord(error)}`, 'fix the schema file (docs/rules.md in the evtrail package lists what is supported)');
      }
    }
  }
  const pack: Pack = { ...parsed.data, dir, schemas };
  const rules: Rule[] = [];
  const views: View[] = [];
  for (const f of [...sqlFiles(path.join(dir, 'views')), ...sqlFiles(path.join(dir, 'rules'))]) {
    const item = loadSqlFile(f);
    if (isView(item)) views.push(item);
    else {
      if (pack.id !== 'core') {
        if (item.pack !== undefined && item.pack !== pack.id) {
          throw new UserError(`${item.file}: pack: ${item.pack}, but the file is in the ${pack.id} pack`, `say "-- pack: ${pack.id}" or move the file`);
        }
        item.pack = pack.id;
      }
      rules.push(item);
    }
  }
  return { pack, rules, views };
}

export interface LoadOptions {
  /** The user's rule folder (--rules): rules and views in *.sql files, any depth. */
  rulesDir?: string;
  /** Another place for the built-in packs (tests). */
  packsDir?: string;
}

/** Reads and checks the whole catalog. Throws UserError (exit 2) on any invalid file. */
export function loadCatalog(options: LoadOptions = {}): Catalog {
  const root = options.packsDir ?? builtinPacksDir();
  const packDirs = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, 'pack.json')))
    .map((d) => path.join(root, d.name))
    .sort((a, b) => (path.basename(a) === 'core' ? -1 : path.basename(b) === 'core' ? 1 : a.localeCompare(b)));
  const packs: Pack[] = [];
  const rules: Rule[] = [];
  const views = new Map<string, View>();
  const userFiles = new Set<string>();
  const addView = (v: View) => {
    const other = views.get(v.id);
    if (other || v.id in GENERATED_VIEWS) {
      throw new UserError(`${v.file}: view: ${v.id} is already defined${other ? ` in ${other.file}` : ' by evtrail'}`, 'give the view another name');
    }
    views.set(v.id, v);
  };
  const addRule = (r: Rule) => {
    const other = rules.find((x) => x.id === r.id);
    if (other) throw new UserError(`${r.file}: id: ${r.id} is already defined in ${other.file}`, 'give the rule another id');
    rules.push(r);
  };
  for (const dir of packDirs) {
    const loaded = loadPack(dir);
    if (packs.some((p) => p.id === loaded.pack.id)) throw new UserError(`${shown(dir)}: pack ${loaded.pack.id} is defined twice`, 'rename one of the packs');
    packs.push(loaded.pack);
    loaded.views.forEach(addView);
    loaded.rules.forEach(addRule);
  }
  if (options.rulesDir !== undefined) {
    const dir = options.rulesDir;
    if (!fs.existsSync(dir)) throw new UserError(`--rules ${dir}: no such folder`, 'pass the folder that holds your *.sql rule files');
    const files = fs.statSync(dir).isDirectory() ? sqlFiles(dir) : [dir];
    if (files.length === 0) throw new UserError(`--rules ${dir}: no *.sql files in it`, 'a rule is a .sql file with a header; see docs/rules.md in the evtrail package');
    for (const f of files) {
      const item = loadSqlFile(f);
      userFiles.add(item.file);
      if (isView(item)) addView(item);
      else addRule(item);
    }
  }
  const schemas = packs.flatMap((p) => p.schemas);
  const seen = new Map<string, string>();
  for (const s of schemas) {
    const key = `${s.type} v${s.version}`;
    const other = seen.get(key);
    if (other) throw new UserError(`${s.file}: a schema for ${key} is already defined in ${other}`, 'keep one schema per type and version');
    seen.set(key, s.file);
  }
  checkReferences(packs, rules, views);
  checkPackParams(packs, rules);
  return { packs, rules, views, schemas, userFiles };
}

/** A pack's parameter defaults name a rule and parameter that exist, with a value of its type. */
function checkPackParams(packs: Pack[], rules: Rule[]): void {
  for (const p of packs) {
    const file = shown(path.join(p.dir, 'pack.json'));
    for (const [key, raw] of Object.entries(p.params)) {
      const [id, name] = key.split('.', 2) as [string, string | undefined];
      const param = rules.find((r) => r.id === id)?.params.find((x) => x.name === name);
      if (!param) throw new UserError(`${file}: params: ${key} names no rule parameter`, 'write "rule-id.parameter": "value" (evtrail audit --list)');
      const value = parseParamValue(param.type, raw);
      if ('error' in value) throw new UserError(`${file}: params: ${key}: ${value.error}`, `${key} is a ${param.type}`);
    }
  }
}

/** Every `uses` names a view that exists, views do not use each other in a circle, packs exist. */
function checkReferences(packs: Pack[], rules: Rule[], views: Map<string, View>): void {
  const known = [...Object.keys(GENERATED_VIEWS), ...views.keys()];
  const check = (file: string, uses: string[]) => {
    for (const u of uses) {
      if (!known.includes(u)) throw new UserError(`${file}: uses: unknown view ${u}`, `known views: ${known.join(', ')}`);
    }
  };
  for (const v of views.values()) check(v.file, v.uses);
  for (const r of rules) {
    check(r.file, r.uses);
    if (r.pack !== undefined && !packs.some((p) => p.id === r.pack)) {
      throw new UserError(`${r.file}: pack: unknown pack ${r.pack}`, `packs: ${packs.map((p) => p.id).join(', ')}`);
    }
  }
  // A circle would never finish building.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]) => {
    const v = views.get(id);
    if (!v || state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new UserError(`${v.file}: uses: views use each other in a circle (${[...trail, id].join(' → ')})`, 'break the circle');
    state.set(id, 'visiting');
    for (const u of v.uses) visit(u, [...trail, id]);
    state.set(id, 'done');
  };
  for (const id of views.keys()) visit(id, []);
}

/**
 * The views a set of rules needs, each after the views it uses (build order), generated views
 * included (by id).
 */
export function viewOrder(rules: Rule[], views: Map<string, View>): string[] {
  const order: string[] = [];
  const add = (id: string) => {
    if (order.includes(id)) return;
    views.get(id)?.uses.forEach(add);
    order.push(id);
  };
  for (const r of rules) r.uses.forEach(add);
  return order;
}
