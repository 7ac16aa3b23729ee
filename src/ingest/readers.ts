import fs from 'node:fs';
import { UserError, firstLine } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { sqlString } from '../store/sql.js';
import type { Format } from './formats.js';

/**
 * Readers turn one file (or the new part of one) into rows of one column, `line`: the raw
 * NDJSON line (NULL for an empty one), or for JSON, CSV and Parquet the record as JSON text.
 * All parsing happens inside DuckDB. The rows go straight into a temp table through a
 * projection (usually the mapping to the envelope, so the file is materialised once); the
 * table's row ids follow file order, and `numberRows` turns them into `pos`, the 1-based line /
 * row / element number in the whole source. What the reader itself cannot read (invalid UTF-8,
 * a CSV row with too many fields) goes to the temp table `stage_rejects(pos, line, reason)`;
 * `stage_dropped(d)` holds the position of every line that produced no row (those rejects, and
 * the empty lines DuckDB's CSV reader skips).
 */
export interface ReadRequest {
  file: string;
  format: Format;
  /** Units (lines, rows) of the source before this part: added to every pos. */
  posOffset: number;
  /** CSV without a header line: the column names (a preset's, or a stored header for an appended part). */
  csvColumns?: readonly string[];
  /** Whether this CSV part starts with its header line. */
  csvHeader?: boolean;
  /** Display name for errors. */
  displayName: string;
}

/** Lines up to this long are read; longer ones are rejected. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

const CSV_LIMITS = `max_line_size=${MAX_LINE_BYTES}, buffer_size=${2 * MAX_LINE_BYTES}`;
const REJECTS = `store_rejects=true, rejects_table='evt_reader_rejects', rejects_scan='evt_reader_scans', rejects_limit=0`;

/** The SELECT reading a part, one row per line or record, column `line`. */
function readSql(req: ReadRequest): string {
  const file = sqlString(req.file);
  switch (req.format) {
    case 'ndjson':
      // Each line as one VARCHAR: a delimiter that valid JSON never contains unescaped, no quoting.
      return `SELECT line FROM read_csv(${file}, columns={'line': 'VARCHAR'}, header=false,
        delim=E'\\x1F', quote='', escape='', auto_detect=false, strict_mode=false, ${CSV_LIMITS}, ${REJECTS})`;
    case 'json':
      return `SELECT json::VARCHAR AS line FROM read_json(${file}, format='auto', records=false,
        columns={'json': 'JSON'}, maximum_object_size=${MAX_LINE_BYTES})`;
    case 'csv': {
      const columns = req.csvColumns
        ? `columns={${req.csvColumns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ')}}, auto_detect=false, delim=',', quote='"', escape='"',`
        : '';
      // strict_mode: a row with more fields than the header is a reject (TOO MANY COLUMNS); not
      // strict, DuckDB drops the extra fields without a word. null_padding=false makes a row
      // with fewer fields one too (MISSING COLUMNS) rather than NULLs in the missing ones.
      return `SELECT to_json(t)::VARCHAR AS line FROM read_csv(${file}, ${columns}
        header=${req.csvHeader ? 'true' : 'false'}, all_varchar=true, strict_mode=true, null_padding=false,
        ${CSV_LIMITS}, ${REJECTS}) t`;
    }
    case 'parquet':
      return `SELECT to_json(t)::VARCHAR AS line FROM read_parquet(${file}) t`;
  }
}

/**
 * Reads a part into the temp table `table`: `project` receives a relation `(pos, line)` (pos
 * still NULL: it is known only once the rows are stored) and returns the query to store.
 */
export async function readInto(store: Store, req: ReadRequest, table: string, project: (input: string) => string): Promise<void> {
  await store.run(`DROP TABLE IF EXISTS evt_reader_rejects; DROP TABLE IF EXISTS evt_reader_scans;`);
  try {
    await store.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${project(`(SELECT NULL::BIGINT AS pos, line FROM (${readSql(req)}))`)}`);
  } catch (error) {
    throw readError(req, error);
  }
}

/**
 * Numbers the rows of `table` (filled by readInto) and creates the view `<table>_v` with the
 * right `pos` in place of the NULL one; fills stage_rejects and stage_dropped.
 */
export async function numberRows(store: Store, req: ReadRequest, table: string): Promise<void> {
  const headerLines = req.format === 'csv' && req.csvHeader ? 1 : 0;
  const readerRejects =
    req.format === 'ndjson' || req.format === 'csv'
      ? Number((await store.all(`SELECT count(*) AS n FROM evt_reader_rejects`))[0]?.n ?? 0)
      : 0;
  // DuckDB's CSV reader skips empty lines silently; NDJSON's single-column read keeps them.
  const emptyLines = req.format === 'csv' && !req.file.endsWith('.gz') ? await findEmptyLines(req.file) : [];
  const offset = req.posOffset + headerLines;
  // Row ids follow insertion order, i.e. file order; inside a transaction they start from a
  // large base instead of 0, so positions are taken relative to the first one.
  const firstRowId = String((await store.all(`SELECT coalesce(min(rowid), 0) AS r FROM ${table}`))[0]?.r ?? 0);
  await store.run(`CREATE OR REPLACE TEMP TABLE stage_rejects (pos BIGINT, line VARCHAR, reason VARCHAR);
    CREATE OR REPLACE TEMP TABLE stage_dropped (d BIGINT);`);
  if (readerRejects > 0) {
    await store.run(`INSERT INTO stage_rejects
      SELECT DISTINCT ON (line) line::BIGINT AS pos, csv_line AS line,
        CASE
          WHEN error_type = 'INVALID ENCODING' THEN 'invalid UTF-8'
          -- A ragged CSV row: how many fields it has against the header's (or the preset's).
          -- DuckDB stops counting at the first field too many, so those are counted here: the
          -- delimiters left once the quoted values are taken out, plus one.
          WHEN error_type = 'TOO MANY COLUMNS' AND regexp_matches(error_message, 'Expected Number of Columns: \\d+')
            THEN 'too many fields: expected ' || regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1) || ', got '
              || len(string_split(CASE WHEN s.quote IN ('"', '''') THEN regexp_replace(r.csv_line, s.quote || '(?:[^' || s.quote || ']|' || s.quote || s.quote || ')*' || s.quote, '', 'g') ELSE r.csv_line END, s.delimiter))
          WHEN error_type = 'MISSING COLUMNS' AND regexp_matches(error_message, 'Expected Number of Columns: \\d+ Found: \\d+')
            THEN 'too few fields: expected ' || regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1)
              || ', got ' || regexp_extract(error_message, 'Found: (\\d+)', 1)
          ELSE lower(error_type) || ': ' || error_message
        END AS reason
      FROM evt_reader_rejects r LEFT JOIN evt_reader_scans s USING (scan_id) ORDER BY line`);
  }
  if (readerRejects === 0 && emptyLines.length === 0) {
    await store.run(`CREATE OR REPLACE TEMP VIEW ${table}_v AS
      SELECT * REPLACE (rowid - ${firstRowId} + 1 + ${offset} AS pos) FROM ${table}`);
    return;
  }
  // The reader dropped some lines (rejects, empty CSV lines): shift each kept row's number by
  // the dropped lines before it. With dropped lines d_1 < d_2 < … (counted after the header),
  // a_i = d_i - i rows were kept before the i-th; a kept row with index k (0-based) comes after
  // every dropped line with a_i <= k.
  await store.run(`INSERT INTO stage_dropped
    SELECT DISTINCT pos - ${headerLines} AS d FROM stage_rejects
    ${emptyLines.length ? `UNION SELECT unnest([${emptyLines.join(',')}]::BIGINT[]) - ${headerLines}` : ''}`);
  await store.run(`CREATE OR REPLACE TEMP TABLE ${table}_shift AS
    SELECT a, max(n) AS n FROM (
      SELECT d - row_number() OVER (ORDER BY d) AS a, row_number() OVER (ORDER BY d) AS n FROM stage_dropped
    ) GROUP BY a`);
  await store.run(`UPDATE stage_rejects SET pos = pos + ${req.posOffset};
    UPDATE stage_dropped SET d = d + ${offset};`);
  await store.run(`CREATE OR REPLACE TEMP VIEW ${table}_v AS
    SELECT s.* EXCLUDE (rid) REPLACE (s.rid + 1 + coalesce(sh.n, 0) + ${offset} AS pos)
    FROM (SELECT rowid - ${firstRowId} AS rid, * FROM ${table}) s ASOF LEFT JOIN ${table}_shift sh ON s.rid >= sh.a`);
}

/**
 * Column names of a CSV file with a header (DuckDB's sniffer reads only a sample), sniffed as
 * the read sniffed it: strict, and ignoring errors as store_rejects does (without that, a
 * ragged row in a small sample can make the sniffer take it for the header).
 */
export async function csvHeader(store: Store, req: ReadRequest): Promise<string[]> {
  const rows = await store.all(`DESCRIBE SELECT * FROM read_csv(${sqlString(req.file)}, header=true, all_varchar=true,
    strict_mode=true, null_padding=false, ignore_errors=true, ${CSV_LIMITS})`);
  return rows.map((r) => String(r.column_name));
}

/** 1-based numbers of the empty lines of a file (a byte scan, no parsing). */
export async function findEmptyLines(file: string): Promise<number[]> {
  const out: number[] = [];
  let line = 1;
  let atLineStart = true;
  let sawCr = false;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        if (atLineStart) out.push(line);
        line++;
        atLineStart = true;
        sawCr = false;
      } else if (b === 0x0d && atLineStart && !sawCr) {
        sawCr = true;
      } else {
        atLineStart = false;
      }
    }
  }
  return out;
}

function readError(req: ReadRequest, error: unknown): UserError {
  const text = firstLine(error);
  if (req.format === 'json') {
    return new UserError(
      `${req.displayName} is not valid JSON (${text.replace(/^.*?Error: /, '')})`,
      'a .json source must be one event or an array of events; for one event per line use .ndjson or --format ndjson',
    );
  }
  if (req.format === 'parquet') {
    return new UserError(`${req.displayName} is not a readable Parquet file (${text.replace(/^.*?Error: /, '')})`, 'check the file, or pass --format');
  }
  return new UserError(`cannot read ${req.displayName}: ${text.replace(/^.*?Error: /, '')}`, 'check the file, or pass --format');
}
