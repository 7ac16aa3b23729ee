/**
 * How `evtrail report` tells what it wrote, and only that: --json the summary as one document,
 * else two lines (the file, its format, size and counts; its hash and how to check it).
 * `reportFailure` is the line that says why the command fails (--fail-on; exit 1).
 */
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { CheckFailed } from '../core/errors.js';
import type { ReportWritten } from './report.js';
import { bytes, plural } from './text.js';

export function renderReportSummary(mode: OutputMode, written: ReportWritten): void {
  const { summary } = written;
  if (mode === 'json') return printJson(summary);
  process.stdout.write(`wrote ${summary.out} (${summary.format}, ${bytes(summary.bytes)}${summary.signed ? ', signed' : ''}): ${plural(summary.rules, 'rule')}, ${plural(summary.violations, 'violation')}; integrity ${summary.integrity}\n`);
  process.stdout.write(`sha256 ${summary.sha256} (evtrail verify --report ${summary.out})\n`);
}

/** Exit 1 after writing when --fail-on was given and met (the line on stderr; none with --json). */
export function reportFailure(mode: OutputMode, written: ReportWritten): CheckFailed | undefined {
  if (written.failing === undefined) return undefined;
  return new CheckFailed(mode === 'json' ? '' : `${plural(written.failing, 'violation')} at or above ${written.failOn} (--fail-on ${written.failOn}); the report is written`);
}
