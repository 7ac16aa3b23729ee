// The explorer's budgets (issue 8): the real `evtrail ui` in tmux with EVTRAIL_UI_TIMINGS, keys
// sent as a person would, each timing written by the app once the screen has drawn its data;
// against the same reads run bare in one Node process (@duckdb/node-api for the timeline page,
// the replay step's data function without the UI), so the ratio is the UI's own overhead.
// --large: the 10M-event store; otherwise a store of --orders orders (default 100k ≈ 1M events).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, OUT, ROOT, cachedStore, evtrail, fmt, largeStore, measure, median } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function store(args) {
  return args.large ? largeStore().db : cachedStore(Number(args.orders), `ui-${args.orders}`).db;
}

async function uiTimings(db, steps, mid) {
  const file = path.join(OUT, 'ui-timings.jsonl');
  fs.rmSync(file, { force: true });
  const session = `evtrail-ui-bench-${process.pid}`;
  const tmux = (...a) => execFileSync('tmux', a, { encoding: 'utf8' });
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  const waitFor = async (event, count) => {
    const end = Date.now() + 60_000;
    while (read().filter((t) => t.event === event).length < count) {
      if (Date.now() > end) throw new Error(`ui bench: no ${event} timing after 60 s`);
      await sleep(20);
    }
  };
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '36', `EVTRAIL_UI_TIMINGS=${file} ${process.execPath} ${BIN} ui --db ${db}`);
  try {
    await waitFor('first-screen', 1);
    tmux('send-keys', '-t', session, '2');
    await waitFor('timeline-first', 1);
    for (let i = 1; i <= steps; i++) {
      tmux('send-keys', '-t', session, 'PageDown');
      await waitFor('timeline-page-down', i);
      await sleep(50);
    }
    tmux('send-keys', '-t', session, '3');
    await sleep(1500);
    // To the middle of the log, where a step's projection is as large as it gets on average.
    tmux('send-keys', '-t', session, '@');
    await sleep(100);
    tmux('send-keys', '-t', session, '-l', `seq:${mid}`);
    // Apart, or the text and the enter arrive as one burst (which ink reads as pasted text).
    await sleep(150);
    tmux('send-keys', '-t', session, 'Enter');
    await sleep(3000);
    for (let i = 1; i <= steps; i++) {
      tmux('send-keys', '-t', session, 'l');
      await waitFor('replay-step', i);
      await sleep(50);
    }
    // p: the next projection, positions (the cut stays where it is).
    tmux('send-keys', '-t', session, 'p');
    await sleep(3000);
    for (let i = 1; i <= steps; i++) {
      tmux('send-keys', '-t', session, 'l');
      await waitFor('replay-step', steps + i);
      await sleep(50);
    }
  } finally {
    spawnSync('tmux', ['send-keys', '-t', session, 'q']);
    await sleep(300);
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
  return read();
}

/** The same reads bare: a timeline page with @duckdb/node-api, a replay step through the data layer. */
function bare(db, steps, mid) {
  const script = `
    import { DuckDBInstance } from ${JSON.stringify(path.join(ROOT, 'node_modules/@duckdb/node-api/lib/index.js'))};
    import { Store } from ${JSON.stringify(path.join(ROOT, 'dist/store/store.js'))};
    import { builtin } from ${JSON.stringify(path.join(ROOT, 'dist/replay/builtins.js'))};
    import { replayStep } from ${JSON.stringify(path.join(ROOT, 'dist/ui/app/data/replay.js'))};
    import { builtinDiff } from ${JSON.stringify(path.join(ROOT, 'dist/replay/replay-command.js'))};
    import { MACROS_SQL } from ${JSON.stringify(path.join(ROOT, 'dist/store/macros.js'))};
    const t0 = performance.now();
    const inst = await DuckDBInstance.create(${JSON.stringify(db)}, { access_mode: 'READ_ONLY' });
    const c = await inst.connect();
    const r = await c.runAndReadAll('SELECT count(*) FROM events');
    r.getRows();
    const open = performance.now() - t0;
    const page = [];
    let last = 0;
    for (let i = 0; i < ${steps} + 1; i++) {
      const s = performance.now();
      const rows = (await c.runAndReadAll(\`SELECT seq, epoch_ns(ts)::VARCHAR AS tns, type, stream, source, id FROM events WHERE seq > \${last} AND true ORDER BY seq LIMIT 31\`)).getRowObjectsJson();
      last = Number(rows.at(-1).seq);
      if (i > 0) page.push(performance.now() - s);
    }
    c.closeSync(); inst.closeSync();
    const store = await Store.open(${JSON.stringify(db)}, { readOnly: true });
    await store.run(MACROS_SQL);
    const at = (n) => ({ kind: 'seq', seq: BigInt(n), input: '' });
    const stepOf = async (name) => {
      const def = builtin(name);
      const out = [];
      for (let i = 1; i <= ${steps}; i++) {
        const s = performance.now();
        await replayStep(store, def, at(${mid} + i - 1), at(${mid} + i));
        out.push(performance.now() - s);
      }
      return out;
    };
    const step = await stepOf('orders');
    const positions = await stepOf('positions');
    // What a positions step cost before it was narrowed: the whole projection diffed.
    const whole = [];
    for (let i = 1; i <= ${steps}; i++) {
      const s = performance.now();
      await builtinDiff(store, builtin('positions'), 'seq <= ' + (${mid} + i - 1), 'seq <= ' + (${mid} + i));
      whole.push(performance.now() - s);
    }
    store.close();
    console.log(JSON.stringify({ open, page, step, positions, whole }));`;
  return JSON.parse(measure(process.execPath, ['--input-type=module', '-e', script]).stdout);
}

export async function run({ args }) {
  if (spawnSync('tmux', ['-V']).status !== 0) return '## UI\n\nnot run: tmux is not installed\n';
  const db = store(args);
  const steps = 5;
  const events = JSON.parse(evtrail(['info', '--json', '--db', db]).stdout).events;
  const mid = Math.floor(events / 2);
  const t = await uiTimings(db, steps, mid);
  const b = bare(db, steps, mid);
  const of = (e) => t.filter((x) => x.event === e).map((x) => x.ms);
  const first = of('first-screen')[0];
  const page = median(of('timeline-page-down'));
  const steps_ = of('replay-step');
  const step = median(steps_.slice(0, steps));
  const positions = median(steps_.slice(steps, 2 * steps));
  const at = (e) => fmt(of(e)[0], 0);
  const row = (what, ms, base, budget) => `| ${what} | ${fmt(ms, 0)} | ${fmt(base, 0)} | ${fmt(ms / base)} | ${budget ? `≤ ${budget} ms: ${ms <= budget ? 'met' : 'MISSED'}` : ''} |`;
  return `## UI: \`evtrail ui\` in tmux (120×36), ${events.toLocaleString('en-US')} events

Timings written by the app (EVTRAIL_UI_TIMINGS) once the screen has drawn its data; median of ${steps} keys. Baseline: the same
reads in one Node process (the first screen: opening the store bare and counting the events; a page: the keyset query through
@duckdb/node-api; a replay step: the UI's data function without the UI, from seq ${mid.toLocaleString('en-US')}; a positions step's
second baseline: the whole projection diffed, as the screen did before it read only the touched positions' orders). The audit
runs in the background after the first screen (when the store is under 2M events) and gives way to every key. Positions steps
read the orders through an index built once a session by the first positions step (in the UI the untimed step after p, in the
bare run the first timed one, which the median leaves out).

| what | ms | baseline ms | × baseline | budget |
|---|---|---|---|---|
${row('first screen after start (process start → overview drawn)', first, b.open, 1000)}
${row('page down in the timeline (key → page drawn)', page, median(b.page), 100)}
${row('a replay step, orders, one event (key → rows drawn)', step, median(b.step), 200)}
${row('a replay step, positions, one event (key → rows drawn)', positions, median(b.positions), 200)}
${row('the same positions step diffing the whole projection (bare)', median(b.whole), median(b.positions), 0)}

On the way to the first screen (ms after process start): DuckDB loaded ${at('duckdb-loaded')}, ink and the app loaded ${at('ink-loaded')},
shell drawn ${at('shell')}, overview read ${at('store-read')}, overview drawn ${at('first-screen')}.
`;
}
