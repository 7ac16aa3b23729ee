import path from 'node:path';
import type { TableData } from '../output/table.js';
import type { StoreInfo } from './info.js';

/** The info command's tables (shared by ink and plain text). */
export function infoTables(info: StoreInfo): TableData[] {
  const summary: TableData = {
    title: `store ${path.relative(process.cwd(), info.store) || info.store}`,
    columns: ['events', 'streams', 'types', 'first event', 'last event', 'rejects', 'redelivered', 'conflicts'],
    rows: [[info.events, info.streams, info.types, info.firstTs, info.lastTs, info.rejects, info.redelivered, info.conflicts]],
    note: info.market
      ? `on the exchange's clock (${info.market.timeZone}): first ${info.market.firstLocal ?? '-'}, last ${info.market.lastLocal ?? '-'}; --at 10:31 means ${info.market.timeZone} time`
      : undefined,
  };
  const sources: TableData = {
    title: 'sources',
    columns: ['source', 'kind', 'format', 'preset', 'events', 'rejects', 'bytes'],
    rows: info.sources.map((s) => [shortUri(s.source), s.kind, s.format, s.preset, s.events, s.rejects, s.bytes]),
    note: [
      ...info.sources.filter((s) => s.skipped)
        .map((s) => `${shortUri(s.source)}: ${s.skipped} record(s) skipped by its --skip condition (not events, not rejects)`),
      ...info.sources.filter((s) => s.openGaps > 0)
        .map((s) => `${shortUri(s.source)}: ${s.openGaps} gap(s) below position ${s.checkpoint} still open (transactions were running when it was read); the next ingest reads them again`),
      // Written by an evtrail that read LOBSTER's exchange clock as UTC: its times are hours off.
      ...info.sources.filter((s) => s.preset === 'lobster' && s.timeZone === undefined)
        .map((s) => `${shortUri(s.source)}: ingested by an older evtrail, its times are New York readings stored as UTC (hours early); ingest it into a new store for the true instants`),
    ].join('\n') || undefined,
  };
  const types: TableData = {
    title: 'event types',
    columns: ['type', 'events', 'schema versions'],
    rows: info.typeCounts.map((t) => [t.type, t.events, t.versions]),
    note: info.types > info.typeCounts.length ? `… ${info.types - info.typeCounts.length} more types` : undefined,
  };
  const streams: TableData = {
    title: 'largest streams',
    columns: ['stream', 'events'],
    rows: info.topStreams.map((s) => [s.stream ?? '(none)', s.events]),
  };
  const tables = [summary, sources, types, streams];
  if (info.marketData.length > 0) {
    tables.push({
      title: 'market data: orders never submitted in the file',
      columns: ['source', 'orders', 'messages'],
      rows: info.marketData.map((m) => [shortUri(m.source), m.ordersNotSubmitted, m.messagesNotSubmitted]),
      note: 'cancels, deletions and executions of orders the file never shows submitted: entered before its time window, or outside its price levels',
    });
  }
  if (info.vocabulary) {
    const v = info.vocabulary;
    const auto = (list: string[], name: string) => (list.includes(name) ? 'auto' : 'config');
    tables.push({
      title: 'vocabulary mapping (replay, trace and audit read the events through it)',
      columns: ['kind', 'in the store', 'read as', 'from'],
      rows: [
        ...Object.entries(v.types).map(([a, b]) => ['type', a, b, auto(v.automatic.types, a)]),
        ...Object.entries(v.fields).map(([a, b]) => ['data field', a, b, auto(v.automatic.fields, a)]),
      ],
    });
  }
  return tables;
}

function shortUri(uri: string): string {
  if (uri.startsWith('stdin:')) return `stdin (${uri.slice(6, 18)}…)`;
  return path.isAbsolute(uri) ? path.relative(process.cwd(), uri) || uri : uri;
}
