/**
 * Ctrl-C and SIGTERM, handled once for the whole process.
 *
 * By default an interrupt ends evtrail at once (exit 130, or 143 for SIGTERM): nothing has
 * been written yet, or what has been written is a DuckDB transaction that was never committed,
 * which the store drops when it is next opened. A command that must stop cleanly (ingest:
 * interrupt the running statement, roll back, remove a store it had just created) takes over
 * with `onInterrupt` and ends by itself; a second Ctrl-C still ends the process at once.
 */
type Handler = (signal: 'SIGINT' | 'SIGTERM') => void;

const handlers: Handler[] = [];
let installed = false;
let received = 0;

export const INTERRUPT_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      received++;
      const handler = handlers[handlers.length - 1];
      if (handler && received === 1) {
        handler(signal);
        return;
      }
      // After the terminal's ^C, on a line of its own.
      process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}evtrail: interrupted\nhint: run the command again\n`);
      process.exit(INTERRUPT_EXIT[signal]);
    });
  }
}

/** Runs fn on the first interrupt instead of exiting; call the returned function to give it back. */
export function onInterrupt(fn: Handler): () => void {
  handlers.push(fn);
  return () => {
    const i = handlers.lastIndexOf(fn);
    if (i >= 0) handlers.splice(i, 1);
  };
}

/**
 * For a command whose work is DuckDB statements and that must stop cleanly: the first interrupt
 * interrupts the statement running on `conn()` (if any) and is remembered in `signal`, for the
 * command to stop at its next step. `release` gives the interrupt back (call it in a finally).
 */
export function interruptStatements(conn: () => { interrupt(): void } | undefined): {
  readonly signal: 'SIGINT' | 'SIGTERM' | undefined;
  release: () => void;
} {
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  const release = onInterrupt((received) => {
    signal = received;
    try {
      conn()?.interrupt();
    } catch {
      /* no statement running: the next step stops */
    }
  });
  return {
    get signal() {
      return signal;
    },
    release,
  };
}
