import fs from 'node:fs';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { UserError, firstLine } from '../core/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Row = Record<string, unknown>;

export interface OpenOptions {
  /** Analysis commands open read-only: they never change the store. */
  readOnly?: boolean;
  /** Create the file when it does not exist (ingest). */
  create?: boolean;
}

/**
 * One DuckDB instance per store (DESIGN §6). Everything goes through one connection so a
 * transaction covers all of an ingest.
 */
export class Store {
  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(dbPath: string, options: OpenOptions = {}): Promise<Store> {
    const resolved = path.resolve(dbPath);
    const exists = fs.existsSync(resolved);
    if (!exists && !options.create) {
      throw new UserError(`no store at ${dbPath}`, 'ingest something first (evtrail ingest <file> --db FILE), or pass --db');
    }
    if (exists && fs.statSync(resolved).isDirectory()) {
      throw new UserError(`--db ${dbPath} is a directory`, 'pass a file name, e.g. --db audit.duckdb');
    }
    let store = await Store.connect(resolved, options.readOnly ?? false);
    const version = await store.schemaVersion();
    if (version > SCHEMA_VERSION) {
      store.close();
      throw new UserError(
        `${dbPath} was written by a newer evtrail (store schema ${version}, this one knows up to ${SCHEMA_VERSION})`,
        'upgrade evtrail',
      );
    }
    if (version < SCHEMA_VERSION) {
      if (store.readOnly) {
        // Upgrading needs a writer; do it once, then go back to read-only.
        store.close();
        store = await Store.connect(resolved, false);
        await store.migrate(version);
        store.close();
        store = await Store.connect(resolved, true);
      } else {
        await store.migrate(version);
      }
    }
    return store;
  }

  private static async connect(file: string, readOnly: boolean): Promise<Store> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, {
        access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE',
        // Bounded memory: DuckDB spills to <db>.tmp beyond this (10M-event ingests stay ≤ 2 GB RSS).
        memory_limit: process.env.EVTRAIL_MEMORY_LIMIT ?? '1200MB',
      });
    } catch (error) {
      throw storeOpenError(file, error);
    }
    const conn = await instance.connect();
    return new Store(file, readOnly, instance, conn);
  }

  async schemaVersion(): Promise<number> {
    const tables = await this.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = 'evtrail_meta' AND schema_name = 'main'`);
    if (tables.length === 0) {
      const others = await this.all(`SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE schema_name = 'main'`);
      if (Number(others[0]?.n ?? 0) > 0) {
        throw new UserError(`${this.path} is a DuckDB database but not an evtrail store`, 'pass another --db');
      }
      return 0;
    }
    const rows = await this.all(`SELECT value FROM evtrail_meta WHERE key = 'schema_version'`);
    return Number(rows[0]?.value ?? 0);
  }

  private async migrate(from: number): Promise<void> {
    await this.transaction(async () => {
      for (const migration of MIGRATIONS) {
        if (migration.version <= from) continue;
        await this.conn.run(migration.sql);
      }
      await this.conn.run(
        `INSERT OR REPLACE INTO evtrail_meta VALUES ('schema_version', $v)`,
        { v: String(SCHEMA_VERSION) },
      );
    });
  }

  /** Runs fn inside BEGIN … COMMIT; any error rolls everything back. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.conn.run('COMMIT');
      return result;
    } catch (error) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async run(sql: string, params?: Record<string, DuckDBValue>): Promise<void> {
    await this.conn.run(sql, params);
  }

  /** Rows as JSON-safe objects: BIGINT and timestamps as exact strings (no float rounding). */
  async all(sql: string, params?: Record<string, DuckDBValue>): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJson() as Row[];
  }

  /** Column names and JSON-safe rows, for query output that keeps column order. */
  async table(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    const reader = await this.conn.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
  }

  close(): void {
    try {
      this.conn.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

function storeOpenError(file: string, error: unknown): UserError {
  const text = firstLine(error);
  const shown = path.relative(process.cwd(), file) || file;
  const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(text) ?? /Could not set lock/.exec(text);
  if (lock) {
    const who = lock[2] ? ` (PID ${lock[2]})` : '';
    return new UserError(`store ${shown} is in use by another process${who}`, 'wait for it to finish, or use another --db');
  }
  if (/not a valid DuckDB database file|Invalid Input Error.*database/i.test(text)) {
    return new UserError(`${shown} is not a DuckDB database file`, 'pass an evtrail store with --db, or a new file name to create one');
  }
  if (/Permission denied|Read-only file system/i.test(text)) {
    return new UserError(`cannot open ${shown}: permission denied`, 'check the file permissions, or use another --db');
  }
  return new UserError(`cannot open store ${shown}: ${text}`, 'check that --db names an evtrail store');
}
