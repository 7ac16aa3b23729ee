// The explorer's screens with ink-testing-library over a real store (a generated trading log
// with injected anomalies, ingested by the built CLI), frames ANSI-stripped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { render } from 'ink-testing-library';
import stripAnsi from 'strip-ansi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { App } from '../../src/ui/app/app.js';
import { AppData } from '../../src/ui/app/data/app-data.js';
import { Cancelled } from '../../src/ui/app/data/runner.js';
import { pageAfter, pageBefore, parseFilter } from '../../src/ui/app/data/events.js';
import { ROOT, cli, event, ndjson, tmpDir } from '../helpers.js';
import { startSession } from '../../src/ui/app/boot.js';

let store: Store;
let data: AppData;
let view: ReturnType<typeof render> | undefined;

beforeAll(async () => {
  const dir = tmpDir('evtrail-ui-');
  const log = path.join(dir, 'log.ndjson');
  execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', '300', '--anomalies', '0.1', '--seed', '5', '--out', log]);
  const db = path.join(dir, 'ui.duckdb');
  const r = cli(['ingest', log, '--db', db]);
  if (r.code !== 0) throw new Error(r.stderr);
  store = await Store.open(db, { readOnly: true });
  data = await AppData.open(store);
});
afterEach(() => {
  view?.unmount();
  view = undefined;
});
afterAll(async () => {
  // As runUi does: the screens' work stopped before the store is closed under it.
  data?.runner.cancel(true);
  await data?.runner.idle();
  store?.close();
});

const frame = () => stripAnsi(view?.lastFrame() ?? '');

async function until(test: (f: string) => boolean, what: string, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame();
    if (test(f)) return f;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sees = (text: string | RegExp) => until((f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), String(text));

/** One key, then a pause so that ink reads it as a key and not as pasted text. */
async function press(...keys: string[]): Promise<void> {
  for (const k of keys) {
    view!.stdin.write(k);
    await new Promise((r) => setTimeout(r, 30));
  }
}
const ESC = '\x1b';
const ENTER = '\r';
const PGDN = '\x1b[6~';

/** The seqs of the timeline rows on screen, in order. */
const seqs = (f: string) => [...f.matchAll(/^[ ›](\d+)\s+\d\d:\d\d/gm)].map((m) => Number(m[1]));

describe('the explorer', () => {
  it('opens on the overview: counts, time range, sources, types; a runs the audit', async () => {
    view = render(<App data={data} />);
    await sees('Sources');
    // The per-type counts come after the first frame (they scan the events).
    const f = await sees(/OrderPlaced\s+\d{3} v1,2/);
    const events = Number((await store.all('select count(*)::INTEGER n from events'))[0]!.n);
    expect(f).toContain(`${events.toLocaleString('en-US')} events`);
    expect(f).toContain('[1 Overview]');
    expect(f).toMatch(/OrderPlaced\s+\d{3} v1,2/);
    expect(f).toContain('not run yet');
    await press('a');
    const audited = await sees(/\d+ (order-overfill|fill-after-terminal)/);
    expect(audited).not.toContain('not run yet');
  });

  it('timeline: pages of seq order, page down continues where the page ended, g / G the ends', async () => {
    view = render(<App data={data} initial="timeline" />);
    const f1 = await until((f) => seqs(f).length > 5, 'the first page');
    const first = seqs(f1);
    expect(first[0]).toBe(1);
    expect(first).toEqual(first.map((_, i) => i + 1));
    await press(PGDN);
    const f2 = await until((f) => seqs(f)[0] === first.at(-1)! + 1, 'the second page');
    expect(seqs(f2)).toHaveLength(first.length);
    await press('G');
    const last = Number(data.bounds.lastSeq);
    const f3 = await until((f) => seqs(f).at(-1) === last, 'the last page');
    expect(f3).toMatch(new RegExp(`^›${last} `, 'm'));
    await press('g');
    await until((f) => seqs(f)[0] === 1, 'the first page again');
  });

  it('timeline: / filters in SQL, enter shows the event in full with pretty JSON', async () => {
    view = render(<App data={data} initial="timeline" />);
    await until((f) => seqs(f).length > 5, 'the first page');
    await press('/', ...'type:OrderFilled'.split(''), ENTER);
    const f = await sees('filter: type:OrderFilled');
    await until((x) => seqs(x).length > 0 && !/OrderPlaced|RiskCheck/.test(x.split('\n').slice(3).join('\n')), 'filtered rows');
    const expected = (await pageAfter(store, parseFilter('type:OrderFilled', data.bounds), 0, 3)).map((e) => e.seq);
    expect(seqs(frame()).slice(0, 3)).toEqual(expected);
    await press(ENTER);
    const detail = await sees('"fillQty":');
    expect(detail).toContain(`seq          ${expected[0]}`);
    expect(detail).toMatch(/type\s+OrderFilled \(v1\)/);
    expect(f).not.toContain('no events');
    await press(ESC);
    await sees('filter: type:OrderFilled');
  });

  it('timeline: r replays up to the selected event, t (and enter in the detail) traces it', async () => {
    view = render(<App data={data} initial="timeline" />);
    await until((f) => seqs(f).length > 5, 'the first page');
    await press('j', 'j', 'r');
    const replay = await sees('[3 Replay]');
    await until((f) => /as of seq:?\s*3\b/.test(f), 'the replay at seq 3');
    expect(replay).not.toContain('[2 Timeline]');
    const [third] = await pageAfter(store, parseFilter('', data.bounds), 2, 1);
    await press('2');
    await until((f) => /^›3 /m.test(f), 'the timeline on seq 3');
    await press('t');
    await sees('[4 Trace]');
    await sees(`trace of ${third!.id}`);
    await press('2', ENTER);
    await sees(`id           ${third!.id}`);
    await press(ENTER);
    await sees('[4 Trace]');
    // The trace read done before the store is closed.
    await sees(/critical path|no anomalies/);
  });

  it('audit → a rule\'s violations → the event → its trace, and esc goes back up', async () => {
    view = render(<App data={data} initial="audit" />);
    await sees('violations  title');
    const result = data.audit();
    if (result.status !== 'done') throw new Error('audit not done');
    const rules = result.result.rules;
    const index = rules.findIndex((r) => r.violations > 0);
    await press(...Array.from({ length: index }, () => 'j'), ENTER);
    const rule = rules[index]!;
    await sees(`${rule.id}: ${rule.violations} violations`);
    const v = result.result.violations.find((x) => x.rule === rule.id)!;
    await press(ENTER);
    const ev = await sees('enter/t its trace');
    expect(ev).toContain(v.message.slice(0, 40));
    await sees(/^id\s+evt-/m);
    await press(ENTER);
    const t = await sees('[4 Trace]');
    await until((f) => /critical path|no anomalies|anomal/.test(f), 'the trace tree');
    expect(t).toContain('trace of');
    // The trace screen shows the rule's finding on the event: one verdict per event.
    const withFinding = await until((f) => f.includes('audit findings ('), "the trace's audit findings");
    expect(withFinding).toMatch(new RegExp(`${rule.severity} +${rule.id}`));
    await press(ESC);
    await sees('[5 Audit]');
    await sees('enter/t its trace');
    await press(ESC);
    await sees(`${rule.id}: ${rule.violations} violations`);
  });

  it('replay: steps event by event and shows what the step changed', async () => {
    view = render(<App data={data} initial="replay" />);
    await sees('orders as of seq:1');
    await sees(/added\s+ord-00000001/);
    await press('l');
    await sees('orders as of seq:2');
    const f = await sees(/RISK_APPROVED|REJECTED/);
    expect(f).toContain('1 event in the step');
    await press('p');
    await sees('positions as of seq:2');
  });

  it('SQL: runs a statement, shows errors inline, keeps history', async () => {
    view = render(<App data={data} initial="sql" />);
    await sees('sql>');
    await press(...'select 6*7 as answer;'.split(''), ENTER);
    await sees(/answer\s*\n.*42/);
    await press(...'select nope;'.split(''), ENTER);
    await sees('SQL error');
    await press('\x1b[A');
    await sees('sql> select nope;');
  });

  it('schemas: types and versions; enter opens the timeline on that type', async () => {
    view = render(<App data={data} initial="schemas" />);
    const f = await sees('type/version pairs');
    expect(f).toMatch(/OrderPlaced\s+v1/);
    expect(f).toMatch(/OrderPlaced\s+v2/);
    await press(ENTER);
    await sees('[2 Timeline]');
    await sees(/filter: type:\w+/);
  });

  it('help overlay, tab between screens', async () => {
    view = render(<App data={data} />);
    await sees('Sources');
    await press('?');
    await sees('keys (any key closes this)');
    await press('x');
    await until((f) => !f.includes('keys (any key') && f.includes('Sources'), 'help closed');
    await press('\t');
    await sees('[2 Timeline]');
    await press('7');
    await sees('[7 Schemas]');
  });
});

describe('cancel', () => {
  it('esc interrupts a running DuckDB statement through the lane', async () => {
    const slow = data.runner.run('slow', () => store.all('select count(*) from range(100000000) a, range(1000) b where a.range * b.range % 7 = 3'));
    await new Promise((r) => setTimeout(r, 200));
    expect(data.runner.cancel()).toBe(true);
    await expect(slow).rejects.toBeInstanceOf(Cancelled);
    // The connection works after the interrupt.
    expect((await data.runner.run('after', () => store.all('select 1 as x')))[0]).toEqual({ x: 1 });
  });

  it('background work gives way to a page read on the real connection, then runs again', async () => {
    let starts = 0;
    const background = data.runner.run('auditing', async () => {
      starts++;
      // The first run is slow (it is interrupted); the second is quick.
      const sql = starts === 1 ? 'select count(*) AS n from range(100000000) a, range(1000) b where a.range * b.range % 7 = 3' : 'select 42 AS n';
      return Number((await store.all(sql))[0]!.n);
    }, { background: true });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const page = await data.runner.run('page', () => pageAfter(store, parseFilter('', data.bounds), 0, 5));
    expect(page.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(performance.now() - t0).toBeLessThan(2000);
    await expect(background).resolves.toBe(42);
    expect(starts).toBe(2);
  });

  it('the page reads never read the whole log: a page before seq 1 is empty, after the end too', async () => {
    const f = parseFilter('', data.bounds);
    expect(await pageBefore(store, f, 1, 10)).toEqual([]);
    expect(await pageAfter(store, f, Number(data.bounds.lastSeq), 10)).toEqual([]);
  });
});

// issue 17: the tenant is something every command can filter by, and the store's vocabulary
// applies everywhere: `evtrail ui --tenant` opens the session through the lens, and the overview
// says what is shown.
describe('the explorer through the lens (--tenant, the vocabulary mapping)', () => {
  let db: string;
  beforeAll(() => {
    const dir = tmpDir('evtrail-ui-lens-');
    const at = (i: number) => `2025-08-26T09:30:0${i}.000000000Z`;
    const events = [
      ...[1, 2, 3].map((i) => event({ id: `a-${i}`, stream: `order-a${i}`, type: 'order_placed', ts: at(i), data: { orderId: `a${i}`, qty: 1 }, meta: { tenant: 'acme' } })),
      ...[4, 5].map((i) => event({ id: `g-${i}`, stream: `order-g${i}`, type: 'order_placed', ts: at(i), data: { orderId: `g${i}`, qty: 1 }, meta: { tenant: 'globex' } })),
    ];
    fs.writeFileSync(path.join(dir, 'log.ndjson'), ndjson(events));
    fs.writeFileSync(path.join(dir, 'evtrail.config.json'), JSON.stringify({ vocabulary: { types: { order_placed: 'OrderPlaced' } } }));
    db = path.join(dir, 'lens.duckdb');
    const r = cli(['ingest', path.join(dir, 'log.ndjson'), '--config', path.join(dir, 'evtrail.config.json'), '--db', db]);
    if (r.code !== 0) throw new Error(r.stderr);
  });

  it("shows only the tenant's events, in the packs' names, and says so on the overview", async () => {
    const session = startSession(db, { tenant: 'acme' });
    const lensData = await session.data;
    try {
      expect(lensData.lens.tenant).toBe('acme');
      view = render(<App data={lensData} />);
      const f = await sees(/OrderPlaced\s+3 v1/);
      expect(f).toContain('3 events');
      expect(f).toMatch(/Showing tenant acme only, read through the store's vocabulary mapping: type order_placed → OrderPla/);
      expect(f).not.toContain('order_placed   ');
    } finally {
      view?.unmount();
      view = undefined;
      lensData.runner.cancel(true);
      await lensData.runner.idle();
      (await session.store).close();
    }
  });

  it('an unknown tenant ends the session before anything is drawn, naming the tenants there are', async () => {
    const session = startSession(db, { tenant: 'initech' });
    await expect(session.data).rejects.toThrow(/no events of tenant "initech" in the store/);
    (await session.store).close();
  });
});
