/**
 * Ingest keeps the vocabulary mapping (src/packs/vocabulary-map.ts) in the store: the config's
 * `vocabulary` section, resolved against the names the store now has (its types, and the
 * top-level data fields of events whose type maps to a pack's), written to evtrail_meta so
 * that replay, trace and audit read through it without being told again. A config without the
 * section leaves the stored mapping as it is, resolved again for the events just added (new
 * names that `auto` matches).
 */
import { sqlString } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { VOCABULARY_META_KEY, packNames, parseStoredVocabulary, resolveVocabulary, type Vocabulary, type VocabularyConfig } from '../packs/vocabulary-map.js';

/** Events whose data fields are looked at for `auto` (top-level keys; a sample is enough for a schema). */
const FIELD_SAMPLE = 200_000;

export async function keepVocabulary(store: Store, config: VocabularyConfig | undefined): Promise<Vocabulary | null> {
  const stored = parseStoredVocabulary((await store.all(`SELECT value FROM evtrail_meta WHERE key = ${sqlString(VOCABULARY_META_KEY)}`))[0]?.value);
  const declared = config ?? stored?.declared;
  if (!declared) return null;
  let storeTypes: string[] = [];
  let storeFields: string[] = [];
  if (declared.auto) {
    storeTypes = (await store.all(`SELECT DISTINCT type FROM events WHERE type IS NOT NULL`)).map((r) => String(r.type));
    // The fields of events that are (or map to) a pack's type.
    const probe = resolveVocabulary(declared, storeTypes, []);
    const packTypes = new Set(packNames().types);
    const relevant = storeTypes.filter((t) => packTypes.has(t) || t in probe.types);
    if (relevant.length > 0) {
      storeFields = (await store.all(`SELECT DISTINCT unnest(json_keys(data)) AS k FROM (
          SELECT data FROM events WHERE type IN (${relevant.map(sqlString).join(', ')}) AND json_type(data) = 'OBJECT' LIMIT ${FIELD_SAMPLE})`)).map((r) => String(r.k));
    }
  }
  const vocabulary = resolveVocabulary(declared, storeTypes, storeFields);
  await store.run(`INSERT OR REPLACE INTO evtrail_meta VALUES (${sqlString(VOCABULARY_META_KEY)}, $v)`, { v: JSON.stringify(vocabulary) });
  return vocabulary;
}
