import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { CheckFailed, UserError, environmentError, firstLine } from '../core/errors.js';
import { VERSION } from '../version.js';
import { installInterruptHandler } from '../core/interrupt.js';
import { terminalSafe } from '../output/terminal.js';
import { setWide } from '../output/table.js';
import { registerDemo } from './commands/demo.js';
import { registerInfo } from './commands/info.js';
import { registerIngest } from './commands/ingest.js';
import { registerQuery } from './commands/query.js';
import { registerRejects } from './commands/rejects.js';
import { registerReplay } from './commands/replay.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTrace } from './commands/trace.js';
import { registerAudit } from './commands/audit.js';
import { registerSchema } from './commands/schema.js';
import { registerUi } from './commands/ui.js';
import { registerReport } from './commands/report.js';
import { registerExport } from './commands/export.js';
import { registerVerify } from './commands/verify.js';
import { registerSeal } from './commands/seal.js';
import { registerKeygen } from './commands/keygen.js';
import { registerWatch } from './commands/watch.js';
import { registerCompletion } from './commands/completion.js';
import { GROUPS, teach } from './help.js';

/**
 * The program: one file per command under commands/, each registering itself and importing
 * its service only when it runs, so `--help` and `--version` never load DuckDB or ink.
 */
export function buildProgram(): Command {
  const program = new Command('evtrail')
    .description('ingest, replay, trace and audit event logs on an embedded DuckDB')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .addHelpText('after', `
Examples:
  evtrail demo                                  # the bundled sample: what evtrail finds
  evtrail ingest logs/*.ndjson --db audit.duckdb
  evtrail replay --at 09:31 --projection orders --db evtrail-demo.duckdb
  evtrail trace ord-00000006 --db evtrail-demo.duckdb

Every command: --db FILE (default ./evtrail.duckdb, or $EVTRAIL_DB), --json; tables fit the
terminal (--wide: every column). Colour: NO_COLOR=1 or --no-color (on any command) turn it
off, FORCE_COLOR=1 forces it.
Shell completion: evtrail completion bash|zsh|fish. Guide: README.md; reference: docs/.`)
    .exitOverride()
    // Usage errors are printed by reportError, in evtrail's one-line shape.
    .configureOutput({ outputError: () => undefined });
  for (const register of [registerIngest, registerInfo, registerQuery, registerRejects, registerReplay, registerSnapshot, registerTrace, registerAudit, registerReport, registerSchema, registerExport, registerVerify, registerSeal, registerKeygen, registerWatch, registerDemo, registerUi, registerCompletion]) register(program);
  program.commands.forEach((c) => c.exitOverride());
  addWideOption(program);
  // The top-level help lists the commands by the question they answer, in this order.
  const order = GROUPS.flatMap(([, names]) => names);
  const rank = (c: Command) => (order.includes(c.name()) ? order.indexOf(c.name()) : order.length);
  (program.commands as Command[]).sort((a, b) => rank(a) - rank(b));
  teach(program);
  return program;
}

/** The commands that print tables: each takes --wide (in a terminal, every column in full). */
const TABULAR = new Set(['ingest', 'info', 'query', 'rejects', 'replay', 'snapshot', 'trace', 'audit', 'export', 'demo', 'compat', 'check', 'infer', 'timeline', 'upcast']);

function addWideOption(program: Command): void {
  const visit = (command: Command) => {
    if (TABULAR.has(command.name()) && command.commands.length === 0) {
      command.option('--wide', 'in a terminal, every column in full (else fitted to its width; a pipe gets whole values)');
    }
    command.commands.forEach(visit);
  };
  program.commands.forEach(visit);
  // Decided before the command runs, so its tables (output layer) need not be told.
  program.hook('preAction', (_program, action) => setWide(action.opts().wide === true));
}

/** Runs the CLI and sets the exit code (docs/architecture.md §3: 0 ok, 1 check failed, 2 usage/input, 3 bug). */
export async function runCli(argv: readonly string[]): Promise<void> {
  installInterruptHandler();
  // A reader that stops early (evtrail query … | head) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  // Whatever escapes the command (an error in a callback, a rejected promise nobody awaited)
  // still gets the one-line report, never a raw stack trace.
  const fatal = (error: unknown) => {
    process.exitCode = reportError(error);
    process.exit();
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const program = buildProgram();
  // `evtrail` alone in a terminal opens the explorer; anywhere else it prints the help.
  const args = argv.length <= 2 && process.stdin.isTTY && process.stdout.isTTY ? [...argv, 'ui'] : argv;
  try {
    await program.parseAsync(args as string[]);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version are not errors; help shown for a missing command is (commander
    // printed it already).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
    const { message, hint } = commanderMessage(error.message);
    process.stderr.write(`evtrail: ${message}\n`);
    process.stderr.write(`hint: ${hint}\n`);
    return 2;
  }
  if (error instanceof UserError) {
    // Messages name files, ids, rules: shown, never obeyed (terminalSafe).
    process.stderr.write(`evtrail: ${terminalSafe(error.message)}\n`);
    if (error.hint) process.stderr.write(`hint: ${terminalSafe(error.hint)}\n`);
    return error.exitCode;
  }
  if (error instanceof CheckFailed) {
    if (error.message) process.stderr.write(`evtrail: ${terminalSafe(error.message)}\n`);
    return 1;
  }
  const system = systemError(error);
  const environment = system ? undefined : environmentError(error);
  if (environment) return reportError(environment);
  if (system) {
    // The file system said no (a file unreadable or gone mid-run, a full disk): the user's to fix.
    process.stderr.write(`evtrail: ${terminalSafe(system)}\n`);
    process.stderr.write('hint: check the path, its permissions and the free space\n');
    if (process.env.EVTRAIL_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
    return 2;
  }
  process.stderr.write(`evtrail: internal error: ${terminalSafe(firstLine(error))}\n`);
  process.stderr.write('hint: this is a bug in evtrail; run with EVTRAIL_DEBUG=1 for the stack trace and report it\n');
  if (process.env.EVTRAIL_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
  return 3;
}

const SYSTEM_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  EMFILE: 'too many open files',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links (a symbolic link loop)',
  ENAMETOOLONG: 'file name too long',
};

/** A Node.js file-system error as one line, e.g. "cannot open logs/a.ndjson: permission denied". */
function systemError(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  if (!e || typeof e.code !== 'string' || typeof e.syscall !== 'string' || !(e.code in SYSTEM_ERRORS)) return undefined;
  const where = e.path ? ` ${path.relative(process.cwd(), e.path) || e.path}` : '';
  return `cannot ${e.syscall}${where}: ${SYSTEM_ERRORS[e.code]}`;
}

/** Commander's "error: unknown command 'x'\n(Did you mean y?)" as one line and a hint. */
function commanderMessage(text: string): { message: string; hint: string } {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const message = (lines[0] ?? 'bad command line').replace(/^error:\s*/, '');
  const suggestion = /^\(Did you mean (.*)\?\)$/.exec(lines[1] ?? '')?.[1];
  return {
    message,
    hint: suggestion ? `did you mean ${suggestion}? (evtrail --help lists the commands and options)` : 'evtrail --help lists the commands and options',
  };
}
