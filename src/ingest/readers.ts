import { UserError, firstLine } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { sqlString } from '../store/sql.js';
import type { Format } from './formats.js';

/**
 * Readers turn one file (or the new part of one) into the temp view `stage(pos, line)`: one row
 * per line or record, `pos` the 1-based line / row / element number in the whole source, `line`
 * the record as text (NULL or blank for an empty line) (the raw NDJSON line; for JSON, CSV and Parquet the record as JSON). What the
 * reader itself cannot read (invalid UTF-8, a CSV row with too many fields) goes to the temp
 * table `stage_rejects(pos, line, reason)`. All parsing happens inside DuckDB.
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

export async function stageRecords(store: Store, req: ReadRequest): Promise<void> {
  await store.run(`DROP TABLE IF EXISTS evt_reader_rejects; DROP TABLE IF EXISTS evt_reader_scans;`);
  let headerLines = 0;
  try {
    switch (req.format) {
      case 'ndjson':
        // Each line as one VARCHAR: a delimiter that valid JSON never contains unescaped, no quoting.
        await store.run(`CREATE OR REPLACE TEMP TABLE stage_raw AS
          SELECT line FROM read_csv(${sqlString(req.file)}, columns={'line': 'VARCHAR'}, header=false,
            delim=E'\\x1F', quote='', escape='', auto_detect=false, strict_mode=false, ${CSV_LIMITS}, ${REJECTS})`);
        break;
      case 'json': {
        await store.run(`CREATE OR REPLACE TEMP TABLE stage_raw AS
          SELECT json::VARCHAR AS line FROM read_json(${sqlString(req.file)}, format='auto', records=false,
            columns={'json': 'JSON'}, maximum_object_size=${MAX_LINE_BYTES})`);
        break;
      }
      case 'csv': {
        const columns = req.csvColumns
          ? `columns={${req.csvColumns.map((c) => `${sqlString(c)}: 'VARCHAR'`).join(', ')}}, auto_detect=false, delim=',', quote='"', escape='"',`
          : '';
        headerLines = req.csvHeader ? 1 : 0;
        await store.run(`CREATE OR REPLACE TEMP TABLE stage_raw AS
          SELECT to_json(t)::VARCHAR AS line FROM read_csv(${sqlString(req.file)}, ${columns}
            header=${req.csvHeader ? 'true' : 'false'}, all_varchar=true, strict_mode=false, null_padding=false,
            ${CSV_LIMITS}, ${REJECTS}) t`);
        break;
      }
      case 'parquet':
        await store.run(`CREATE OR REPLACE TEMP TABLE stage_raw AS
          SELECT to_json(t)::VARCHAR AS line FROM read_parquet(${sqlString(req.file)}) t`);
        break;
    }
  } catch (error) {
    throw readError(req, error);
  }

  const hasReaderRejects =
    req.format === 'ndjson' || req.format === 'csv'
      ? Number((await store.all(`SELECT count(*) AS n FROM evt_reader_rejects`))[0]?.n ?? 0) > 0
      : false;
  const offset = req.posOffset + headerLines;
  // Row ids follow insertion order, i.e. file order; inside a transaction they start from a
  // large base instead of 0, so positions are taken relative to the first one.
  const firstRowId = String((await store.all(`SELECT coalesce(min(rowid), 0) AS r FROM stage_raw`))[0]?.r ?? 0);
  if (!hasReaderRejects) {
    await store.run(`CREATE OR REPLACE TEMP VIEW stage AS
      SELECT rowid - ${firstRowId} + 1 + ${offset} AS pos, line FROM stage_raw`);
    await store.run(`CREATE OR REPLACE TEMP TABLE stage_rejects (pos BIGINT, line VARCHAR, reason VARCHAR)`);
    return;
  }
  // The reader dropped some lines: shift each kept row's number by the dropped lines before it.
  // With rejects at lines r_1 < r_2 < …, a_i = r_i - i rows were kept before the i-th; a kept
  // row with index k comes after every reject with a_i <= k.
  await store.run(`CREATE OR REPLACE TEMP TABLE stage_rejects AS
    SELECT DISTINCT ON (line) line::BIGINT AS pos, csv_line AS line,
      CASE error_type WHEN 'INVALID ENCODING' THEN 'invalid UTF-8' ELSE lower(error_type) || ': ' || error_message END AS reason
    FROM evt_reader_rejects ORDER BY line`);
  await store.run(`CREATE OR REPLACE TEMP TABLE stage_shift AS
    SELECT a, max(n) AS n FROM (
      SELECT pos - ${headerLines} - row_number() OVER (ORDER BY pos) AS a, row_number() OVER (ORDER BY pos) AS n FROM stage_rejects
    ) GROUP BY a`);
  await store.run(`UPDATE stage_rejects SET pos = pos + ${req.posOffset}`);
  await store.run(`CREATE OR REPLACE TEMP VIEW stage AS
    SELECT s.rid + 1 + coalesce(sh.n, 0) + ${offset} AS pos, s.line
    FROM (SELECT rowid - ${firstRowId} AS rid, line FROM stage_raw) s ASOF LEFT JOIN stage_shift sh ON s.rid >= sh.a`);
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
