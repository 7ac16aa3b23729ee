/**
 * How an ingest's summary is shown, and only that, from what ./run-ingest.ts returns: --json the
 * summary as one document (`{ "ingested", "rejected", "redelivered", "conflicts", "sources" }`,
 * docs/architecture.md §3), else a table of the sources with the notes an event-store read
 * leaves (gaps, rows held back) and the vocabulary kept, then "next:" steps on stderr.
 */
import { printJson } from '../output/json.js';
import { printTables, type TableData } from '../output/table.js';
import { dbArg, printNextSteps } from '../output/next-steps.js';
import type { OutputMode } from '../output/mode.js';
import { describeVocabulary } from '../packs/vocabulary-map.js';
import type { SourceSummary } from './ingest.js';
import type { IngestAnswer } from './run-ingest.js';

/** What an event-store read says of its gaps (ingest.ts SourceSummary.gaps). */
export function gapNotes(s: SourceSummary): string[] {
  const notes: string[] = [];
  if (s.held) notes.push(`${s.source}: ${s.held} row(s) held back: written by transactions not older than the oldest one still running on the server (the store's own read rule: an earlier position may still commit); the next ingest reads them`);
  if (s.skipped) notes.push(`${s.source}: ${s.skipped.count} row(s) skipped: ${s.skipped.what}`);
  if (s.archived) notes.push(`${s.source}: ${s.archived} event(s) of archived streams (kept; meta.marten.is_archived)`);
  const g = s.gaps;
  if (!g) return notes;
  if (g.filled) notes.push(`${s.source}: ${g.filled} event(s) read from gaps an earlier ingest left open (committed late; they follow in seq)`);
  if (g.count > 0) notes.push(`${s.source}: ${g.missing} position(s) missing in ${g.count} gap(s), first at ${g.first} (a rolled-back write or a deleted message leaves one)`);
  if (g.open) notes.push(`${s.source}: ${g.open} gap(s) kept open: transactions were still running; the next ingest reads them again`);
  return notes;
}

/** `nextSteps`: the "next:" lines (not with --quiet). */
export async function renderIngest(mode: OutputMode, answer: IngestAnswer, nextSteps: boolean): Promise<void> {
  const { summary } = answer;
  if (mode === 'json') {
    printJson(summary);
    return;
  }
  const table: TableData = {
    title: `ingested ${summary.ingested} event${summary.ingested === 1 ? '' : 's'} into ${answer.db}` +
      (summary.rejected ? `, rejected ${summary.rejected} (evtrail rejects lists them)` : '') +
      (summary.skipped ? `, skipped ${summary.skipped} (--skip)` : '') +
      (summary.redelivered ? `, ${summary.redelivered} redelivered` : '') +
      (summary.conflicts ? `, ${summary.conflicts} conflicting ids` : ''),
    columns: ['source', 'format', 'preset', 'status', 'ingested', 'rejected', 'redelivered', 'conflicts'],
    rows: summary.sources.map((s) => [s.source, s.format, s.preset, s.status, s.ingested, s.rejected, s.redelivered, s.conflicts]),
    note: [
      ...summary.sources.flatMap((s) => gapNotes(s)),
      ...(summary.vocabulary && (Object.keys(summary.vocabulary.types).length || Object.keys(summary.vocabulary.fields).length)
        ? [`vocabulary (kept in the store; replay, trace, audit and report read through it): ${describeVocabulary(summary.vocabulary).join(', ')}`]
        : []),
    ].join('\n') || undefined,
  };
  await printTables(mode, [table]);
  if (nextSteps && summary.ingested + summary.rejected > 0) {
    const db = dbArg(answer.db);
    printNextSteps([
      [`evtrail info${db}`, 'what the store holds now'],
      ...(summary.rejected ? [[`evtrail rejects${db}`, 'the records that could not be read, and why'] as [string, string]] : []),
      [`evtrail audit${db}`, 'what broke the rules'],
      [`evtrail ui${db}`, 'explore it in the terminal'],
    ]);
  }
}
