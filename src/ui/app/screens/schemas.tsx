/** Schemas: each event type and schema version, how many, and when in the log it was seen. */
import { Box, Text } from 'ink';
import { useEffect } from 'react';
import { parseIsoNs } from '../../../core/time.js';
import type { ScreenProps } from '../context.js';
import { Grid, columnWidths } from '../components/grid.js';
import { useApp, useScreenKeys } from '../context.js';
import { schemaTimeline, type SchemaTimeline } from '../data/schemas.js';
import { count, shortTime } from '../format.js';
import { listMoveOf, useList } from '../hooks/use-list.js';
import { useRequest } from '../hooks/use-request.js';

/** Where [first, last] falls in [lo, hi], drawn on `width` columns (pure). */
export function spanBar(first: string | null, last: string | null, lo: string | null, hi: string | null, width: number): string {
  const [a, b, l, h] = [first, last, lo, hi].map((t) => (t === null ? null : parseIsoNs(t)));
  if (a == null || b == null || l == null || h == null || width <= 0) return ''.padEnd(width);
  const span = h - l > 0n ? h - l : 1n;
  const at = (t: bigint) => Number(((t - l) * BigInt(width - 1)) / span);
  const from = at(a);
  const to = Math.max(from, at(b));
  return ' '.repeat(from) + '━'.repeat(to - from + 1) + ' '.repeat(Math.max(0, width - to - 1));
}

export function SchemasScreen({ active }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const [state, load] = useRequest<SchemaTimeline>(data.runner);
  const rows = state.data?.rows ?? [];
  const list = useList(rows.length, height - 2);
  useEffect(() => {
    load('reading types and versions', () => schemaTimeline(data.store));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useScreenKeys('schemas', (input, key) => {
    const m = listMoveOf(input, key);
    if (m) return list.move(m), true;
    const r = rows[list.cursor];
    if (key.return && r) return app.go('timeline', { filter: `type:${r.type}` }), true;
    return false;
  });
  if (state.error) return <Text color="red">{state.error}</Text>;
  const t = state.data;
  if (!t) return <Text dimColor>reading types and versions…</Text>;
  const cells = rows.map((r) => [r.type, `v${r.version}`, count(r.events), shortTime(r.first, data.oneDay), shortTime(r.last, data.oneDay)]);
  // The bar takes what the other columns leave (the gutter, their widths, two spaces each).
  const fixed = 1 + columnWidths(['type', 'version', 'events', 'first', 'last'], cells).reduce((sum, w) => sum + w + 2, 0);
  const barWidth = Math.max(6, width - fixed);
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate">{`${rows.length} type/version pairs · seen: when in the log · enter its events`}</Text>
      <Grid
        columns={['type', 'version', 'events', 'first', 'last', 'seen'.padEnd(barWidth)]}
        rows={rows.map((r, i) => [...cells[i]!, spanBar(r.first, r.last, t.first, t.last, barWidth)])}
        width={width}
        height={height - 2}
        top={list.top}
        cursor={list.cursor}
        maxCell={Math.max(barWidth, 30)}
      />
    </Box>
  );
}
