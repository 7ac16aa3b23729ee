/** Audit: rules with their counts → a rule's violations → the event → its trace. */
import { Box, Text, type Key } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Violation } from '../../../audit/result.js';
import type { ScreenProps } from '../context.js';
import { EventDetailView, detailLines } from '../components/event-detail.js';
import { Grid } from '../components/grid.js';
import { useApp, useScreenKeys } from '../context.js';
import { eventById, eventBySeq, type EventDetail } from '../data/events.js';
import { count, fit } from '../format.js';
import type { Alert } from '../../../watch/alerts.js';
import { listMoveOf, useList } from '../hooks/use-list.js';
import { useRequest } from '../hooks/use-request.js';

type Level = 'rules' | 'violations' | 'event';

export function AuditScreen({ active }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const audit = useSyncExternalStore(data.subscribeAudit, data.audit);
  const [level, setLevel] = useState<Level>('rules');
  const [rule, setRule] = useState<string | undefined>();
  const [detail, loadDetail] = useRequest<EventDetail | null>(data.runner);
  const [detailTop, setDetailTop] = useState(0);
  // First column shown (← → scroll the columns; a narrow terminal cuts the titles and messages).
  const [left, setLeft] = useState(0);
  // A live store's audit run again keeps showing the result before until the new one is in.
  const result = audit.status === 'done' ? audit.result : audit.status === 'running' ? audit.previous : undefined;
  // ui --watch: the watcher's alerts, newest first, above the rules (as many as fit a third).
  const live = useSyncExternalStore(data.live?.subscribe ?? noFeed, data.live?.snapshot ?? noState);
  const alertRows = live ? Math.min(live.recent.length, Math.max(1, Math.floor((height - 3) / 3))) + 1 : 0;
  const rules = result?.rules ?? [];
  const violations: Violation[] = result && rule ? result.violations.filter((v) => v.rule === rule) : [];
  const listHeight = height - 3 - alertRows;
  const ruleList = useList(rules.length, listHeight);
  const violationList = useList(violations.length, listHeight);

  useEffect(() => {
    if (active) data.runAudit();
  }, [active, data]);

  const openEvent = (v: Violation) => {
    setLevel('event');
    setDetailTop(0);
    const seq = Number(v.evidence.seq);
    loadDetail('reading the event', () => (Number.isSafeInteger(seq) && seq > 0 ? eventBySeq(data.store, seq) : eventById(data.store, v.eventId ?? '')));
  };

  useScreenKeys('audit', (input: string, key: Key) => {
    const m = listMoveOf(input, key);
    if (level !== 'event' && (key.leftArrow || key.rightArrow)) {
      const columns = level === 'rules' ? 4 : 3;
      setLeft((l) => Math.max(0, Math.min(columns - 1, l + (key.rightArrow ? 1 : -1))));
      return true;
    }
    if (level === 'rules') {
      if (m) return ruleList.move(m), true;
      if (input === 'a') return data.runAudit(true), true;
      const r = rules[ruleList.cursor];
      if (key.return && r && r.violations > 0) {
        setRule(r.id);
        setLeft(0);
        violationList.reset();
        setLevel('violations');
        return true;
      }
      return false;
    }
    if (level === 'violations') {
      if (m) return violationList.move(m), true;
      if (key.escape) return setLeft(0), setLevel('rules'), true;
      const v = violations[violationList.cursor];
      if (key.return && v && (v.eventId || v.evidence.seq !== undefined)) return openEvent(v), true;
      if (input === 't' && v) return app.go('trace', { id: v.eventId ?? v.stream ?? '' }), true;
      return false;
    }
    // level === 'event'
    if (key.escape) return setLevel('violations'), true;
    const d = detail.data;
    if ((key.return || input === 't') && d) return app.go('trace', { id: d.id }), true;
    if (input === 'r' && d) return app.go('replay', { seq: d.seq }), true;
    if (m) {
      const lines = d ? detailLines(d, width).length : 0;
      const step = { up: -1, down: 1, pageUp: -listHeight, pageDown: listHeight, first: -Infinity, last: Infinity }[m];
      setDetailTop((t) => Math.max(0, Math.min(Math.max(0, lines - listHeight), t + step)));
      return true;
    }
    return false;
  });

  const alertsPanel = live ? <LiveAlerts alerts={live.recent} count={live.alertsInStore} rows={alertRows - 1} width={width} /> : null;
  if (!result && (audit.status === 'idle' || audit.status === 'running')) return <Box flexDirection="column">{alertsPanel}<Text dimColor>running the audit…</Text></Box>;
  if (audit.status === 'cancelled') return <Box flexDirection="column">{alertsPanel}<Text dimColor>audit cancelled · a runs it again</Text></Box>;
  if (audit.status === 'error') return <Box flexDirection="column">{alertsPanel}<Text color="red">{audit.message}</Text></Box>;
  const r = result!;
  if (level === 'rules') {
    const found = r.rules.reduce((s, x) => s + x.violations, 0);
    return (
      <Box flexDirection="column">
        {alertsPanel}
        {live ? (
          <Text wrap="truncate">
            <Text bold>{`By rule: ${count(found)} alerts over ${count(r.events)} events`}</Text>
            <Text dimColor>{' · enter its alerts · ←→'}</Text>
          </Text>
        ) : (
          <Text wrap="truncate">
            <Text bold>{`Audit of ${count(r.events)} events: ${count(found)} violations`}</Text>
            <Text dimColor>{` · ${(r.totalMs / 1000).toFixed(1)} s · enter violations · ←→ · a again`}</Text>
          </Text>
        )}
        <Grid
          columns={['rule', 'severity', 'violations', 'title']}
          rows={r.rules.map((x) => [x.id, x.severity, x.status === 'skipped' ? 'skipped' : count(x.violations), x.status === 'skipped' ? (x.reason ?? '') : x.title])}
          width={width}
          height={listHeight}
          top={ruleList.top}
          cursor={ruleList.cursor}
          left={left}
          maxCell={left > 0 ? width : 60}
        />
      </Box>
    );
  }
  const ruleResult = r.rules.find((x) => x.id === rule);
  if (level === 'violations') {
    return (
      <Box flexDirection="column">
        <Text wrap="truncate">
          <Text bold>{`${rule}: ${count(ruleResult?.violations ?? 0)} violations`}</Text>
          <Text dimColor>{`${ruleResult?.truncated ? ` (first ${violations.length})` : ''} · enter the event · t trace · ←→ · esc rules`}</Text>
        </Text>
        <Grid
          columns={['event', 'stream', 'message']}
          rows={violations.map((v) => [v.eventId ?? '-', v.stream ?? '-', v.message])}
          width={width}
          height={listHeight}
          top={violationList.top}
          cursor={violationList.cursor}
          left={left}
          // Scrolled to the message, it gets the whole width.
          maxCell={left > 0 ? width : Math.max(20, width - 40)}
        />
      </Box>
    );
  }
  const v = violations[violationList.cursor];
  return (
    <Box flexDirection="column">
      <Text wrap="truncate" color="yellow">{`${rule}: ${v?.message ?? ''}`}</Text>
      <Text dimColor wrap="truncate">enter/t its trace · r replay up to it · esc violations</Text>
      {detail.data ? <EventDetailView detail={detail.data} width={width} height={listHeight} top={detailTop} /> : <Text dimColor>{detail.error ?? (detail.loading ? 'reading…' : 'event not found')}</Text>}
    </Box>
  );
}

const noFeed = () => () => undefined;
const noState = () => undefined;

/**
 * The watcher's alerts as they come (ui --watch): when, severity, rule, what it is about. The
 * rules below count them (the watcher's audit, data/live.ts liveAudit), with the drill-down.
 */
function LiveAlerts({ alerts, count: n, rows, width }: { alerts: readonly Alert[]; count: number; rows: number; width: number }) {
  return (
    <>
      <Text wrap="truncate">
        <Text bold>{`Live: ${count(n)} alert${n === 1 ? '' : 's'} raised`}</Text>
        <Text dimColor>{n ? ' by the watcher, newest first (kept in the store: watch_alerts)' : ' by the watcher yet: they show here as they come'}</Text>
      </Text>
      {alerts.slice(0, rows).map((a, i) => (
        <Text key={i} wrap="truncate" color={a.severity === 'error' ? 'red' : 'yellow'}>
          {fit(`${a.raisedAt.slice(11, 19)} ${a.severity.padEnd(7)} ${a.rule}  ${a.eventId ?? (a.stream !== null ? `stream ${a.stream}` : '')}: ${a.message}`, width)}
        </Text>
      ))}
    </>
  );
}
