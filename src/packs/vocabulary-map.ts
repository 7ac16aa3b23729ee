/**
 * The configurable vocabulary (docs/architecture.md §4, "Vocabulary mapping"): a log whose
 * producers spell the packs' names differently (.NET's `OrderPlaced` with `{"OrderId": …,
 * "Quantity": …}`, a Python service's `order_placed`) is read through a mapping from its names to
 * the packs' own, so the trading rules, sagas, projections and trace keys apply to it.
 *
 * Declared in evtrail.config.json under `vocabulary` (types, fields, auto); ingest resolves it
 * against the store's own names and keeps the result in the store (evtrail_meta 'vocabulary'),
 * so every later command reads the log through it without being told again. The mapping is
 * applied when the events are read (src/store/lens.ts), never written into them: the events
 * stay as the source had them, their hashes and the chain unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../core/errors.js';

/** The `vocabulary` section of evtrail.config.json: the store's names → the packs' names. */
export const vocabularyConfigSchema = z
  .object({
    /** Event type as the log spells it → the pack's type, e.g. {"order_placed": "OrderPlaced"}. */
    types: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** data field as the log spells it → the pack's field, e.g. {"Quantity": "qty"}. */
    fields: z.record(z.string().min(1), z.string().min(1)).optional(),
    /**
     * Also match names that differ from a pack's only in case and separators (OrderId, order_id,
     * ORDER-ID → orderId). The matches are resolved at ingest and shown by info and audit.
     */
    auto: z.boolean().optional(),
  })
  .strict();

export type VocabularyConfig = z.infer<typeof vocabularyConfigSchema>;

/** A resolved mapping, as the store keeps it. */
export interface Vocabulary {
  /** Store's type → pack's type. */
  types: Record<string, string>;
  /** Store's data field → pack's field (at any depth of data). */
  fields: Record<string, string>;
  /** Which of the above came from `auto` rather than the explicit map. */
  automatic: { types: string[]; fields: string[] };
  /** What the config said (resolved again against the store at each ingest). */
  declared: VocabularyConfig;
}

export const VOCABULARY_META_KEY = 'vocabulary';

/** The packs' names: every type of a pack's vocabulary, every top-level field of its schemas. */
export interface PackNames {
  types: string[];
  fields: string[];
}

function packsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/packs (tests) or dist/packs, whose .json files stay in src/packs (package.json files).
  const candidates = [here, path.resolve(here, '..', '..', 'src', 'packs')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'core', 'pack.json')));
  if (!found) throw new Error(`the built-in packs are missing (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: PackNames | undefined;

export function packNames(): PackNames {
  if (cached) return cached;
  const dir = packsDir();
  const types = new Set<string>();
  const fields = new Set<string>();
  for (const pack of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, pack, 'pack.json');
    if (!fs.existsSync(file)) continue;
    for (const t of (JSON.parse(fs.readFileSync(file, 'utf8')) as { vocabulary?: string[] }).vocabulary ?? []) types.add(t);
    const schemas = path.join(dir, pack, 'schemas');
    if (!fs.existsSync(schemas)) continue;
    for (const s of fs.readdirSync(schemas).filter((f) => f.endsWith('.json')).sort()) {
      const props = (JSON.parse(fs.readFileSync(path.join(schemas, s), 'utf8')) as { properties?: Record<string, unknown> }).properties ?? {};
      for (const f of Object.keys(props)) fields.add(f);
    }
  }
  cached = { types: [...types], fields: [...fields] };
  return cached;
}

/** A name without case and separators: OrderId, order_id, ORDER-ID and orderId are one. */
export function looseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Resolves a declared mapping against the names a store has (its types, its events' top-level
 * data fields): the explicit entries as given (a type must map to a pack's type), then with
 * `auto` each store name that is not a pack's name but loosely equals exactly one.
 */
export function resolveVocabulary(declared: VocabularyConfig, storeTypes: readonly string[], storeFields: readonly string[], pack: PackNames = packNames()): Vocabulary {
  const packTypes = new Set(pack.types);
  for (const [from, to] of Object.entries(declared.types ?? {})) {
    if (!packTypes.has(to)) {
      const near = pack.types.filter((t) => looseName(t).startsWith(looseName(to).slice(0, 5)));
      const examples = (near.length ? near : pack.types.filter((t) => t.startsWith('Order'))).slice(0, 4);
      throw new UserError(`vocabulary.types.${from}: ${JSON.stringify(to)} is not a type of any pack`, `a pack's type, e.g. ${examples.join(', ')} (evtrail audit --list shows the packs)`);
    }
  }
  const types: Record<string, string> = { ...(declared.types ?? {}) };
  const fields: Record<string, string> = { ...(declared.fields ?? {}) };
  const automatic = { types: [] as string[], fields: [] as string[] };
  if (declared.auto) {
    const match = (names: readonly string[], canonical: readonly string[], into: Record<string, string>, auto: string[]) => {
      const own = new Set(canonical);
      const byLoose = new Map<string, string[]>();
      for (const c of canonical) byLoose.set(looseName(c), [...(byLoose.get(looseName(c)) ?? []), c]);
      for (const name of [...new Set(names)].sort()) {
        if (own.has(name) || name in into) continue;
        const hits = byLoose.get(looseName(name));
        if (hits?.length === 1) {
          into[name] = hits[0]!;
          auto.push(name);
        }
      }
    };
    match(storeTypes, pack.types, types, automatic.types);
    match(storeFields, pack.fields, fields, automatic.fields);
  }
  // A name mapped to itself changes nothing.
  for (const m of [types, fields]) for (const [k, v] of Object.entries(m)) if (k === v) delete m[k];
  return { types, fields, automatic, declared };
}

export function isEmptyVocabulary(v: Vocabulary | null | undefined): boolean {
  return !v || (Object.keys(v.types).length === 0 && Object.keys(v.fields).length === 0);
}

export function parseStoredVocabulary(text: unknown): Vocabulary | null {
  if (typeof text !== 'string') return null;
  try {
    const v = JSON.parse(text) as Vocabulary;
    return v && typeof v.types === 'object' && typeof v.fields === 'object' ? v : null;
  } catch {
    return null;
  }
}

/** One line per mapped name, for info and audit: "OrderId → orderId (auto)". */
export function describeVocabulary(v: Pick<Vocabulary, 'types' | 'fields' | 'automatic'>): string[] {
  const auto = (list: string[], name: string) => (list.includes(name) ? ' (auto)' : '');
  return [
    ...Object.entries(v.types).map(([from, to]) => `type ${from} → ${to}${auto(v.automatic.types, from)}`),
    ...Object.entries(v.fields).map(([from, to]) => `data.${from} → data.${to}${auto(v.automatic.fields, from)}`),
  ];
}
