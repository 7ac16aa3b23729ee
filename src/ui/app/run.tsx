/**
 * `evtrail ui`: one read-only store for the whole session, the app drawn on the terminal's
 * alternate screen (the shell's scrollback is left as it was), and on the way out every
 * running query stopped before the store is closed. The shell is drawn before the store's data
 * is in (see Boot); a store that cannot be opened is reported as any command's error.
 */
import { render } from 'ink';
import { UserError } from '../../core/errors.js';
import { INTERRUPT_EXIT, onInterrupt } from '../../core/interrupt.js';
import { Boot } from './app.js';
import type { Session } from './boot.js';
import type { ScreenId } from './keys.js';
import { mark, sinceStart } from './timings.js';

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

/** Runs the app over the session's store until q; closes the store. */
export async function runUi(session: Session, db: string, screen: ScreenId = 'overview'): Promise<void> {
  mark('ink-loaded', sinceStart());
  let failed = false;
  /** The signal that ended the app (a --watch then exits as `watch` does: 130 / 143). */
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  const settled = session.data.then(
    () => undefined,
    () => void (failed = true),
  );
  // A store that failed to open while ink loaded (no such file, locked) is reported without
  // drawing anything.
  await Promise.race([settled, new Promise((r) => setImmediate(r))]);
  if (failed) {
    (await session.store.catch(() => undefined))?.close();
    await session.data;
  }
  let entered = false;
  try {
    process.stdout.write(ENTER_ALT_SCREEN);
    entered = true;
    const app = render(
      <Boot boot={session.data} store={db} initial={screen} onFirstScreen={() => void session.data.then((d) => d.startBackgroundAudit())} />,
      { patchConsole: true, exitOnCtrlC: true },
    );
    mark('shell', sinceStart());
    // A failure after the shell is drawn ends the app; it is reported below.
    session.data.catch(() => app.unmount());
    // SIGTERM (or a Ctrl-C that reaches us as a signal) ends the app the same way as q.
    const release = onInterrupt((s) => {
      signal = s;
      app.unmount();
    });
    try {
      await app.waitUntilExit();
    } finally {
      release();
    }
  } finally {
    if (entered) process.stdout.write(LEAVE_ALT_SCREEN);
    // ui --watch: the watcher is asked to stop first, so that its batch in flight finishes
    // while the reads below are stopped.
    session.live?.feed.stopping();
    session.live?.watch.stop();
    const data = await session.data.catch(() => undefined);
    if (data) {
      data.runner.cancel(true);
      await data.runner.idle();
    }
    (await session.store.catch(() => undefined))?.close();
  }
  // Opening failed: the error goes to the one-line report (the watcher stopped first).
  const opened = session.data.then(() => undefined);
  opened.catch(() => undefined);
  if (session.live) await endWatch(session.live, signal);
  await opened;
}

/**
 * The watcher's end, said on stderr (the terminal's own screen is back): how many batches this
 * run committed (after a signal as the one-line report, exit 130 / 143, as `watch` does), or
 * why it failed (exit 2, one line: its batch in flight was not committed).
 */
async function endWatch(live: NonNullable<Session['live']>, signal: 'SIGINT' | 'SIGTERM' | undefined): Promise<void> {
  let waiting: ReturnType<typeof setTimeout> | undefined;
  // A large batch may take a while: the wait is said.
  waiting = setTimeout(() => process.stderr.write('stopping the watcher after the batch in flight…\n'), 300);
  let end;
  try {
    end = await live.end;
  } finally {
    clearTimeout(waiting);
    waiting = undefined;
    live.feed.dispose();
    await live.watch.close();
  }
  if (end.kind === 'failed') {
    throw new UserError(
      `the watcher failed: ${end.message}; its batch in flight was not committed (every batch before it was)`,
      end.hint ?? 'fix the cause, then run the same command again: it goes on from the last committed batch',
    );
  }
  const r = end.result;
  const line = `watch stopped: ${r.batches} batch(es), ${r.events} event(s), ${r.alerts} alert(s) this run; every batch was committed`;
  // Stopped by a signal (a service manager's SIGTERM): said as watch says it, with its exit code.
  if (signal) throw new UserError(`${line} (${signal})`, 'run the same command again to go on from here: nothing is read or raised twice', INTERRUPT_EXIT[signal]);
  process.stderr.write(`${line}\n`);
}
