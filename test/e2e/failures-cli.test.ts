import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, event, ndjson, tmpDir } from '../helpers.js';

/**
 * The truth after a failure, through the built CLI: an interrupt that lands on the COMMIT says
 * whether the commit went through; a full disk (the store's or TMPDIR), a folder that cannot be
 * written, a symbolic link loop are exit 2 with the cause and a hint (exit 3 is for bugs); a
 * store whose schema version is garbage is refused in one line.
 */
const dir = tmpDir('evtrail-failures-');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  fs.rmSync(dir, { recursive: true, force: true });
});
const p = (f: string) => path.join(dir, f);
const lines = (from: number, count: number, pad = 0) =>
  ndjson(Array.from({ length: count }, (_, i) => event({ id: `evt-${from + i}`, rev: from + i, data: { i: from + i, pad: 'x'.repeat(pad) } })));

beforeAll(() => {
  fs.writeFileSync(p('small.ndjson'), lines(1, 30));
  fs.writeFileSync(p('small2.ndjson'), lines(1000, 20));
  fs.writeFileSync(p('big.ndjson'), lines(100, 60_000, 120));
});

/**
 * Runs `evtrail ingest small.ndjson` in a process whose DuckDB connection receives the signal at
 * the ingest's COMMIT (the second COMMIT: the first is the new store's migration): `before` the
 * COMMIT starts (DuckDB may stop it), `after` it went through, or after it went through while the
 * statement still reports the interrupt (`reported`), as DuckDB can when the signal lands on it.
 */
function interruptAtCommit(db: string, mode: 'before' | 'after' | 'reported', signal: 'SIGINT' | 'SIGTERM'): { code: number; stdout: string; stderr: string } {
  const script = p(`commit-${mode}-${signal}.mjs`);
  fs.writeFileSync(script, `
    import { DuckDBConnection } from ${JSON.stringify(path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js'))};
    const { installInterruptHandler } = await import(${JSON.stringify(path.join(ROOT, 'dist/core/interrupt.js'))});
    installInterruptHandler();
    const run = DuckDBConnection.prototype.run;
    let commits = 0;
    DuckDBConnection.prototype.run = async function (sql, ...rest) {
      if (sql !== 'COMMIT' || ++commits !== 2) return run.call(this, sql, ...rest);
      if (${JSON.stringify(mode)} === 'before') {
        const done = run.call(this, sql, ...rest);
        process.emit(${JSON.stringify(signal)});
        return done;
      }
      const result = await run.call(this, sql, ...rest);
      process.emit(${JSON.stringify(signal)});
      if (${JSON.stringify(mode)} === 'reported') throw new Error('INTERRUPT Error: Interrupted!');
      return result;
    };
    const { runCli } = await import(${JSON.stringify(path.join(ROOT, 'dist/cli/run.js'))});
    await runCli(['node', 'evtrail', 'ingest', ${JSON.stringify(p('small.ndjson'))}, '--db', ${JSON.stringify(db)}, '--quiet']);
  `);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const eventCount = (db: string) => {
  const r = cli(['query', 'select count(*)::INTEGER as n from events', '--db', db, '--json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as { n: number }[])[0]!.n : null;
};

describe('an interrupt during the COMMIT says what the store holds', () => {
  it.each([
    ['before', 'SIGINT', 130],
    ['after', 'SIGINT', 130],
    ['reported', 'SIGINT', 130],
    ['reported', 'SIGTERM', 143],
  ] as const)('signal %s the COMMIT (%s): exit %i, and the message matches the store', (mode, signal, code) => {
    const db = p(`int-${mode}-${signal}.duckdb`);
    const r = interruptAtCommit(db, mode, signal);
    expect(r.code, r.stderr).toBe(code);
    const n = eventCount(db);
    if (n === 30) {
      expect(r.stderr).toMatch(/^evtrail: interrupted, but the ingest had been committed: 30 event\(s\)/);
      expect(r.stderr).not.toMatch(/nothing was ingested/);
    } else {
      expect(n).toBeNull(); // the store this run created was removed: nothing in it
      expect(r.stderr).toMatch(/^evtrail: interrupted: nothing was ingested, the store is as it was/);
    }
    // The committed cases are the ones the old message got wrong.
    if (mode !== 'before') expect(n).toBe(30);
    expect(cli(['verify', '--db', db]).code === 0 || n === null).toBe(true);
  });
});

/** A tmpfs of `size` at a new folder, or undefined when it cannot be mounted (not root, no permission). */
function smallDisk(name: string, size: string, options = ''): string | undefined {
  const at = p(name);
  fs.mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options ? `,${options}` : ''}`, 'tmpfs', at], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn(`SKIPPED: cannot mount a tmpfs to fill (${(r.stderr || r.error?.message || '').trim()})`);
    return undefined;
  }
  mounts.push(at);
  return at;
}

/** Fills a disk up to `leave` bytes free. */
function fill(disk: string, leave: number): string {
  const free = Number(spawnSync('df', ['--output=avail', '-B1', disk], { encoding: 'utf8' }).stdout.trim().split('\n').pop());
  const filler = path.join(disk, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free - leave)));
  return filler;
}

describe('the machine says no: exit 2, the cause, a hint', () => {
  it('a full disk where the store is; after space is back, the next ingest works and verifies', (ctx) => {
    const disk = smallDisk('disk-store', '6m');
    if (!disk) return ctx.skip();
    const db = path.join(disk, 's.duckdb');
    expect(cli(['ingest', p('small.ndjson'), '--db', db, '--quiet']).code).toBe(0);
    const filler = fill(disk, 400_000);
    const r = cli(['ingest', p('big.ndjson'), '--db', db, '--quiet']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(/^evtrail: the disk is full: .*No space left on device/);
    expect(r.stderr).toMatch(/\nhint: free some space/);
    expect(r.code).toBe(2);
    fs.rmSync(filler);
    const again = cli(['ingest', p('small2.ndjson'), '--db', db, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect(eventCount(db)).toBe(50);
    const v = cli(['verify', '--db', db]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('a full TMPDIR', (ctx) => {
    const disk = smallDisk('disk-tmp', '2m');
    if (!disk) return ctx.skip();
    const db = p('tmpfull.duckdb');
    const r = cli(['ingest', p('big.ndjson'), '--db', db, '--quiet'], { env: { ...process.env, NO_COLOR: '1', TMPDIR: disk } });
    expect(r.stderr).not.toMatch(/internal error|Current transaction is aborted/);
    expect(r.stderr).toMatch(/No space left on device|disk is full/);
    expect(r.stderr).toMatch(/\nhint: free some space/);
    expect(r.code).toBe(2);
    const again = cli(['ingest', p('small.ndjson'), '--db', db, '--quiet']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('a folder that cannot be written (a read-only file system)', (ctx) => {
    const disk = smallDisk('disk-ro', '1m', 'ro');
    if (!disk) return ctx.skip();
    const r = cli(['ingest', p('small.ndjson'), '--db', path.join(disk, 's.duckdb'), '--quiet']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(/^evtrail: .*(read-only|Read-only|permission denied)/);
    expect(r.stderr).toMatch(/\nhint: /);
    expect(r.code).toBe(2);
  });

  it('a symbolic link loop in a folder ingest', () => {
    const folder = p('loop');
    fs.mkdirSync(folder);
    fs.copyFileSync(p('small.ndjson'), path.join(folder, 'a.ndjson'));
    fs.symlinkSync('x.ndjson', path.join(folder, 'y.ndjson'));
    fs.symlinkSync('y.ndjson', path.join(folder, 'x.ndjson'));
    const r = cli(['ingest', folder, '--db', p('loop.duckdb'), '--quiet']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(/symbolic link/);
    expect(r.stderr).toMatch(/\nhint: /);
    expect(r.code).toBe(2);
  });
});

describe('a store whose schema version is garbage', () => {
  it.each(["'abc'", "''", "'-1'", "'3.5'"])('%s: refused in one line, exit 2', async (value) => {
    const db = p(`garbage-${value.replace(/\W/g, '_')}.duckdb`);
    expect(cli(['ingest', p('small.ndjson'), '--db', db, '--quiet']).code).toBe(0);
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    await conn.run(`UPDATE evtrail_meta SET value = ${value} WHERE key = 'schema_version'`);
    conn.closeSync();
    instance.closeSync();
    for (const args of [['info'], ['verify'], ['ingest', p('small2.ndjson')]]) {
      const r = cli([...args, '--db', db]);
      expect(r.stderr).toMatch(/^evtrail: .*records no valid store schema version \(evtrail_meta\.schema_version is '.*'\): it is damaged or was edited\nhint: /);
      expect(r.code).toBe(2);
    }
  });
});
