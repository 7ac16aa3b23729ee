/**
 * Keeping numbers' source text through DuckDB's JSON functions.
 *
 * DuckDB parses JSON with yyjson and writes it back from the parsed values: integers (and
 * integers beyond 64 bits, and overflowing reals such as 1e400) come back as written, but a
 * real number comes back as the shortest text of the nearest double: `1.10` as `1.1`, `1e5` as
 * `100000.0`, `123.456789012345678901` as `123.45678901234568`, `0.0000001` as `1e-7`. A
 * record that holds such a number is "protected" before it is parsed: each real number token
 * becomes a JSON string marked with a control character (`1.10` → `"\u0001N:1.10"`), which
 * every JSON function carries through untouched; the JSON text that is stored is then
 * "unprotected" back to the number as written. Records without such numbers (nearly all) are
 * parsed as they are: the test for them is one regular expression over the record text.
 */

/** The marker a protected number's string starts with (U+0001, then `N:`). */
export const NUMBER_MARK = `chr(1) || 'N:'`;

/**
 * Numbers whose text yyjson would write differently (true for some that it would not): an
 * exponent, a fraction of two or more digits ending in 0, sixteen or more digits (a dot
 * between them allowed), four zeros after a dot, or -0.
 *
 * A number starts the text or follows `:` (a member), `,` or `[` (an element), perhaps after
 * whitespace: one expression per such start, each beginning with its one literal character,
 * rather than one expression that may match anywhere. RE2 then skips with memchr from one
 * `:` (`,`, `[`) to the next instead of stepping its automaton through every byte: 0.32 →
 * 0.15 CPU-s over 200k lines of the bench log, one thread (BENCHMARKS.md, issue 15's mapping
 * speed).
 */
const END = String.raw`(?:[,}\]\s]|$)`;
const RESPELLED_AT = String.raw`\s*(?:-0${END}|-?(?:[0-9][0-9.]*[eE]|(?:[0-9]\.?){15}[0-9]|[0-9]*\.(?:[0-9]*[0-9]0${END}|0000)))`;

/**
 * The same, where a number can be: outside every string (the text is scanned from its start, a
 * string at a time). The quick tests above also match inside strings, and strings holding
 * ":00.0000" or sixteen digits are common (nanosecond times "…:00.000000001Z", .NET's
 * "….0000000Z", long ids): each such record would take the exact path, whose protecting
 * regexp_replace costs about 25 µs a record (the stores bench's JetStream mapping, where half
 * the messages' times hold ".0000": 5.9 CPU-s for 200k messages, 3.4 without). So a record the
 * quick tests pick is confirmed by this one pass of RE2's DFA over every byte (+0.05 CPU-s per
 * 200k records when it runs on all of them).
 */
const RESPELLED_OUTSIDE_STRINGS = String.raw`^(?:(?:[^"]|"(?:[^"\\]|\\.)*")*[:,\[])?${RESPELLED_AT}`;

/** SQL: whether the JSON text `text` may hold a number that DuckDB would write differently. */
export function mayRespellSql(text: string): string {
  const at = (start: string) => `regexp_matches(${text}, '${start}${RESPELLED_AT}')`;
  // After `,` or `[` a number is an array's element: text without `[` has none (most records;
  // CASE, not AND: DuckDB evaluates both sides of an AND on every row).
  const quick = `(${at(':')} OR ${at('^')} OR CASE WHEN contains(${text}, '[') THEN ${at(',')} OR ${at(String.raw`\[`)} ELSE false END)`;
  return `CASE WHEN ${quick} THEN regexp_matches(${text}, '${RESPELLED_OUTSIDE_STRINGS}') ELSE false END`;
}

/**
 * SQL: whether a record needs a closer look: it may hold a number DuckDB would re-spell, the
 * text of the mark (inside a string, where it is), or more than MAX_DEPTH opening brackets
 * (counted by splitting, which allocates no copy of the text: a regular expression or replace()
 * over every byte costs 0.3 CPU-s per 200k lines).
 */
export function suspectSql(text: string): string {
  return `(contains(${text}, '\\u0001N:') OR ${mayRespellSql(text)}
    OR len(string_split(${text}, '{')) + len(string_split(${text}, '[')) > ${MAX_DEPTH + 2})`;
}

/**
 * SQL: the JSON text with every real number (a fraction or an exponent) written as a marked
 * string. Strings are matched first, so no number inside a string is touched; raw control
 * characters cannot occur in valid JSON, so chr(1) and chr(2) mark the numbers unambiguously
 * on the way.
 */
export function protectNumbersSql(text: string): string {
  // Groups: a string (kept), a real number, or -0 and the character after it (yyjson reads -0 as 0).
  const pattern = String.raw`("(?:[^"\\]|\\.)*")|(-?[0-9]+(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+))|(-0)([,}\]\s])`;
  const marked = `regexp_replace(${text}, '${pattern}', '\\1' || chr(1) || '\\2\\3' || chr(2) || '\\4', 'g')`;
  return `replace(replace(replace(${marked}, chr(1) || chr(2), ''), chr(1), '"\\u0001N:'), chr(2), '"')`;
}

/** SQL: JSON text (VARCHAR) with the marked strings back as the numbers they were. */
export function unprotectNumbersSql(jsonText: string): string {
  return `regexp_replace(${jsonText}, '"\\\\u0001N:([^"]*)"', '\\1', 'g')`;
}

/** SQL: a text value read from a protected record, a marked number back as its digits. */
export function unprotectTextSql(text: string): string {
  return `CASE WHEN starts_with(${text}, ${NUMBER_MARK}) THEN substr(${text}, 4) ELSE ${text} END`;
}

/** Records nested deeper than this are rejected (DuckDB's json_merge_patch recurses per level). */
export const MAX_DEPTH = 64;

/**
 * SQL: whether the JSON text nests at most MAX_DEPTH levels. Counting brackets is cheap and
 * settles nearly every record; one with that many brackets is measured exactly: strings
 * removed, then the bracket skeleton stripped of its innermost pairs MAX_DEPTH times (each
 * pass removes one level), which leaves nothing when the record is shallow enough.
 */
export function depthOkSql(text: string): string {
  let skeleton = `regexp_replace(regexp_replace(${text}, '${String.raw`"(?:[^"\\]|\\.)*"`}', '', 'g'), '${String.raw`[^\[\]{}]`}', '', 'g')`;
  for (let i = 0; i < MAX_DEPTH; i++) skeleton = `regexp_replace(${skeleton}, '${String.raw`\[\]|\{\}`}', '', 'g')`;
  return `CASE WHEN strlen(${text}) - strlen(replace(replace(${text}, '{', ''), '[', '')) <= ${MAX_DEPTH} THEN true ELSE ${skeleton} = '' END`;
}

/**
 * Duplicate keys below the top level (the top level's are found from its key list, map-sql.ts).
 *
 * DuckDB's JSON functions read the first of two equal keys, JavaScript's JSON.parse (custom
 * projections, upcasters) the last: a record with a key twice in any object is a reject. "The
 * same key" is the same text once escapes are read (`"a"` and `"\u0061"` are one key, as both
 * readers see them); the same key in two sibling objects, in two array elements, or equal to a
 * string value is not a duplicate.
 *
 * The exact test lists the keys of every object of the record (`json_keys(text, '$.**')`, one
 * list per value at every depth; yyjson keeps both of two equal keys) and looks in each for a
 * key at a position after its first: 0.8 CPU-s per 200k records of the bench log, too dear for
 * every record. The quick test looks one level down only: one key list per top-level member
 * (`'$.*'`, or the usual record's data and meta), each checked the same way, each object counted; when the objects counted are all
 * the record's opening braces (besides its own), there is no object deeper (nor an empty one,
 * nor a brace inside a string) and the record is settled. The rest (records with objects two
 * levels down, in arrays, or braces in strings) take the exact test.
 */
const HAS_DUP = `NOT coalesce(list_bool_and(list_transform(l, (k, i) -> list_position(l, k) = i)), true)`;

/**
 * SQL (BOOLEAN): the JSON text `text` (valid, nested at most MAX_DEPTH) has no key twice in an
 * object below its top level. `memberLists`: the record is an object whose top-level keys are
 * all among a few (map-sql.ts's usual record), and this is the list of their values' key lists,
 * each object once (map-sql.ts reads them from the parsed record's JSON members: cheaper than
 * the wildcard over the whole text, 11 of the bench log's 13 members being scalars).
 */
export function nestedKeysOkSql(text: string, memberLists?: string): string {
  return `CASE WHEN ${nestedKeysQuickSql(text, memberLists)} THEN true ELSE ${allKeysOkSql(text, false)} END`;
}

/** SQL (BOOLEAN): the quick test alone (true: settled, no key twice; false: take the exact test). */
export function nestedKeysQuickSql(text: string, memberLists?: string): string {
  const lists = memberLists ?? `json_keys(${text}, '$.*')`;
  // A list with a key twice counts 2^40, more than any record's braces (one of fewer than two
  // keys is not looked into: a scalar's list is empty).
  const counted = `coalesce(list_sum(list_transform(${lists}, l -> CASE WHEN coalesce(len(l), 0) < 2 THEN coalesce(len(l), 0) WHEN ${HAS_DUP} THEN 1099511627776 ELSE 1 END)), 0)`;
  const own = memberLists ? '1' : `starts_with(${text}, '{')::INTEGER`;
  return `(${counted} + ${own} = len(string_split(${text}, '{')) - 1)`;
}

/**
 * SQL (BOOLEAN): no object of the JSON text holds a key twice; `top`: its own keys too
 * (a frame exploded with --each, whose top level is not the event's record).
 */
export function allKeysOkSql(text: string, top: boolean): string {
  const t = top ? `'[' || ${text} || ']'` : text;
  return `coalesce(NOT list_bool_or(list_transform(json_keys(${t}, '$.**'), l -> ${HAS_DUP})), true)`;
}

/** SQL (VARCHAR): the first key found twice in an object of the JSON text (below its top level unless `top`). */
export function nestedDupKeySql(text: string, top: boolean): string {
  const t = top ? `'[' || ${text} || ']'` : text;
  return `flatten(list_transform(json_keys(${t}, '$.**'), l -> list_filter(l, (k, i) -> list_position(l, k) < i)))[1]`;
}
