import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from './duckdb.js';
import { UserError, firstLine } from '../core/errors.js';
import { MACROS_SQL } from './macros.js';
import { StoreConnection } from './connection.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type { Params, PreparedStatement, Row, Statement, StoreConnection } from './connection.js';

export interface OpenOptions {
  /** Analysis commands open read-only: they never change the store. */
  readOnly?: boolean;
  /** Create the file when it does not exist (ingest). */
  create?: boolean;
  /** DuckDB's memory_limit when EVTRAIL_MEMORY_LIMIT is not set (default 1200MB). */
  memoryLimit?: string;
}

/**
 * One DuckDB instance per store (docs/architecture.md §6). Everything goes through one connection so a
 * transaction covers all of an ingest. The store is the only door to DuckDB: its statements
 * (run, all, stream, …) are StoreConnection's, timed, and the raw connection is private.
 */
export class Store extends StoreConnection {
  /** See remember(). */
  private readonly remembered = new Map<string, Promise<unknown>>();

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
    conn: DuckDBConnection,
    /** A reader() over another Store's instance: closing it closes only its connection. */
    private readonly borrowed = false,
  ) {
    super(conn);
  }

  /**
   * Another Store over this one's DuckDB instance, for reading beside this one's writes in the
   * same process (`ui --watch`: DuckDB lets one process hold a file read-write, and no other
   * process open it meanwhile, docs/architecture.md §5). Its own connection, so its own temp
   * views (the lens), macros and interrupts; each statement sees what was committed when it
   * began. It is not read-only for remember(): the store grows under it, so nothing is kept.
   * It must only read: a write would race the writer's transactions. Closed before this one.
   */
  async reader(): Promise<Store> {
    return new Store(this.path, false, this.instance, await this.instance.connect(), true);
  }

  /**
   * A read-only store's answer to a question about its contents (the log's end, its time
   * zones, the trace index's state), computed once: no writer can open the file while it is
   * open, so the answer cannot change, and a trace after trace (the explorer, the benchmark)
   * skips the round trips. A writable store computes it every time.
   */
  async remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (!this.readOnly) return compute();
    let answer = this.remembered.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = compute();
      this.remembered.set(key, answer);
      answer.catch(() => this.remembered.delete(key));
    }
    return answer;
  }

  static async open(dbPath: string, options: OpenOptions = {}): Promise<Store> {
    if (dbPath.trim() === '') throw new UserError('--db needs a file name', 'e.g. --db audit.duckdb');
    const resolved = path.resolve(dbPath);
    const exists = fs.existsSync(resolved);
    if (!exists && !options.create) {
      throw new UserError(`no store at ${dbPath}`, 'ingest something first (evtrail ingest <file> --db FILE), or pass --db');
    }
    if (exists && fs.statSync(resolved).isDirectory()) {
      throw new UserError(`--db ${dbPath} is a directory`, 'pass a file name, e.g. --db audit.duckdb');
    }
    if (!exists) {
      const dir = path.dirname(resolved);
      if (!fs.existsSync(dir)) throw new UserError(`cannot create store ${dbPath}: there is no folder ${path.dirname(dbPath)}`, 'create the folder first, or pass another --db');
      if (!fs.statSync(dir).isDirectory()) throw new UserError(`cannot create store ${dbPath}: ${path.dirname(dbPath)} is not a folder`, 'pass another --db');
    }
    let store: Store | undefined;
    let connected = false;
    try {
      store = await Store.connect(resolved, options.readOnly ?? false, options.memoryLimit);
      connected = true;
      const version = await store.schemaVersion();
      if (version > SCHEMA_VERSION) {
        throw new UserError(
          `${dbPath} was written by a newer evtrail (store schema ${version}, this one knows up to ${SCHEMA_VERSION})`,
          'upgrade evtrail',
        );
      }
      if (version < SCHEMA_VERSION) {
        if (store.readOnly) {
          // Upgrading needs a writer; do it once, then go back to read-only.
          store.close();
          store = undefined;
          const writer = await Store.connect(resolved, false, options.memoryLimit);
          try {
            await writer.migrate(version);
          } finally {
            writer.close();
          }
          store = await Store.connect(resolved, true, options.memoryLimit);
        } else {
          await store.migrate(version);
        }
      }
      return store;
    } catch (error) {
      store?.close();
      // A store this call created and could not finish is not left behind (one that could not
      // be opened at all, e.g. another process holding it, is not ours to remove).
      if (!exists && connected) removeStoreFiles(resolved);
      if (error instanceof UserError) throw error;
      throw storeOpenError(resolved, error);
    }
  }

  private static async connect(file: string, readOnly: boolean, memoryLimit = '1200MB'): Promise<Store> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, {
        access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE',
        // Bounded memory: DuckDB spills to <db>.tmp beyond this (10M-event ingests stay ≤ 2 GB RSS).
        memory_limit: process.env.EVTRAIL_MEMORY_LIMIT ?? memoryLimit,
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
    const text = rows[0]?.value;
    // A whole number from 1: anything else is a store damaged or edited by hand, which neither
    // opens as current (NaN compares as neither older nor newer) nor gets migrations run over it.
    if (typeof text !== 'string' || !/^[1-9]\d{0,8}$/.test(text)) {
      const shown = text === undefined || text === null ? 'none' : `'${String(text).slice(0, 40)}'`;
      throw new UserError(
        `${this.path} records no valid store schema version (evtrail_meta.schema_version is ${shown}): it is damaged or was edited`,
        'use a copy of the store from before, or ingest the sources again into a new --db',
      );
    }
    return Number(text);
  }

  private async migrate(from: number): Promise<void> {
    await this.transaction(async () => {
      for (const migration of MIGRATIONS) {
        if (migration.version <= from) continue;
        await this.run(migration.sql);
        await migration.run?.(this, from);
      }
      await this.run(
        `INSERT OR REPLACE INTO evtrail_meta VALUES ('schema_version', $v)`,
        { v: String(SCHEMA_VERSION) },
      );
    });
  }

  /** Runs fn inside BEGIN … COMMIT; any error rolls everything back. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private macrosDefined = false;

  /**
   * evtrail's macros (macros.ts) on the main connection, once: TEMP macros live as long as the
   * connection, and defining them costs ~50 ms of DuckDB's time, which a watch would otherwise
   * pay on every batch.
   */
  async defineMacros(): Promise<void> {
    if (this.macrosDefined) return;
    await this.run(MACROS_SQL);
    this.macrosDefined = true;
  }

  /**
   * Another connection to the same database, for work run side by side with this one's (it does
   * not see this connection's open transaction). The caller closes it.
   */
  async openConnection(): Promise<StoreConnection> {
    const conn = new StoreConnection(await this.instance.connect());
    if (this.lensSql) await conn.run(this.lensSql);
    return conn;
  }

  /**
   * The lens (src/store/lens.ts): the temp view that shadows `events` on this connection and on
   * those it opens; `rawEvents` names the table itself; `lensId` identifies the vocabulary the
   * view reads through ('' for none).
   */
  lensSql: string | null = null;
  rawEvents = 'events';
  lensId = '';

  setLens(sql: string, raw: string, id: string): void {
    this.lensSql = sql;
    this.rawEvents = raw;
    this.lensId = id;
  }

  /** Puts the lens back on a connection whose temp view `events` was replaced (a scoped audit). */
  async restoreLens(conn: StoreConnection): Promise<void> {
    await conn.run(this.lensSql ?? 'DROP VIEW IF EXISTS temp.events');
  }

  private closed = false;

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      super.close();
    } finally {
      if (!this.borrowed) this.instance.closeSync();
    }
  }
}

/** Whether --db names something that exists (a store, or whatever else is in the way). */
export function storeExists(dbPath: string): boolean {
  return dbPath.trim() !== '' && fs.existsSync(path.resolve(dbPath));
}

/** Removes a store file and DuckDB's files next to it (write-ahead log, spill folder). */
export function removeStoreFiles(dbPath: string): void {
  const file = path.resolve(dbPath);
  for (const f of [file, `${file}.wal`, `${file}.tmp`]) {
    try {
      fs.rmSync(f, { recursive: true, force: true });
    } catch {
      /* best effort: what is left is an empty store, which opens fine */
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
