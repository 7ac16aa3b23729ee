/**
 * `evtrail ui`: one read-only store for the whole session, the app drawn on the terminal's
 * alternate screen (the shell's scrollback is left as it was), and on the way out every
 * running query stopped before the store is closed.
 */
import { render } from 'ink';
import { onInterrupt } from '../../cli/interrupt.js';
import type { Store } from '../../store/store.js';
import { App } from './app.js';
import { AppData } from './data/app-data.js';
import type { ScreenId } from './keys.js';


const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

/** Runs the app over `store` (opened read-only by the caller) until q; closes the store. */
export async function runUi(store: Store, screen: ScreenId = 'overview'): Promise<void> {
  let data: AppData | undefined;
  let entered = false;
  try {
    data = await AppData.open(store);
    process.stdout.write(ENTER_ALT_SCREEN);
    entered = true;
    const app = render(<App data={data} initial={screen} />, { patchConsole: true, exitOnCtrlC: true });
    // SIGTERM (or a Ctrl-C that reaches us as a signal) ends the app the same way as q.
    const release = onInterrupt(() => app.unmount());
    try {
      await app.waitUntilExit();
    } finally {
      release();
    }
  } finally {
    if (entered) process.stdout.write(LEAVE_ALT_SCREEN);
    if (data) {
      data.runner.cancel();
      await data.runner.idle();
    }
    store.close();
  }
}
