import { builtinMacrosNamed, replayMacrosSql } from '../replay/macros.js';

/**
 * SQL macros evtrail defines on every connection (TEMP: they are code, not data, so a store
 * always gets the current version, read-only or not).
 *
 * evt_ts(text): a source's time as TIMESTAMP_NS, never rounded: ISO 8601 / RFC 3339 with up to
 * nine fractional digits and an optional offset (none means UTC), or a number of seconds,
 * milliseconds, microseconds or nanoseconds since the epoch, told apart by its number of
 * integer digits (≤ 11 s, ≤ 14 ms, ≤ 17 µs, else ns); a fraction is kept to the nanosecond and
 * one finer than that is refused (NULL) rather than rounded, and so is an offset beyond ±23:59.
 */
const BASE_MACROS_SQL = `
CREATE OR REPLACE TEMP MACRO evt_epoch_digits(s) AS
  CASE WHEN length(split_part(s, '.', 1)) <= 11 THEN 9 WHEN length(split_part(s, '.', 1)) <= 14 THEN 6
       WHEN length(split_part(s, '.', 1)) <= 17 THEN 3 ELSE 0 END;
CREATE OR REPLACE TEMP MACRO evt_epoch_ns(s) AS
  CASE WHEN length(split_part(s, '.', 2)) > evt_epoch_digits(s) THEN NULL
  ELSE make_timestamp_ns((split_part(s, '.', 1)::HUGEINT * (CASE evt_epoch_digits(s) WHEN 9 THEN 1000000000 WHEN 6 THEN 1000000 WHEN 3 THEN 1000 ELSE 1 END)
    + coalesce(nullif(rpad(split_part(s, '.', 2), evt_epoch_digits(s), '0'), '')::HUGEINT, 0))::BIGINT) END;
CREATE OR REPLACE TEMP MACRO evt_ts(s) AS CASE
  -- DuckDB's cast would drop a tenth fractional digit and accept an offset of +25:00. The
  -- regex runs only where either can be: more than ten characters after the '.', or a sign
  -- six from the end (the common "….123456789Z" skips it).
  WHEN CASE WHEN strlen(s) - strpos(s, '.') > 10 OR substr(s, -6, 1) IN ('+', '-') OR substr(s, -5, 1) IN ('+', '-')
         THEN regexp_matches(s, '[.,][0-9]{9}[0-9]*[1-9]|[+-](2[4-9]|[3-9][0-9]):?[0-9]{2}$') ELSE false END THEN NULL
  ELSE coalesce(
    TRY_CAST(s AS TIMESTAMP_NS),
    CASE WHEN regexp_full_match(s, '[0-9]{1,19}(\\.[0-9]{1,9})?') THEN try(evt_epoch_ns(s)) END)
END;

-- ISO 8601 UTC text of a TIMESTAMP_NS with all nine fractional digits.
CREATE OR REPLACE TEMP MACRO evt_iso(t) AS
  strftime(t::TIMESTAMP, '%Y-%m-%dT%H:%M:%S') || '.' || lpad(((epoch_ns(t) % 1000000000 + 1000000000) % 1000000000)::VARCHAR, 9, '0') || 'Z';
`;

export const MACROS_SQL = BASE_MACROS_SQL + replayMacrosSql();

/**
 * The macros a user's query needs: evtrail's own and the table macros of the built-ins it names
 * (see builtinMacrosNamed), for `evtrail query`, which runs one statement per process.
 */
export function macrosSqlFor(sql: string): string {
  return BASE_MACROS_SQL + replayMacrosSql(builtinMacrosNamed(sql));
}
