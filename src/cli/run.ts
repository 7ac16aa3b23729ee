import { Command, CommanderError } from 'commander';
import { CheckFailed, UserError, firstLine } from '../core/errors.js';
import { VERSION } from '../version.js';
import { registerDemo } from './commands/demo.js';
import { registerInfo } from './commands/info.js';
import { registerIngest } from './commands/ingest.js';
import { registerQuery } from './commands/query.js';
import { registerRejects } from './commands/rejects.js';

/**
 * The program: one file per command under commands/, each registering itself and importing
 * its service only when it runs, so `--help` and `--version` never load DuckDB or ink.
 */
export function buildProgram(): Command {
  const program = new Command('evtrail')
    .description('ingest, replay, trace and audit event logs on an embedded DuckDB')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const register of [registerIngest, registerInfo, registerQuery, registerRejects, registerDemo]) register(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

/** Runs the CLI and sets the exit code (DESIGN §3: 0 ok, 1 check failed, 2 usage/input, 3 bug). */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message; --help and --version are not errors.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    process.stderr.write('hint: evtrail --help lists the commands and options\n');
    return 2;
  }
  if (error instanceof UserError) {
    process.stderr.write(`evtrail: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  if (error instanceof CheckFailed) {
    if (error.message) process.stderr.write(`evtrail: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`evtrail: internal error: ${firstLine(error)}\n`);
  process.stderr.write('hint: this is a bug in evtrail; run with EVTRAIL_DEBUG=1 for the stack trace and report it\n');
  if (process.env.EVTRAIL_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
  return 3;
}
