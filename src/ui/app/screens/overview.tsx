/** Overview: what the store holds, events over time as a sparkline, the audit's status per rule. */
import { Box, Text } from 'ink';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { RuleResult } from '../../../audit/result.js';
import { describeVocabulary } from '../../../packs/vocabulary-map.js';
import type { Lens } from '../../../store/lens.js';
import type { ScreenProps } from '../context.js';
import { useApp, useScreenKeys } from '../context.js';
import type { AuditState } from '../data/app-data.js';
import { scanDelay } from '../data/live.js';
import { eventBuckets, readOverview, readStreams, readTypes, type Overview } from '../data/overview.js';
import { count, fit, resample, sparkline } from '../format.js';
import { useRequest } from '../hooks/use-request.js';
import { mark, sinceStart } from '../timings.js';

export function OverviewScreen({ active }: ScreenProps) {
  const { data, width, height } = useApp();
  // What the app read while it started: the first frame shows it without another round trip.
  const [state, run] = useRequest<Overview>(data.runner, useState(() => data.takeOverview())[0]);
  // What scans the events comes after the first frame, one read at a time, each shown as soon
  // as it is in (and kept in data.details: coming back to the overview does not read it again).
  const d = data.details;
  const [types, runTypes] = useRequest(data.runner, d.typeCounts && d.types !== undefined ? { types: d.types, typeCounts: d.typeCounts } : undefined);
  const [streams, runStreams] = useRequest(data.runner, d.streams);
  const [buckets, runBuckets] = useRequest<number[]>(data.runner, d.buckets);
  const audit = useSyncExternalStore(data.subscribeAudit, data.audit);
  useEffect(() => {
    if (!state.data) run('reading the store', async () => (await readOverview(data.store)).overview);
    if (!types.data) runTypes('counting types', () => readTypes(data.store), (t) => Object.assign(d, t));
    if (streams.data === undefined) runStreams('counting streams', () => readStreams(data.store), (n) => void (d.streams = n));
    // The sparkline comes last: it is the least read.
    if (!buckets.data) runBuckets('events over time', () => eventBuckets(data.store, Math.max(8, width - 2)), (b) => void (d.buckets = b));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  // A live store (ui --watch): read again after each refresh. The counts AppData.followLive
  // has read already; the scans of the events follow in the background, spaced by their cost
  // (scanDelay: at most a quarter of the time, a refresh coming sooner waits for them).
  const liveVersion = useSyncExternalStore(data.subscribeLive, data.liveVersion);
  const scans = useRef<{ startedAt: number; costMs: number; timer?: ReturnType<typeof setTimeout> }>({ startedAt: -Infinity, costMs: 0 });
  useEffect(() => {
    if (liveVersion === 0) return;
    const bg = { background: true };
    run('following the log', () => data.latestOverview(), undefined, bg);
    const s = scans.current;
    if (s.timer) return;
    const scan = () => {
      s.timer = undefined;
      const t0 = performance.now();
      s.startedAt = t0;
      runTypes('counting types', () => readTypes(data.store), (t) => Object.assign(d, t), bg);
      runStreams('counting streams', () => readStreams(data.store), (n) => void (d.streams = n), bg);
      runBuckets('events over time', () => eventBuckets(data.store, Math.max(8, width - 2)), (b) => {
        d.buckets = b;
        s.costMs = performance.now() - t0;
      }, bg);
    };
    const wait = scanDelay(s.costMs, performance.now() - s.startedAt);
    if (wait <= 0) scan();
    else s.timer = setTimeout(scan, wait);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [liveVersion]);
  useEffect(() => () => clearTimeout(scans.current.timer), []);
  // A resize: the sparkline is re-binned to the new width at once (same span, see resample) and
  // its exact counts read again once the size has settled.
  const bucketWidth = Math.max(8, width - 2);
  useEffect(() => {
    if (!buckets.data || buckets.data.length === bucketWidth) return;
    const timer = setTimeout(() => runBuckets('events over time', () => eventBuckets(data.store, bucketWidth), (b) => void (d.buckets = b)), 300);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bucketWidth, buckets.data]);
  // After the commit that drew the data: the first screen is on the terminal.
  useEffect(() => {
    if (state.data) mark('first-screen', sinceStart());
  }, [state.data]);
  useScreenKeys('overview', (input) => {
    if (input === 'a') {
      data.runAudit(true);
      return true;
    }
    return false;
  });
  if (state.error) return <Text color="red">{state.error}</Text>;
  if (!state.data) return <Text dimColor>reading the store…</Text>;
  const details = { ...types.data, ...(streams.data !== undefined ? { streams: streams.data } : {}) };
  return <OverviewView overview={{ ...state.data, details, ...(buckets.data ? { buckets: buckets.data } : {}) }} audit={audit} width={width} height={height} lens={data.lens} />;
}

/**
 * What the explorer shows, when it is not the store as stored: one tenant's events, read
 * through the store's vocabulary mapping. The sources and the ingests' counts (rejects,
 * redelivered, conflicts) stay the whole store's.
 */
export function lensLine(lens: Lens | undefined): string | null {
  if (!lens || (lens.tenant === null && !lens.vocabulary)) return null;
  const parts: string[] = [];
  if (lens.tenant !== null) parts.push(`tenant ${lens.tenant} only`);
  if (lens.vocabulary) parts.push(`read through the store's vocabulary mapping: ${describeVocabulary(lens.vocabulary).join(', ')}`);
  return `Showing ${parts.join(', ')}`;
}

export function OverviewView({ overview: o, audit, width, height, lens }: { overview: Overview; audit: AuditState; width: number; height: number; lens?: Lens }) {
  const { info } = o;
  const shown = lensLine(lens);
  const more = o.details ?? {};
  // A count not read yet: a placeholder of its own width, so the line does not jump much.
  const later = (n: number | undefined) => (n === undefined ? '…' : count(n));
  const half = Math.floor((width - 2) / 2);
  // Always the terminal's width and the whole time range (a slice would drop the day's end).
  const spark = o.buckets ? sparkline(resample(o.buckets, Math.max(8, width - 2))) : '';
  const first = info.firstTs ?? '';
  const last = info.lastTs ?? '';
  const oneDay = first.slice(0, 10) === last.slice(0, 10);
  const short = (t: string) => (oneDay ? t.slice(11, 19) : t.slice(0, 19).replace('T', ' '));
  const rest = Math.max(3, height - 8 - Math.min(3, info.sources.length) - (shown ? 1 : 0));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{count(info.events)}</Text> events · {later(more.streams)} streams · {later(more.types)} types · rejects{' '}
        <Text color={info.rejects ? 'yellow' : undefined}>{count(info.rejects)}</Text> · redelivered {count(info.redelivered)} · conflicts{' '}
        <Text color={info.conflicts ? 'red' : undefined}>{count(info.conflicts)}</Text>
      </Text>
      {shown ? (
        <Text wrap="truncate" color="magenta">
          {shown}
        </Text>
      ) : null}
      <Text wrap="truncate" dimColor>
        {first ? `${first} → ${last}${oneDay ? ` (${first.slice(0, 10)})` : ''}` : 'no event times'}
      </Text>
      <Text color="cyan">{spark || ' '}</Text>
      {spark ? (
        <Text dimColor>
          {short(first)}
          {short(last).padStart(Math.max(0, spark.length - short(first).length))}
        </Text>
      ) : (
        <Text dimColor>events over time…</Text>
      )}
      <Text bold>Sources</Text>
      {info.sources.slice(0, 3).map((s, i) => (
        <Text key={i} wrap="truncate">
          {`  ${s.kind} ${s.format}/${s.preset}  ${count(s.events)} events${s.rejects ? `, ${count(s.rejects)} rejects` : ''}  `}
          <Text dimColor>{s.source}</Text>
        </Text>
      ))}
      {info.sources.length > 3 ? <Text dimColor>{`  … ${info.sources.length - 3} more`}</Text> : null}
      <Box flexDirection="row">
        <Box flexDirection="column" width={half}>
          <Text bold>Types</Text>
          {more.typeCounts ? null : <Text dimColor>  counting…</Text>}
          {(more.typeCounts ?? []).slice(0, rest).map((t) => (
            <Text key={t.type} wrap="truncate">
              {`  ${fit(t.type, half - 20).padEnd(half - 20)} ${count(t.events).padStart(10)} `}
              <Text dimColor>v{t.versions}</Text>
            </Text>
          ))}
        </Box>
        <Box flexDirection="column" width={width - half - 2} marginLeft={2}>
          <Text bold>Audit</Text>
          <AuditSummary audit={audit} width={width - half - 2} rows={rest} />
        </Box>
      </Box>
    </Box>
  );
}

function AuditSummary({ audit, width, rows }: { audit: AuditState; width: number; rows: number }) {
  if (audit.status === 'idle') return <Text dimColor>  not run yet: a runs it (or 5)</Text>;
  if (audit.status === 'running' && !audit.previous) return <Text dimColor>{audit.background ? '  running in the background… (esc cancels)' : '  running…'}</Text>;
  if (audit.status === 'cancelled') return <Text dimColor>  cancelled: a runs it again</Text>;
  if (audit.status === 'error') return <Text color="red">  {fit(audit.message, width - 2)}</Text>;
  // A live store's audit run again shows the result before meanwhile.
  const result = audit.status === 'running' ? audit.previous! : audit.result;
  // Rules that found something first, then the clean ones, then the skipped.
  const order = (r: RuleResult) => (r.status === 'skipped' ? 2 : r.violations > 0 ? 0 : 1);
  const rules = [...result.rules].sort((a, b) => order(a) - order(b));
  return (
    <>
      {rules.slice(0, rows).map((r) => (
        <Text key={r.id} wrap="truncate">
          {'  '}
          <Text color={r.status === 'skipped' ? undefined : r.violations === 0 ? 'green' : r.severity === 'error' ? 'red' : 'yellow'} dimColor={r.status === 'skipped'}>
            {(r.status === 'skipped' ? 'skip' : count(r.violations)).padStart(6)}
          </Text>
          {` ${fit(r.id, width - 10)}`}
        </Text>
      ))}
      {rules.length > rows ? <Text dimColor>{`  … ${rules.length - rows} more (5: Audit)`}</Text> : null}
    </>
  );
}
