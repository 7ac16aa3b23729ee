// `evtrail ui --watch` in a real terminal (tmux, 80×24): the explorer follows a growing file
// (the overview's counts move, the timeline shows the new events), an injected anomaly shows on
// the audit screen as the watcher raises it, q stops the watcher and says how; a JetStream
// stream followed as a publisher writes, no consumer left behind; a watcher that
// fails (its PostgreSQL table dropped) is said on screen and in the exit code, in one line.
// Every wait is bounded.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, cli, cliJson, tmpDir } from '../helpers.js';
import { NATS_URL, PG_URL, skipWithout } from '../servers.js';
import { SAMPLE_LINES } from '../watch.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const NO_POSTGRES = await skipWithout('postgres', 'ui --watch: a failing watcher');
const NO_NATS = await skipWithout('nats', 'ui --watch nats://');
const SOCKET = `evtrail-ui-watch-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
let session: string | undefined;
let n = 0;

/** Starts `evtrail ui ARGS` at 80×24; EXIT=code is printed when it ends. */
function start(args: string[]): void {
  session = `ui-watch-${++n}`;
  const command = `env -u CI -u EVTRAIL_DB NO_COLOR=1 ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.map((a) => JSON.stringify(a)).join(' ')}; echo EXIT=$?; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', command);
}

const screen = (joined = false): string => tmux('capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', session!);

async function sees(text: RegExp, ms = 90_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (text.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${text}; the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A key, then a pause as a person types (keys in a burst read as pasted text). */
async function key(k: string): Promise<void> {
  tmux('send-keys', '-t', session!, k);
  await new Promise((r) => setTimeout(r, 300));
}

describe.skipIf(!HAS_TMUX)('evtrail ui --watch in a terminal', () => {
  const dir = tmpDir('evtrail-ui-watch-');
  afterEach(() => {
    if (session) spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]);
    session = undefined;
  });
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('moves with a growing file, shows an injected anomaly on the audit screen as it is raised, and q stops both', async () => {
    const file = path.join(dir, 'live.ndjson');
    const db = path.join(dir, 'live.duckdb');
    fs.writeFileSync(file, SAMPLE_LINES.slice(0, 100).join('\n') + '\n');
    start(['ui', '--watch', file, '--db', db, '--interval', '100ms']);
    // The store is created by the watcher; the overview and the live line follow its batches.
    await sees(/^100 events · /m);
    await sees(/● live · 100 events \(\+100\)/);
    fs.appendFileSync(file, SAMPLE_LINES.slice(100).join('\n') + '\n');
    await sees(new RegExp(`^${SAMPLE_LINES.length} events · `, 'm'));
    // The timeline at the log's end (G) ...
    await key('2');
    await sees(/\[2 Timeline\]/);
    await key('G');
    await sees(new RegExp(`^.${SAMPLE_LINES.length} +\\d\\d:`, 'm'));
    // ... moves with it, no key pressed. The anomaly: one event id twice with different contents
    // (conflicting-event-id), appended once the rest is in, so that its alert is the newest.
    const injected = { id: 'evt-uiwatch-injected', stream: 'order-uiwatch-1', rev: 1, type: 'OrderPlaced', ts: '2025-08-26T09:40:00Z', data: { orderId: 'uiwatch-1', qty: 10 } };
    fs.appendFileSync(file, [JSON.stringify(injected), JSON.stringify({ ...injected, stream: 'order-uiwatch-2', data: { orderId: 'uiwatch-2', qty: 99 } })].join('\n') + '\n');
    const total = SAMPLE_LINES.length + 2;
    const timeline = await sees(new RegExp(`^.${total} +09:40:00\\.000 +OrderPlaced`, 'm'));
    expect(timeline).toMatch(new RegExp(`● live · ${total} events`));
    // The overview moved too while it was hidden.
    await key('1');
    await sees(new RegExp(`^${total} events · `, 'm'));
    await key('5');
    const audit = await sees(/conflicting-event-id +evt-uiwatch-injected/);
    expect(audit).toMatch(/^Live: \d+ alerts raised/m);
    expect(audit).toMatch(/^By rule: \d+ alerts over \d+ events/m);
    expect(audit).toMatch(/● live · [\d,]+ events \(\+[\d,]+\) · \d+ alerts · lag .* · batch \d\d:\d\d:\d\d, /);
    for (const line of audit.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    await key('q');
    await sees(/EXIT=\d+/);
    const end = screen(true);
    expect(end).toMatch(new RegExp(`watch stopped: \\d+ batch\\(es\\), ${total} event\\(s\\), \\d+ alert\\(s\\) this run; every batch was committed`));
    expect(end).toMatch(/EXIT=0/);
    // The store the watcher left is whole: the anomaly is in it as audit finds it.
    const found = cliJson<{ violations: { rule: string; eventId: string | null }[] }>(['audit', '--db', db, '--fail-on', 'none', '--limit', '0']).violations;
    expect(found.some((v) => v.rule === 'conflicting-event-id' && v.eventId === 'evt-uiwatch-injected')).toBe(true);

    // Again over the same file and store: nothing read twice, the earlier run's alerts listed
    // (watch_alerts), and a SIGTERM ends it as it ends watch (the line, exit 143).
    start(['ui', '--watch', file, '--db', db, '--interval', '100ms', '--screen', 'audit']);
    const again = await sees(/conflicting-event-id +evt-uiwatch-injected/);
    expect(again).toMatch(new RegExp(`● live · ${total} events \\(\\+0\\)`));
    const pid = Number(execFileSync('pgrep', ['-P', tmux('display', '-p', '-t', session!, '#{pane_pid}').trim()], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(pid, 'SIGTERM');
    await sees(/EXIT=\d+/);
    const stopped = screen(true);
    expect(stopped).toMatch(/^evtrail: watch stopped: 0 batch\(es\), 0 event\(s\), \d+ alert\(s\) this run; every batch was committed \(SIGTERM\)/m);
    expect(stopped).toMatch(/EXIT=143/);
  }, 240_000);

  it('flags for the watch without --watch, and a bad watch flag: one line and a hint, exit 2, nothing drawn', async () => {
    const r = cli(['ui', '--stream', 'ORDERS', '--db', path.join(dir, 'none.duckdb')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: --stream is for --watch\nhint: evtrail ui --watch SOURCE/);
    start(['ui', '--watch', path.join(dir, 'x.ndjson'), '--db', path.join(dir, 'x.duckdb'), '--clock', 'sundial']);
    await sees(/EXIT=\d+/);
    const end = screen(true);
    expect(end).toMatch(/^evtrail: --clock sundial: not a clock\nhint: one of live, log, wall/m);
    expect(end).toMatch(/EXIT=2/);
    expect(end).not.toMatch(/Overview/);
    expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
    // --settle is watch's too (one setup, src/watch/session.ts): checked against the watch's rules.
    const s = cli(['ui', '--settle', '5s', '--db', path.join(dir, 'none.duckdb')]);
    expect(s.stderr).toMatch(/^evtrail: --settle is for --watch\n/);
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session!]);
    start(['ui', '--watch', path.join(dir, 'x.ndjson'), '--db', path.join(dir, 'x.duckdb'), '--settle', 'nosuch=5s']);
    await sees(/EXIT=\d+/);
    const settle = screen(true);
    expect(settle).toMatch(/^evtrail: --settle nosuch=5s: no rule nosuch in this watch\nhint: rules that settle: compensation-missing/m);
    expect(settle).toMatch(/EXIT=2/);
    expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
  }, 60_000);

  it.skipIf(NO_NATS)('follows a JetStream stream as a publisher writes, and leaves no consumer behind on q', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const stream = `UIWATCH22_${tag}`;
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: stream, subjects: [`uiwatch${tag}.>`] });
    const publish = async (lines: readonly string[]) => {
      for (const line of lines) await js.publish(`uiwatch${tag}.${(JSON.parse(line) as { stream: string }).stream}`, line);
    };
    try {
      await publish(SAMPLE_LINES.slice(0, 200));
      start(['ui', '--watch', NATS_URL, '--stream', stream, '--db', path.join(dir, 'nats.duckdb'), '--interval', '100ms']);
      await sees(/^200 events · /m);
      await publish(SAMPLE_LINES.slice(200));
      await sees(new RegExp(`^${SAMPLE_LINES.length} events · `, 'm'));
      // The status line follows the watcher's batches, at most once per refresh period: it may
      // come a frame after the overview's count, so it is waited for too.
      await sees(new RegExp(`● live · ${SAMPLE_LINES.length} events \\(\\+${SAMPLE_LINES.length}\\) · \\d+ alerts`), 30_000);
      await key('q');
      await sees(/EXIT=\d+/);
      expect(screen(true)).toMatch(new RegExp(`watch stopped: \\d+ batch\\(es\\), ${SAMPLE_LINES.length} event\\(s\\), \\d+ alert\\(s\\) this run; every batch was committed\\s+EXIT=0`));
      const consumers = [];
      for await (const c of jsm.consumers.list(stream)) consumers.push(c.name);
      expect(consumers).toEqual([]);
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  }, 240_000);

  it.skipIf(NO_POSTGRES)('a watcher that fails (its PostgreSQL table dropped) is said on screen and in the exit code, in one line', async () => {
    const schema = `uiwatch22_${process.pid}`;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
        CREATE TABLE ${schema}.t (k bigint, id text, stream text, type text, ts text);
        INSERT INTO ${schema}.t VALUES (1, 'a', 's-1', 'T', '2025-08-26T09:30:00Z'), (2, 'b', 's-1', 'T', '2025-08-26T09:30:01Z')`);
      const db = path.join(dir, 'pg.duckdb');
      start(['ui', '--watch', PG_URL, '--preset', 'table', '--table', `${schema}.t`, '--map', 'position=k', '--db', db, '--interval', '100ms']);
      await sees(/● live · 2 events \(\+2\)/);
      await client.query(`DROP TABLE ${schema}.t`);
      const failed = await sees(/● watcher failed/);
      expect(failed).toMatch(/q quits; the store stays open to explore/);
      // The explorer still reads the store.
      expect(failed).toMatch(/^2 events · /m);
      await key('q');
      await sees(/EXIT=\d+/);
      const end = screen(true);
      expect(end).toMatch(new RegExp(`^evtrail: the watcher failed: PostgreSQL at .*: no table ${schema}\\.t.*; its batch in flight was not committed`, 'm'));
      expect(end).toMatch(/^hint: /m);
      expect(end).toMatch(/EXIT=2/);
      expect(end).not.toMatch(/^\s+at /m);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await client.end();
    }
  }, 240_000);
});
