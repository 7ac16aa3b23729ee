/**
 * `evtrail watch` on a file a writer appends to while it runs, as a user runs it (the built CLI):
 * every violation the audit finds is raised exactly once, a kill -9 and a restart raise nothing
 * twice and lose nothing, and the watched store holds what one ingest of the same file holds.
 * Every loop here stops by itself (--stop-after, bounded writers).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';
import { SAMPLE, SAMPLE_LINES as LINES, alertKeys, auditKeys, sleep } from '../watch.js';


interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts watch; `during` runs while it does (a writer); resolves when watch ends by itself or is killed. */
function watchWhile(args: string[], during: (child: ReturnType<typeof spawn>) => Promise<void>, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'watch', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    during(child).catch(reject);
  });
}


/** Appends the sample in parts, a pause between them, as a live writer would (the last line written in two pieces). */
async function appendInParts(file: string, parts: number, pauseMs: number, lines = LINES): Promise<void> {
  const size = Math.ceil(lines.length / parts);
  for (let i = 0; i < lines.length; i += size) {
    const chunk = lines.slice(i, i + size).join('\n') + '\n';
    // A line cut in two: watch must not read the half line as a record.
    const cut = Math.floor(chunk.length / 2);
    fs.appendFileSync(file, chunk.slice(0, cut));
    await sleep(pauseMs / 4);
    fs.appendFileSync(file, chunk.slice(cut));
    await sleep(pauseMs);
  }
}

/** What the store holds of the events: every column but the ingest's own bookkeeping. */
function eventsDump(db: string): string {
  return cli(['query', '--db', db, '--csv', `SELECT seq, id, stream, rev, type, ts, data, meta, source_pos, content_hash, dup_of, dup_kind FROM events ORDER BY seq`]).stdout;
}

describe('evtrail watch <file>', () => {
  let dir: string;
  let calm: string;
  let expected: string[];
  beforeAll(() => {
    dir = tmpDir('evtrail-watch-');
    // The reference: one calm ingest of the whole file, audited.
    const file = path.join(dir, 'calm.ndjson');
    fs.writeFileSync(file, LINES.join('\n') + '\n');
    calm = path.join(dir, 'calm.duckdb');
    expect(cli(['ingest', file, '--db', calm, '--quiet']).code).toBe(0);
    expected = auditKeys(calm);
    expect(expected.length).toBeGreaterThan(5); // the sample carries anomalies
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('raises every violation exactly once while a writer appends, and stores what ingest stores', async () => {
    const file = path.join(dir, 'live.ndjson');
    fs.writeFileSync(file, '');
    const db = path.join(dir, 'live.duckdb');
    const run = await watchWhile([file, '--db', db, '--json', '--interval', '50ms', '--stop-after', '3s'], () => appendInParts(file, 5, 400));
    expect(run.code, run.stderr).toBe(0);
    expect(alertKeys(run.stdout)).toEqual(expected);
    expect(run.stderr).toMatch(/"health"/);
    // A watched store is the store an ingest makes of the same bytes.
    expect(eventsDump(db)).toEqual(eventsDump(calm));
    expect(cli(['verify', '--db', db]).code).toBe(0);
    // The chain, though each batch went on from the last partial block's SHA-256 state
    // (keepRunningBlocks) instead of hashing that block again: the same blocks and event hashes.
    const chain = (file: string) => cli(['query', '--db', file, '--csv', `SELECT source_id, block, first_seq, last_seq, events, digest, link FROM chain_blocks ORDER BY ALL`]).stdout
      + cli(['query', '--db', file, '--csv', `SELECT seq, hash FROM event_hashes ORDER BY seq`]).stdout;
    expect(chain(db)).toEqual(chain(calm));
    // Each batch hashed only its new bytes (the hash kept from the last batch): the stored hash is the file's.
    const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(cli(['query', '--db', db, '--csv', 'SELECT bytes, sha256 FROM sources']).stdout).toBe(`bytes,sha256\n${fs.statSync(file).size},${sha}\n`);
  }, 240_000);

  it('after kill -9 and a restart: nothing raised twice, nothing lost', async () => {
    const file = path.join(dir, 'killed.ndjson');
    fs.writeFileSync(file, '');
    const db = path.join(dir, 'killed.duckdb');
    const half = Math.floor(LINES.length / 2);
    const first = await watchWhile([file, '--db', db, '--json', '--interval', '50ms'], async (child) => {
      await appendInParts(file, 3, 300, LINES.slice(0, half));
      // Wait until watch has raised something, then kill it without warning.
      for (let i = 0; i < 200 && !fs.existsSync(db); i++) await sleep(50);
      await sleep(1500);
      child.kill('SIGKILL');
    });
    expect(first.signal).toBe('SIGKILL');
    fs.appendFileSync(file, LINES.slice(half).join('\n') + '\n');
    const second = await watchWhile([file, '--db', db, '--json', '--interval', '50ms', '--stop-after', '2s'], async () => undefined);
    expect(second.code, second.stderr).toBe(0);
    const raised = [...alertKeys(first.stdout), ...alertKeys(second.stdout)].sort();
    expect(raised).toEqual(expected);
    expect(eventsDump(db)).toEqual(eventsDump(calm));
  }, 240_000);

  it('--exec runs a command per alert with the alert on its stdin; Ctrl-C stops cleanly and says so', async () => {
    const file = path.join(dir, 'exec.ndjson');
    fs.writeFileSync(file, LINES.join('\n') + '\n');
    const db = path.join(dir, 'exec.duckdb');
    const got = path.join(dir, 'exec-got.ndjson');
    const run = await watchWhile([file, '--db', db, '--interval', '50ms', '--exec', `cat >> '${got}'; echo >> '${got}'`], async (child) => {
      for (let i = 0; i < 600 && !(fs.existsSync(got) && fs.readFileSync(got, 'utf8').split('\n').filter(Boolean).length >= expected.length); i++) await sleep(50);
      child.kill('SIGINT');
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/evtrail: watch stopped: 1 batch\(es\), \d+ event\(s\), \d+ alert\(s\) this run; every batch was committed \(SIGINT\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(alertKeys(fs.readFileSync(got, 'utf8'))).toEqual(expected);
    // Text alerts: one line each, on stdout.
    expect(run.stdout.trim().split('\n')).toHaveLength(expected.length);
  }, 240_000);

  it('says when a followed file is truncated, and keeps what it had', async () => {
    const file = path.join(dir, 'rotated.ndjson');
    fs.writeFileSync(file, LINES.slice(0, 50).join('\n') + '\n');
    const db = path.join(dir, 'rotated.duckdb');
    const run = await watchWhile([file, '--db', db, '--interval', '50ms', '--health-every', '0s', '--stop-after', '3s'], async (child) => {
      // Once the first batch is in (its health line), the file is cut.
      await new Promise<void>((resolve) => {
        let seen = '';
        child.stderr!.on('data', (d) => {
          seen += d;
          if (/\+50 event/.test(seen)) resolve();
        });
      });
      fs.truncateSync(file, 10);
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/rotated\.ndjson was truncated \(\d+ → 10 bytes\): its events so far are kept/);
    expect(cli(['query', '--db', db, '--csv', 'SELECT count(*) AS n FROM events']).stdout).toBe('n\n50\n');
  }, 240_000);

  it('a saga that goes silent is raised when the log passes its timeout, though its stream gets no new event', async () => {
    const events = LINES.map((l) => JSON.parse(l) as { stream: string; ts: string; recorded_ts: string });
    const of = (stream: string) => events.filter((e) => e.stream === stream);
    const later = (e: { ts: string; recorded_ts: string }) => {
      const shift = (t: string) => new Date(Date.parse(t) + 120_000).toISOString().replace(/\.\d+Z$/, '.' + t.split('.')[1]);
      return { ...e, ts: shift(e.ts), recorded_ts: shift(e.recorded_ts) };
    };
    const silent = of('order-ord-00000001').slice(0, 2); // placed, risk-checked: then nothing
    const other = of('order-ord-00000004');
    const batch1 = [...silent, other[0]!];
    const batch2 = other.slice(1).map(later); // two minutes on: only the other order's stream
    const file = path.join(dir, 'silent.ndjson');
    fs.writeFileSync(file, batch1.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const db = path.join(dir, 'silent.duckdb');
    const run = await watchWhile([file, '--db', db, '--json', '--interval', '50ms', '--health-every', '0s', '--stop-after', '3s'], async (child) => {
      await new Promise<void>((resolve) => {
        let seen = '';
        child.stderr!.on('data', (d) => {
          seen += d;
          if (/"events":3/.test(seen)) resolve();
        });
      });
      fs.appendFileSync(file, batch2.map((e) => JSON.stringify(e)).join('\n') + '\n');
    });
    expect(run.code, run.stderr).toBe(0);
    const calmDb = path.join(dir, 'silent-calm.duckdb');
    const calmFile = path.join(dir, 'silent-calm.ndjson');
    fs.copyFileSync(file, calmFile);
    expect(cli(['ingest', calmFile, '--db', calmDb, '--quiet']).code).toBe(0);
    const want = auditKeys(calmDb);
    expect(want.filter((k) => k.startsWith('saga-incomplete '))).toHaveLength(1);
    expect(alertKeys(run.stdout)).toEqual(want);
  }, 240_000);

  it('decides which packs are in force on the store as it grows: a first batch of other events does not turn the trading rules off', async () => {
    const file = path.join(dir, 'packs.ndjson');
    const other = [1, 2, 3].map((i) => JSON.stringify({ id: `hb-${i}`, type: 'Heartbeat', stream: 'heartbeat', ts: `2025-08-26T09:00:0${i}Z`, data: {} }));
    fs.writeFileSync(file, other.join('\n') + '\n');
    const db = path.join(dir, 'packs.duckdb');
    const run = await watchWhile([file, '--db', db, '--json', '--interval', '50ms', '--health-every', '0s', '--stop-after', '3s'], async (child) => {
      // The heartbeats are in (one batch), then the trading log comes.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20_000);
        child.stderr!.on('data', (d) => {
          if (/"health"/.test(String(d))) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      await appendInParts(file, 2, 300);
    });
    expect(run.code, run.stderr).toBe(0);
    const raised = alertKeys(run.stdout);
    // The trading pack's findings among them: the audit of the whole store has the pack in force.
    expect(raised.length).toBeGreaterThan(5);
    expect(raised).toEqual(auditKeys(db));
  }, 240_000);

  it('with no event arriving at all, a stuck saga is raised once its timeout passes (--clock live, the default), not with --clock log', async () => {
    const events = LINES.map((l) => JSON.parse(l) as { stream: string });
    const silent = events.filter((e) => e.stream === 'order-ord-00000001').slice(0, 2); // placed, risk-checked: then nothing
    const run = async (clock: string[]) => {
      const file = path.join(dir, `quiet-${clock.join('') || 'default'}.ndjson`);
      fs.writeFileSync(file, silent.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const db = path.join(dir, `quiet-${clock.join('') || 'default'}.duckdb`);
      const r = await watchWhile([file, '--db', db, '--json', '--interval', '50ms', '--param', 'saga-incomplete.timeout=2s', '--stop-after', '5s', ...clock], async () => undefined);
      expect(r.code, r.stderr).toBe(0);
      return { keys: alertKeys(r.stdout).filter((k) => k.startsWith('saga-incomplete ')) };
    };
    const [live, log] = await Promise.all([run([]), run(['--clock', 'log'])]);
    // The file never grew: the one batch came at the start, and the saga was raised as the clock passed 2 s.
    expect(live.keys).toEqual([`saga-incomplete ${(silent[1] as unknown as { id: string }).id}`]);
    expect(log.keys).toEqual([]);
  }, 240_000);

  it('refuses what it cannot follow, in one line with a hint', { timeout: 120_000 }, () => {
    for (const [args, pattern] of [
      [['-', '--db', path.join(dir, 'x.duckdb')], /not standard input/],
      [[dir, '--db', path.join(dir, 'x.duckdb')], /is not a file/],
      [[SAMPLE, '--db', path.join(dir, 'x.duckdb'), '--interval', 'soon'], /--interval soon: not a duration/],
    ] as const) {
      const r = cli(['watch', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/\nhint: /);
    }
    expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
  });
});
