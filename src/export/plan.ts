/**
 * What an export will do, from the command line: the file format, the partitioning, the
 * window, and the SQL that writes it. Pure (no DuckDB, no files), so every refusal is tested
 * without either.
 */
import { UserError } from '../core/errors.js';
import { atLabel, timeLiteral, type At } from '../core/time.js';
import { sqlString } from '../store/sql.js';
import { EXPORT_FILE_FORMATS, PARTITION_COLUMNS, columnsFor, type ExportFileFormat, type PartitionColumn } from './manifest.js';

export function parseExportFormat(value: string | undefined): ExportFileFormat {
  if (value === undefined) throw new UserError('--format is required', `pass --format ${EXPORT_FILE_FORMATS.join(' or --format ')}`);
  const format = value.toLowerCase() === 'jsonl' ? 'ndjson' : value.toLowerCase();
  if (!(EXPORT_FILE_FORMATS as readonly string[]).includes(format)) {
    throw new UserError(`unknown export format "${value}"`, `use one of: ${EXPORT_FILE_FORMATS.join(', ')}`);
  }
  return format as ExportFileFormat;
}

/** --out: the folder to write, which must be named. */
export function parseOut(value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UserError('--out is required', 'name the folder to write, e.g. --out archive/');
  return value;
}

/** `--partition-by date,type` (or the option repeated) as an ordered list of known columns. */
export function parsePartitionBy(values: readonly string[] | undefined): PartitionColumn[] {
  const allowed = Object.keys(PARTITION_COLUMNS) as PartitionColumn[];
  const out: PartitionColumn[] = [];
  for (const raw of (values ?? []).flatMap((v) => v.split(','))) {
    const name = raw.trim().toLowerCase();
    if (name === '') throw new UserError('--partition-by has an empty column name', `e.g. --partition-by date,type (allowed: ${allowed.join(', ')})`);
    if (!(allowed as string[]).includes(name)) {
      throw new UserError(`cannot partition by "${raw.trim()}"`, `allowed columns: ${allowed.join(', ')} (e.g. --partition-by date,type)`);
    }
    if ((out as string[]).includes(name)) throw new UserError(`--partition-by names ${name} twice`, 'name each column once');
    out.push(name as PartitionColumn);
  }
  return out;
}

/** The --since / --until cut as a condition on `events e`: [since, until), by time or by seq. */
export function windowCondition(since: At | undefined, until: At | undefined): string {
  const parts: string[] = [];
  const cond = (at: At, op: '>=' | '<') => (at.kind === 'seq' ? `e.seq ${op} ${at.seq}` : `e.ts ${op} ${timeLiteral(at.iso)}`);
  if (since) parts.push(cond(since, '>='));
  if (until) parts.push(cond(until, '<'));
  return parts.length ? parts.join(' AND ') : 'true';
}

export function windowLabel(at: At | undefined): string | null {
  return at ? atLabel(at) : null;
}

/**
 * The SELECT an export writes: the format's columns, then the partition columns (kept in the
 * files too, so every file is whole on its own), in seq order. NDJSON is one text column: the
 * line, built by DuckDB's to_json (a struct keeps the key order, so lines are deterministic).
 * `scanInOrder`: the caller knows the rows come out of the scan in seq order (a single-threaded
 * COPY of a table stored in seq order), so the sort is left out.
 */
export function exportSelect(format: ExportFileFormat, partitionBy: readonly PartitionColumn[], where: string, scanInOrder = false): string {
  const columns = columnsFor(format);
  // Parquet partitions by the envelope's own type / source columns; date and hour are added.
  const partitions = partitionBy
    .filter((p) => format === 'ndjson' || !columns.some((c) => c.name === p))
    .map((p) => `${PARTITION_COLUMNS[p].sql} AS ${p}`);
  const from = `FROM events e LEFT JOIN sources s ON s.source_id = e.source_id WHERE ${where}${scanInOrder ? '' : ' ORDER BY e.seq'}`;
  if (format === 'parquet') {
    return `SELECT ${[...columns.map((c) => `${c.parquetSql} AS ${c.name}`), ...partitions].join(', ')} ${from}`;
  }
  const struct = columns.map((c) => `${sqlString(c.name)}: ${c.ndjsonSql}`).join(', ');
  return `SELECT to_json({${struct}})::VARCHAR AS line${partitions.map((p) => `, ${p}`).join('')} ${from}`;
}

/**
 * The COPY options. NDJSON goes through DuckDB's CSV writer (its JSON writer cannot partition):
 * one column, no header, no quoting, a delimiter JSON text never holds unescaped — each row is
 * the line as is. Parquet keeps the partition columns in the files (Spark and Trino take the
 * path's value and the file's type; DuckDB reads either way).
 */
export function copyOptions(format: ExportFileFormat, partitionBy: readonly PartitionColumn[]): string {
  const partition = partitionBy.length ? `, PARTITION_BY (${partitionBy.join(', ')})` : '';
  if (format === 'parquet') {
    return `FORMAT parquet${partition}${partitionBy.length ? ', WRITE_PARTITION_COLUMNS true' : ''}`;
  }
  return `FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x1f'${partition}${partitionBy.length ? ", FILE_EXTENSION 'ndjson'" : ''}`;
}

/** The single file of an unpartitioned export. */
export function singleFileName(format: ExportFileFormat): string {
  return format === 'parquet' ? 'events.parquet' : 'events.ndjson';
}
