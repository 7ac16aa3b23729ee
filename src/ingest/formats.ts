import zlib from 'node:zlib';
import { UserError } from '../core/errors.js';

export const FORMATS = ['ndjson', 'json', 'csv', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

const EXTENSIONS: Record<string, Format> = {
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.json': 'json',
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
};

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The format named by a file's extension (a trailing .gz is looked through). */
export function formatFromName(fileName: string): Format | undefined {
  const lower = fileName.toLowerCase().replace(/\.gz$/, '');
  const dot = lower.lastIndexOf('.');
  return dot >= 0 ? EXTENSIONS[lower.slice(dot)] : undefined;
}

/**
 * The format of a source from its first bytes: Parquet by magic number, JSON array by '[',
 * NDJSON when the first line is a whole JSON value, a single JSON document otherwise; CSV when
 * the first line looks like a header. undefined when nothing fits.
 */
export function sniffFormat(headBytes: Buffer): Format | undefined {
  let head = headBytes;
  if (isGzip(head)) {
    // A small file is whole in the head, trailer included: a bad CRC-32 or trailing bytes
    // must not hide its format (the ingest refuses it with its own message), so the read is
    // tried again without the 8-byte trailer.
    const gunzipHead = (bytes: Buffer) => zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    try {
      head = gunzipHead(head);
    } catch {
      try {
        head = gunzipHead(head.subarray(0, head.length - 8));
      } catch {
        return undefined;
      }
    }
  }
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) return 'json';
  if (trimmed.startsWith('{')) {
    const firstLine = trimmed.split('\n', 1)[0] ?? '';
    try {
      JSON.parse(firstLine);
      return 'ndjson';
    } catch {
      return 'json';
    }
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  // eslint-disable-next-line no-control-regex
  if (firstLine.includes(',') && !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(firstLine)) return 'csv';
  return undefined;
}

export function parseFormat(value: string): Format {
  const format = value.toLowerCase() === 'jsonl' ? 'ndjson' : value.toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UserError(`unknown format "${value}"`, `use one of: ${FORMATS.join(', ')}`);
  }
  return format as Format;
}
