/**
 * `evtrail watch`: follow sources into a store and raise what breaks the rules as it happens.
 * The setup is ./session.ts `openWatch` (the same as `ui --watch`'s); this runs its loop until
 * it stops (idle for --stop-after, or Ctrl-C / SIGTERM), hands what happens to the output
 * (./render.ts), runs `--exec CMD` once per alert and returns how the watch ended.
 */
import { spawn } from 'node:child_process';
import { onInterrupt } from '../core/interrupt.js';
import { alertJsonLine, type Alert } from './alerts.js';
import { openWatch, type WatchSetup } from './session.js';
import type { WatchCallbacks, WatchResult } from './watcher.js';

export interface WatchOptions extends Omit<WatchSetup, 'command'> {
  /** A shell command run once per alert, the alert as JSON on its stdin. */
  exec?: string;
}

/** Where the watch's alerts, batches and notices go; opened once the watch's setup has passed. */
export interface WatchOutput extends WatchCallbacks {
  /** Ctrl-C / SIGTERM: the batch in flight is being finished. */
  stopping(): void;
  /** The loop has stopped: what is held is written. */
  end(): Promise<void>;
  /** Always, last (idempotent): a terminal view let go. */
  close(): Promise<void>;
}

export interface WatchRun {
  result: WatchResult;
  /** Set when a signal stopped the watch (its exit code is 130 / 143). */
  signal?: 'SIGINT' | 'SIGTERM';
}

export async function runWatch(sources: string[], options: WatchOptions, openOutput: () => Promise<WatchOutput>): Promise<WatchRun> {
  const session = await openWatch(sources, { ...options, command: 'watch' });
  let output: WatchOutput | undefined;
  let signal: WatchRun['signal'];
  const release = onInterrupt((s) => {
    signal = s;
    output?.stopping();
    session.stop();
  });
  const execs: Promise<void>[] = [];
  try {
    const out = (output = await openOutput());
    const end = await session.start({
      alert: (a) => {
        out.alert(a);
        if (options.exec) execs.push(runExec(options.exec, a));
      },
      batch: (b) => out.batch(b),
      notice: (m) => out.notice(m),
    });
    if (end.kind === 'failed') throw end.error ?? new Error(end.message);
    await out.end();
    await Promise.all(execs);
    return { result: end.result, signal };
  } finally {
    release();
    await session.close();
    await output?.close().catch(() => undefined);
  }
}

/** Runs the user's command with the alert on its stdin; its failure is said, never fatal. */
function runExec(command: string, alert: Alert): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', (e) => {
      process.stderr.write(`watch: --exec could not start: ${e.message}\n`);
      resolve();
    });
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(`watch: --exec exited with ${code} for ${alert.rule} ${alert.eventId ?? ''}\n`);
      resolve();
    });
    child.stdin.on('error', () => undefined); // a command that does not read its stdin
    child.stdin.end(alertJsonLine(alert));
  });
}
