// What the explorer adds to a watch: the CPU time (user + sys, all threads, /usr/bin/time) of
// `evtrail watch FILE --json` and of `evtrail ui --watch FILE` (in tmux, 80×24, the overview
// shown) over the same growing file: CHUNK events appended every second for SECONDS seconds,
// the two alternating for ROUNDS rounds. Not part of `npm run bench` (it needs tmux and takes
// minutes); BENCHMARKS.md says what it measured.
//
//   nice -n 10 node bench/ui-watch-cpu.mjs [ROUNDS=2] [SECONDS=20] [CHUNK=1000]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'evtrail.js');
const [rounds = 2, seconds = 20, chunk = 1000] = process.argv.slice(2).map(Number);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evtrail-ui-watch-cpu-'));
const SOCKET = `evtrail-ui-watch-cpu-${process.pid}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const log = path.join(dir, 'log.ndjson');
execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', String(Math.ceil((seconds * chunk) / 9)), '--anomalies', '0.02', '--seed', '22', '--out', log]);
const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(0, seconds * chunk);

/** Appends a chunk a second; resolves when all are written. */
async function publish(file) {
  for (let i = 0; i < seconds; i++) {
    fs.appendFileSync(file, lines.slice(i * chunk, (i + 1) * chunk).join('\n') + '\n');
    await sleep(1000);
  }
}

const cpu = (timeFile) => fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number).reduce((a, b) => a + b, 0);

async function runWatch(n) {
  const file = path.join(dir, `w${n}.ndjson`);
  const timeFile = path.join(dir, `w${n}.time`);
  fs.writeFileSync(file, '');
  const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, BIN, 'watch', file, '--db', path.join(dir, `w${n}.duckdb`), '--json', '--interval', '100ms', '--stop-after', '5s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const done = new Promise((r) => child.on('exit', r));
  await publish(file);
  await done;
  const stopped = JSON.parse(stderr.trim().split('\n').findLast((l) => l.includes('"stopped"')));
  return { cpu: cpu(timeFile), batches: stopped.batches };
}

async function runUi(n) {
  const file = path.join(dir, `u${n}.ndjson`);
  const timeFile = path.join(dir, `u${n}.time`);
  fs.writeFileSync(file, '');
  const command = `env -u CI NO_COLOR=1 /usr/bin/time -f '%U %S' -o ${timeFile} ${process.execPath} ${BIN} ui --watch ${file} --db ${path.join(dir, `u${n}.duckdb`)} --interval 100ms; sleep 30`;
  execFileSync('tmux', ['-L', SOCKET, 'new-session', '-d', '-s', `u${n}`, '-x', '80', '-y', '24', command]);
  await publish(file);
  const want = new RegExp(`^${lines.length.toLocaleString('en-US')} events · `, 'm');
  const end = Date.now() + 600_000;
  while (!want.test(execFileSync('tmux', ['-L', SOCKET, 'capture-pane', '-p', '-t', `u${n}`], { encoding: 'utf8' }))) {
    if (Date.now() > end) throw new Error('ui --watch did not show every event within 10 minutes');
    await sleep(250);
  }
  // As long after the last append as watch's --stop-after, so both run about as long.
  await sleep(5000);
  execFileSync('tmux', ['-L', SOCKET, 'send-keys', '-t', `u${n}`, 'q']);
  const until = Date.now() + 120_000;
  while (!fs.existsSync(timeFile) || fs.readFileSync(timeFile, 'utf8').trim() === '') {
    if (Date.now() > until) throw new Error('ui --watch did not end within 2 minutes of q');
    await sleep(250);
  }
  const said = execFileSync('tmux', ['-L', SOCKET, 'capture-pane', '-p', '-J', '-t', `u${n}`], { encoding: 'utf8' });
  return { cpu: cpu(timeFile), batches: Number(/watch stopped: (\d+) batch/.exec(said)?.[1] ?? NaN) };
}

try {
  execFileSync('tmux', ['-L', SOCKET, 'new-session', '-d', '-s', 'keep', 'sleep 3600']);
  const out = { watch: [], ui: [] };
  for (let n = 0; n < rounds; n++) {
    const load = os.loadavg()[0].toFixed(1);
    out.watch.push(await runWatch(n));
    out.ui.push(await runUi(n));
    const [w, u] = [out.watch.at(-1), out.ui.at(-1)];
    console.log(`round ${n + 1} (load ${load} → ${os.loadavg()[0].toFixed(1)}), ${lines.length} events: watch --json ${w.cpu.toFixed(2)} CPU-s in ${w.batches} batches, ui --watch ${u.cpu.toFixed(2)} CPU-s in ${u.batches} batches`);
  }
} finally {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  fs.rmSync(dir, { recursive: true, force: true });
}
