// `evtrail watch` in a real terminal (tmux, 80×24): alerts scroll above, the health panel
// below fits the width, a grown file is read, Ctrl-C ends it with the truth on the screen.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tmpDir } from '../helpers.js';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `evtrail-watch-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const LINES = fs.readFileSync(path.join(ROOT, 'fixtures', 'trading-sample.ndjson'), 'utf8').split('\n').filter(Boolean);

async function sees(session: string, text: RegExp, ms = 90_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = tmux('capture-pane', '-p', '-t', session);
    if (text.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${text}; the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!HAS_TMUX)('evtrail watch in a terminal', () => {
  const dir = tmpDir('evtrail-watch-tmux-');
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows alerts and a health panel within 80 columns, follows the file, and says how it stopped', async () => {
    const file = path.join(dir, 'live.ndjson');
    fs.writeFileSync(file, LINES.slice(0, 100).join('\n') + '\n');
    const db = path.join(dir, 'live.duckdb');
    const session = 'watch';
    // Without CI in its environment: ink draws only the last frame when it thinks it runs in CI
    // (is-in-ci), and a person at a terminal is not a CI job.
    const command = `env -u CI NO_COLOR=1 ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} watch ${JSON.stringify(file)} --db ${JSON.stringify(db)} --interval 100ms; echo EXIT=$?; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', command);
    const first = await sees(session, /100 events/);
    expect(first).toMatch(/╭─+╮/);
    fs.appendFileSync(file, LINES.slice(100).join('\n') + '\n');
    const later = await sees(session, new RegExp(`${LINES.length} events`));
    // Every line fits the terminal; the alerts are above the panel, one line each.
    for (const line of later.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(later).toMatch(/\d\d:\d\d:\d\d\.\d{3} (error|warning) +[a-z-]+ /);
    expect(later).toMatch(/\d+ alerts?/);
    expect(later).toMatch(/Ctrl-C stops after the batch in flight/);
    tmux('send-keys', '-t', session, 'C-c');
    await sees(session, /EXIT=\d+/);
    // The closing lines as written, wrapped lines joined (-J): where the terminal breaks a long
    // line depends on the counts in it, which vary with how the batches fell.
    const end = tmux('capture-pane', '-p', '-J', '-t', session);
    expect(end).toMatch(/watch stopped: \d+ batch\(es\), 410 event\(s\), \d+ alert\(s\) this run; every\s+batch was committed \(SIGINT\)/);
    expect(end).toMatch(/EXIT=130/);
  }, 240_000);
});
