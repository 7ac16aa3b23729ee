/**
 * The settle window of `evtrail watch` (issue 22): a finding that a later event can withdraw
 * (compensation-missing: "RoutingFailed …, and no RiskReservationReleased follows") is raised
 * only once it has held for its settle time on the watch's clock, withdrawn silently when the
 * compensation comes first, and neither lost nor raised twice across a kill -9. The built CLI on
 * a file a test appends to, as a user runs it. Every wait here is bounded (--stop-after, loops
 * with a count).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';
import { SAMPLE_LINES as LINES, alertKeys, auditKeys, sleep } from '../watch.js';

/** The sample's lines of one order's stream. */
const ofOrder = (n: string) => LINES.filter((l) => (JSON.parse(l) as { stream: string }).stream === `order-ord-${n}`);
/** The line with its times two minutes later (nanoseconds kept). */
function later(line: string): string {
  const e = JSON.parse(line) as { ts: string; recorded_ts: string };
  const shift = (t: string) => new Date(Date.parse(t) + 120_000).toISOString().replace(/\.\d+Z$/, '.' + t.split('.')[1]);
  return JSON.stringify({ ...e, ts: shift(e.ts), recorded_ts: shift(e.recorded_ts) });
}
// Order 39 fails routing and never releases its reservation; order 3 fails, then releases it
// (compensated), its times moved after order 39's so that it is not a stuck saga beside it.
const UNCOMPENSATED = ofOrder('00000039');
const COMPENSATED = ofOrder('00000003').map(later);
const idOf = (line: string) => (JSON.parse(line) as { id: string }).id;
const typeOf = (line: string) => (JSON.parse(line) as { type: string }).type;

interface Watch {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  out: () => string;
  err: () => string;
  /** Wall time (ms) each alert line and each health line reached us. */
  alertAt: Map<string, number>;
  healthAt: number[];
}

function startWatch(args: string[]): Watch {
  const child = spawn(process.execPath, [BIN, 'watch', ...args, '--json', '--interval', '50ms', '--health-every', '0s'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  const alertAt = new Map<string, number>();
  const healthAt: number[] = [];
  child.stdout!.on('data', (d) => {
    stdout += d;
    for (const key of alertKeys(stdout)) if (!alertAt.has(key)) alertAt.set(key, Date.now());
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    const n = (stderr.match(/"health"/g) ?? []).length;
    while (healthAt.length < n) healthAt.push(Date.now());
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, done, out: () => stdout, err: () => stderr, alertAt, healthAt };
}

/** Waits (at most ~60 s) until watch has said it stored `events` events in all. */
async function untilStored(w: Watch, events: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const stored = [...w.err().matchAll(/"events":(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    if (stored >= events) return;
    await sleep(50);
  }
  throw new Error(`watch did not store ${events} events in time: ${w.err()}`);
}

const compensationAlerts = (out: string) => alertKeys(out).filter((k) => k.startsWith('compensation-missing '));

describe('evtrail watch: findings that a later event withdraws settle first', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('evtrail-watch22-settle-');
    expect(COMPENSATED.map(typeOf).slice(2, 4)).toEqual(['RoutingFailed', 'RiskReservationReleased']);
    expect(UNCOMPENSATED.map(typeOf)).not.toContain('RiskReservationReleased');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a compensation that comes in a later batch, within the window, raises nothing', async () => {
    const file = path.join(dir, 'within.ndjson');
    const db = path.join(dir, 'within.duckdb');
    // The batch ends on the failure: placed, risk checked, routing failed.
    fs.writeFileSync(file, COMPENSATED.slice(0, 3).join('\n') + '\n');
    const w = startWatch([file, '--db', db, '--settle', 'compensation-missing=4s', '--stop-after', '1s']);
    await untilStored(w, 3);
    fs.appendFileSync(file, COMPENSATED.slice(3).join('\n') + '\n');
    const end = await w.done;
    expect(end.code, w.err()).toBe(0);
    expect(w.healthAt.length).toBeGreaterThanOrEqual(2); // two batches: the failure, then its compensation
    expect(compensationAlerts(w.out())).toEqual([]);
    // Nothing raised that the audit of the same store does not find.
    expect(alertKeys(w.out())).toEqual(auditKeys(db));
  }, 120_000);

  it('one that never comes is raised once, after the window (and a bounded watch waits for it)', async () => {
    const file = path.join(dir, 'never.ndjson');
    const db = path.join(dir, 'never.duckdb');
    fs.writeFileSync(file, UNCOMPENSATED.join('\n') + '\n');
    const w = startWatch([file, '--db', db, '--settle', '6s', '--stop-after', '1s']);
    const end = await w.done;
    expect(end.code, w.err()).toBe(0);
    const key = `compensation-missing ${idOf(UNCOMPENSATED[2]!)}`;
    expect(compensationAlerts(w.out())).toEqual([key]);
    // Raised when the finding had held 6 s on the live clock (the wall clock here: the file never
    // grew). The wait began when the batch's audit did, its health line comes after that audit
    // (seconds on a loaded machine): half the wait as the bound.
    expect(w.alertAt.get(key)! - w.healthAt[0]!).toBeGreaterThanOrEqual(3000);
    expect(alertKeys(w.out())).toEqual(auditKeys(db));
    expect(w.err()).toMatch(/"pending":0/);
  }, 120_000);

  it('--clock log: the window is the log\'s own time, so a watch whose log stops keeps the finding pending, and says so', async () => {
    const file = path.join(dir, 'logclock.ndjson');
    const db = path.join(dir, 'logclock.duckdb');
    fs.writeFileSync(file, UNCOMPENSATED.join('\n') + '\n');
    const w = startWatch([file, '--db', db, '--clock', 'log', '--stop-after', '1s']);
    const end = await w.done;
    expect(end.code, w.err()).toBe(0);
    expect(compensationAlerts(w.out())).toEqual([]);
    expect(w.err()).toMatch(/"pending":1/);
    expect(cli(['query', '--db', db, '--csv', 'SELECT rule, about FROM watch_pending']).stdout).toBe(`rule,about\ncompensation-missing,${idOf(UNCOMPENSATED[2]!)}\n`);
  }, 120_000);

  it('kill -9 while findings settle: after a restart the uncompensated one is raised once, the one compensated meanwhile never', async () => {
    const file = path.join(dir, 'killed.ndjson');
    const db = path.join(dir, 'killed.duckdb');
    fs.writeFileSync(file, [...UNCOMPENSATED, ...COMPENSATED.slice(0, 3)].join('\n') + '\n');
    const args = [file, '--db', db, '--settle', 'compensation-missing=4s'];
    const first = startWatch(args);
    await untilStored(first, UNCOMPENSATED.length + 3);
    await sleep(500); // the batch's audit committed (its health line comes after it)
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(compensationAlerts(first.out())).toEqual([]); // both were still settling
    // While watch is down, order 3's compensation comes; order 39's never does.
    fs.appendFileSync(file, COMPENSATED.slice(3).join('\n') + '\n');
    const second = startWatch([...args, '--stop-after', '1s']);
    const end = await second.done;
    expect(end.code, second.err()).toBe(0);
    // Order 39's stream got no new event after the restart: its finding came from watch_pending.
    const raised = [...alertKeys(first.out()), ...alertKeys(second.out())].sort();
    expect(compensationAlerts(second.out())).toEqual([`compensation-missing ${idOf(UNCOMPENSATED[2]!)}`]);
    expect(raised).toEqual(auditKeys(db));
    expect(cli(['query', '--db', db, '--csv', 'SELECT count(*) AS n FROM watch_pending']).stdout).toBe('n\n0\n');
  }, 120_000);

  it('refuses a --settle for a rule whose findings do not settle, in one line with a hint', () => {
    const r = cli(['watch', path.join(dir, 'x.ndjson'), '--db', path.join(dir, 'x.duckdb'), '--settle', 'order-overfill=5s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--settle order-overfill=5s: order-overfill's findings are not withdrawn by later events/);
    expect(r.stderr).toMatch(/\nhint: rules that settle: compensation-missing \(2s\)/);
    const bad = cli(['watch', path.join(dir, 'x.ndjson'), '--db', path.join(dir, 'x.duckdb'), '--settle', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--settle soon: not a duration/);
  });
});
