import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { UserError } from '../core/errors.js';
import { makeTempDir } from '../store/temp-dir.js';
import { exportManifestIn } from './export-source.js';
import { formatFromName, isGzip } from './formats.js';

/** A file-like input: a file on disk, or standard input spooled to one. */
export interface FileInput {
  kind: 'file' | 'stdin';
  /** Identity across runs: the real path, or stdin:<sha256 of the content>. */
  uri: string;
  /** How messages name it: the path as given (a link keeps its own name, not its target's). */
  displayName: string;
  /**
   * The file's name as the user gave it (no folder): a preset reading meaning from names
   * (LOBSTER's date and symbol) reads this one, not the link target's.
   */
  name?: string;
  /** Where the bytes are now. */
  path: string;
}

const KNOWN = /\.(ndjson|jsonl|json|csv|parquet|pq)(\.gz)?$/i;
const GLOB = /[*?[\]{}]/;

/**
 * Expands the command line's sources into inputs, in a deterministic order: arguments in the
 * order given, the files of a folder or a glob sorted by path. Store URLs are left to their own
 * readers (see `isStoreUrl`).
 */
export async function expandFileArgs(args: readonly string[], tmpDir: () => string): Promise<FileInput[]> {
  const inputs: FileInput[] = [];
  const seen = new Set<string>();
  const add = (input: FileInput) => {
    if (seen.has(input.uri)) return;
    seen.add(input.uri);
    inputs.push(input);
  };
  const isStdin = (a: string) => a === '-' || a === '/dev/stdin';
  if (args.filter(isStdin).length > 1) {
    throw new UserError('- (standard input) is given more than once', 'standard input can be read once per ingest');
  }
  for (const arg of args) {
    if (isStdin(arg)) {
      if (process.stdin.isTTY) {
        throw new UserError('- reads standard input, but it is a terminal', 'pipe a log in: evtrail ingest - < events.ndjson');
      }
      add(await spool(process.stdin, 'stdin', tmpDir()));
      continue;
    }
    if (GLOB.test(arg) && !fs.existsSync(arg)) {
      const { glob } = await import('tinyglobby');
      const matches = (await glob(arg, { absolute: true, onlyFiles: true })).sort();
      if (matches.length === 0) throw new UserError(`no file matches ${arg}`, 'check the pattern (quote it to let evtrail expand it)');
      for (const file of matches) add(fileInput(file));
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(arg);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') throw new UserError(`cannot read ${arg}: permission denied`, 'check the permissions of its folders');
      throw new UserError(`no such file: ${arg}`, 'check the path; use - to read standard input');
    }
    if (stat.isDirectory()) {
      // A folder holding an evtrail export is one source: its manifest (export-source.ts).
      const manifest = exportManifestIn(arg);
      if (manifest) {
        add(fileInput(manifest));
        continue;
      }
      const files = listFolder(arg);
      if (files.length === 0) {
        throw new UserError(`folder ${arg} holds no event files`, 'evtrail reads .ndjson, .jsonl, .json, .csv, .parquet (and .gz of them)');
      }
      for (const file of files) add(fileInput(file));
      continue;
    }
    if (!stat.isFile()) {
      // A pipe (e.g. <(zcat log.gz)) or a device: read once, like standard input.
      checkReadable(arg);
      add(await spool(fs.createReadStream(arg), arg, tmpDir()));
      continue;
    }
    add(fileInput(arg));
  }
  return inputs;
}

function checkReadable(file: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new UserError(`cannot read ${path.relative(process.cwd(), file) || file}: permission denied`, 'check the file permissions');
  }
}

function fileInput(file: string): FileInput {
  checkReadable(file);
  const real = fs.realpathSync(file);
  const given = path.resolve(file);
  return { kind: 'file', uri: real, displayName: path.relative(process.cwd(), given) || given, name: path.basename(given), path: real };
}

function listFolder(dir: string): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const where = e.path ? path.relative(process.cwd(), e.path) || e.path : dir;
    if (e.code === 'EACCES') throw new UserError(`cannot read folder ${where}: permission denied`, 'check the folder permissions, or name the files to read');
    throw new UserError(`cannot read folder ${where} (${e.code ?? e.message})`, 'name the files to read instead');
  }
  for (const entry of entries) {
    if (!KNOWN.test(entry.name) || entry.name.endsWith('.truth.ndjson')) continue;
    const full = path.join(entry.parentPath, entry.name);
    // A link to a log counts as the log; a broken link is skipped.
    if (entry.isFile() || (entry.isSymbolicLink() && fs.statSync(full, { throwIfNoEntry: false })?.isFile())) out.push(full);
  }
  return out.sort();
}

/**
 * Standard input (or a pipe named on the command line) is copied to a temp file (DuckDB reads
 * files) and named by its content. A gzip stream keeps a .gz name so DuckDB decompresses it.
 */
async function spool(stream: Readable, name: string, dir: string): Promise<FileInput> {
  const base = path.join(dir, `stdin-${crypto.randomBytes(4).toString('hex')}`);
  const hash = crypto.createHash('sha256');
  let head = Buffer.alloc(0);
  const raw = `${base}.part`;
  await pipeline(
    stream,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        if (head.length < 2) head = Buffer.concat([head, chunk]);
        hash.update(chunk);
        yield chunk;
      }
    },
    fs.createWriteStream(raw),
  );
  const file = isGzip(head) ? `${base}.gz` : base;
  fs.renameSync(raw, file);
  return { kind: 'stdin', uri: `stdin:${hash.digest('hex')}`, displayName: name, path: file };
}

export function makeTmpDir(): string {
  return makeTempDir('evtrail-', 'the files being ingested');
}

/** A SHA-256 part way through a file: the state after its first `offset` bytes (`hash.copy()` goes on from there). */
export interface HashState {
  offset: number;
  hash: crypto.Hash;
}

/**
 * One pass over a file: the SHA-256 of its first n bytes for each n asked, and whether bytes
 * from `crFrom` on hold a lone CR (a CR not followed by LF). DuckDB's line reader takes a lone
 * CR for a line break, which would split a record and shift every later line number.
 *
 * `resume`: the hash's state after the file's first bytes, kept from an earlier scan (a watch
 * reading a growing file batch after batch): only the bytes after it are read, so a batch costs
 * its new bytes, not the whole file again. `state` is the hash's state at the last cut.
 */
export async function scanFile(
  file: string,
  cuts: readonly number[],
  crFrom = Number.POSITIVE_INFINITY,
  resume?: HashState,
): Promise<{ hashes: Map<number, string>; loneCr: boolean; state: HashState | undefined }> {
  const wanted = [...new Set(cuts)].sort((a, b) => a - b).filter((c) => !resume || c >= resume.offset);
  const hashes = new Map<number, string>();
  const hash = resume ? resume.hash.copy() : crypto.createHash('sha256');
  let offset = resume?.offset ?? 0;
  let next = 0;
  let loneCr = false;
  let pendingCr = false;
  let state: HashState | undefined;
  const emitUpTo = () => {
    while (next < wanted.length && wanted[next] === offset) {
      const at = hash.copy();
      if (next === wanted.length - 1) state = { offset, hash: at.copy() };
      hashes.set(wanted[next++]!, at.digest('hex'));
    }
  };
  emitUpTo();
  const last = wanted[wanted.length - 1] ?? 0;
  if (last > offset) {
    for await (const chunk of fs.createReadStream(file, { start: offset, end: last - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      if (!loneCr && offset + chunk.length > crFrom) {
        if (pendingCr && chunk[0] !== 0x0a) loneCr = true;
        for (let i = Math.max(0, crFrom - offset); !loneCr; ) {
          const cr = chunk.indexOf(0x0d, i);
          if (cr < 0) break;
          if (cr === chunk.length - 1) pendingCr = true;
          else if (chunk[cr + 1] !== 0x0a) loneCr = true;
          i = cr + 1;
        }
      }
      let start = 0;
      while (start < chunk.length) {
        const cut = wanted[next];
        const take = cut === undefined ? chunk.length - start : Math.min(chunk.length - start, cut - offset);
        hash.update(chunk.subarray(start, start + take));
        start += take;
        offset += take;
        emitUpTo();
      }
    }
  }
  return { hashes, loneCr: loneCr || pendingCr, state };
}

/** Copies bytes [from, to) of a file, each lone CR made a space, to a new temp file. */
export async function copyWithoutLoneCr(file: string, from: number, to: number, dir: string): Promise<string> {
  const ext = path.basename(file).match(/(\.[a-z0-9]+)+$/i)?.[0] ?? '';
  const part = path.join(dir, `clean-${crypto.randomBytes(4).toString('hex')}${ext}`);
  let carry: Buffer | null = null;
  await pipeline(
    fs.createReadStream(file, { start: from, end: Math.max(from, to - 1) }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const raw of source) {
        const chunk: Buffer = carry ? Buffer.concat([carry, raw]) : Buffer.from(raw);
        carry = null;
        // A CR at the end of a chunk is decided by the next chunk's first byte.
        const end = chunk[chunk.length - 1] === 0x0d ? chunk.length - 1 : chunk.length;
        for (let i = chunk.indexOf(0x0d); i >= 0 && i < end; i = chunk.indexOf(0x0d, i + 1)) {
          if (chunk[i + 1] !== 0x0a) chunk[i] = 0x20;
        }
        if (end < chunk.length) carry = chunk.subarray(end);
        yield chunk.subarray(0, end);
      }
      if (carry) yield Buffer.from([0x20]);
    },
    fs.createWriteStream(part),
  );
  return part;
}

/** Copies bytes [from, to) of a file to a new temp file with the same extension. */
export async function copyPart(file: string, from: number, to: number, dir: string): Promise<string> {
  const ext = path.basename(file).match(/(\.[a-z0-9]+)+$/i)?.[0] ?? '';
  const part = path.join(dir, `part-${crypto.randomBytes(4).toString('hex')}${ext}`);
  if (to > from) await pipeline(fs.createReadStream(file, { start: from, end: to - 1 }), fs.createWriteStream(part));
  else await fsp.writeFile(part, '');
  return part;
}

/**
 * For an NDJSON file whose last line has no newline: where its complete lines end and the
 * unfinished line, when it is not a whole JSON value (a writer still appending to it). A last
 * line that parses is complete: many files just lack the final newline.
 */
export async function unfinishedTail(file: string, size: number): Promise<{ end: number; text: string } | undefined> {
  if (size === 0) return undefined;
  const handle = await fsp.open(file, 'r');
  try {
    const lastByte = Buffer.alloc(1);
    await handle.read(lastByte, 0, 1, size - 1);
    if (lastByte[0] === 0x0a) return undefined;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      await handle.read(buf, 0, buf.length, start);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0 || start === 0) {
        const end = nl >= 0 ? start + nl + 1 : 0;
        const text = buf.subarray(nl + 1).toString('utf8');
        try {
          JSON.parse(text);
          return undefined;
        } catch {
          return { end, text };
        }
      }
      chunk *= 4;
    }
  } finally {
    await handle.close();
  }
}

/** What decompressing a gzip part gave: how far it got, and the zlib error that stopped it. */
export interface GzipCheck {
  /** Decompressed bytes and complete lines (newlines) seen before the end or the error. */
  bytes: number;
  lines: number;
  error?: { code: string; message: string };
}

/**
 * Decompresses bytes [from, to) of a gzip file (one or more members) and says whether the
 * stream is whole. DuckDB's gzip reader does not: a stream cut at a flush boundary reads as
 * the first half of the log, a bad CRC-32 goes unnoticed. zlib checks each member's end, CRC-32
 * and length, and refuses bytes after the last member that are not another one (it skips
 * zero padding, as gzip does).
 */
export async function checkGzip(file: string, from: number, to: number): Promise<GzipCheck> {
  const out: GzipCheck = { bytes: 0, lines: 0 };
  try {
    await pipeline(
      fs.createReadStream(file, { start: from, end: Math.max(from, to - 1), highWaterMark: 1 << 20 }),
      zlib.createGunzip(),
      async (decompressed: AsyncIterable<Buffer>) => {
        for await (const chunk of decompressed) {
          out.bytes += chunk.length;
          for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) out.lines++;
        }
      },
    );
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    out.error = { code: String(e.code ?? ''), message: e.message };
  }
  return out;
}

/** The one-line refusal of a gzip part that is not whole, saying how far it decompressed. */
export function gzipRefusal(name: string, check: GzipCheck, from: number, to: number): UserError {
  const got = `${check.bytes} bytes (${check.lines} complete lines) decompressed from ${to - from} compressed${from > 0 ? ` (from byte ${from}, the part not yet ingested)` : ''}`;
  const message = check.error?.message ?? '';
  if (/unexpected end of file/i.test(message)) {
    return new UserError(
      `${name}: the gzip stream is cut short (it ends inside a member) after ${got}; nothing was ingested`,
      'the file is incomplete (a copy or download cut off, or still being written): ingest it once it is whole (gzip -t checks it)',
    );
  }
  if (/incorrect (data|length) check/i.test(message)) {
    return new UserError(
      `${name}: the gzip stream fails its ${/data/i.test(message) ? 'CRC-32' : 'length'} check after ${got}; nothing was ingested`,
      'the file is damaged: ingest an intact copy (gzip -t checks it)',
    );
  }
  return new UserError(
    `${name}: bytes that are not gzip data (${message}) after ${got}: trailing garbage or a damaged member; nothing was ingested`,
    'the file is damaged or has bytes appended that are not gzip: ingest an intact copy (gzip -t checks it)',
  );
}

export function isStoreUrl(arg: string): boolean {
  return /^(postgres|postgresql|nats):\/\//i.test(arg);
}

export { formatFromName };
