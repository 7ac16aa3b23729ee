/**
 * Replay: a time cursor over the log, moved event by event or by a time step; the chosen
 * projection's entities that the step changed, as of the cursor, the changed fields marked;
 * s shows the whole state at the cursor instead (every entity, the step's changes marked in it).
 */
import { Box, Text, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { UserError } from '../../../core/errors.js';
import { atLabel, formatDuration, parseAt, parseIsoNs, type At } from '../../../core/time.js';

import type { ScreenProps } from '../context.js';
import { Grid } from '../components/grid.js';
import { LineEditor, editLine } from '../components/line-editor.js';
import { useApp, useScreenKeys } from '../context.js';
import { STATE_ROWS, STEP_POSITIONS, move, projections, replayStep, stateAt, type Move, type ReplayState, type ReplayStep } from '../data/replay.js';
import { cellText } from '../../../output/table.js';
import { count } from '../format.js';
import { useRequest } from '../hooks/use-request.js';
import { mark } from '../timings.js';

const STEPS_NS = [1_000_000n, 100_000_000n, 1_000_000_000n, 10_000_000_000n, 60_000_000_000n, 600_000_000_000n, 3_600_000_000_000n];

export function ReplayScreen({ active, params }: ScreenProps) {
  const app = useApp();
  const { data, width, height } = app;
  const all = projections();
  const [projection, setProjection] = useState(() => Math.max(0, all.findIndex((p) => p.name === 'orders')));
  const [stepIndex, setStepIndex] = useState(2);
  const [step, load] = useRequest<ReplayStep>(data.runner);
  const [editing, setEditing] = useState(false);
  const [edit, setEdit] = useState('');
  const [left, setLeft] = useState(0);
  const [whole, setWhole] = useState(false);
  const [state, loadState] = useRequest<ReplayState>(data.runner);
  const [stateTop, setStateTop] = useState(0);
  const cursor = useRef<At>({ kind: 'seq', seq: 1n, input: 'seq:1' });
  const timing = useRef<number | undefined>(undefined);
  const def = all[projection]!;
  // Read by go(), which key handlers call with the state of their render.
  const wholeRef = useRef(whole);
  wholeRef.current = whole;

  const go = (from: At | null, to: At, p = projection, timed = false) => {
    cursor.current = to;
    timing.current = timed ? performance.now() : undefined;
    load(`replaying ${all[p]!.name} to ${atLabel(to)}`, () => replayStep(data.store, all[p]!, from, to));
    if (wholeRef.current) loadState(`${all[p]!.name} as of ${atLabel(to)}`, () => stateAt(data.store, all[p]!, to));
  };
  useEffect(() => {
    if (step.data && timing.current !== undefined) mark('replay-step', performance.now() - timing.current);
    timing.current = undefined;
  }, [step.data]);

  useEffect(() => {
    const seq = BigInt(params?.seq ?? (data.bounds.lastSeq === null ? 0 : 1));
    go(seq > 0n ? { kind: 'seq', seq: seq - 1n, input: `seq:${seq - 1n}` } : null, { kind: 'seq', seq, input: `seq:${seq}` });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [params?.nonce]);

  const moveTo = (m: Move) => {
    const event = step.data?.event ?? null;
    const eventNs = event?.ts ? parseIsoNs(event.ts) : null;
    const to = move(cursor.current, event, m, STEPS_NS[stepIndex]!, data.bounds, eventNs);
    go(cursor.current, to, projection, true);
  };

  useScreenKeys('replay', (input: string, key: Key) => {
    if (editing) {
      const r = editLine(edit, input, key);
      if (r.action === 'cancel') setEditing(false);
      else if (r.action === 'edit') setEdit(r.value);
      else if (r.action === 'submit') {
        try {
          const at = parseAt(r.value, data.bounds, '@');
          setEditing(false);
          app.say(undefined);
          go(cursor.current, at);
        } catch (error) {
          if (!(error instanceof UserError)) throw error;
          app.say(`${error.message}${error.hint ? ` (${error.hint})` : ''}`);
        }
      }
      return true;
    }
    if (key.rightArrow || input === 'l' || input === 'j' || key.downArrow) return moveTo('next'), true;
    if (key.leftArrow || input === 'h' || input === 'k' || key.upArrow) return moveTo('prev'), true;
    if (input === ']' || key.pageDown) return moveTo('forward'), true;
    if (input === '[' || key.pageUp) return moveTo('back'), true;
    if (input === 'g') return moveTo('first'), true;
    if (input === 'G') return moveTo('last'), true;
    if (input === '+') return setStepIndex((i) => Math.min(STEPS_NS.length - 1, i + 1)), true;
    if (input === '-') return setStepIndex((i) => Math.max(0, i - 1)), true;
    if (input === '>') return setLeft((l) => l + 1), true;
    if (input === '<') return setLeft((l) => Math.max(0, l - 1)), true;
    if (input === '@' || input === '/') return setEdit(''), setEditing(true), true;
    if (input === 's') {
      // The whole state at the cursor, or back to what the step changed.
      const next = !whole;
      setWhole(next);
      wholeRef.current = next;
      setStateTop(0);
      if (next) loadState(`${def.name} as of ${atLabel(cursor.current)}`, () => stateAt(data.store, def, cursor.current));
      return true;
    }
    if (whole && (input === 'J' || input === 'K')) {
      const max = Math.max(0, (state.data?.rows.length ?? 0) - (height - 3));
      setStateTop((t) => Math.max(0, Math.min(max, t + (input === 'J' ? height - 3 : -(height - 3)))));
      return true;
    }
    if (input === 'p') {
      const next = (projection + 1) % all.length;
      setProjection(next);
      // The same cut, the new projection: what the last step changed in it.
      go(step.data ? cursor.current : null, cursor.current, next);
      return true;
    }
    return false;
  });

  const s = step.data;
  const e = s?.event;
  const columns = ['change', ...def.columns];
  const rows = (s?.changes ?? []).map((c) => {
    const values = c.after ?? c.before ?? {};
    return [c.change, ...def.columns.map((col) => cellText(values[col] as never))];
  });
  const changed = (s?.changes ?? []).map((c) => new Set(c.change === 'changed' ? c.fields : def.columns));
  // The whole state: every entity, the step's changes marked where they landed.
  const keyOf = (o: Record<string, unknown>) => JSON.stringify(def.keyColumns.map((k) => cellText((o[k] ?? null) as never)));
  const changedByKey = new Map((s?.changes ?? []).filter((c) => c.after).map((c) => [keyOf(c.key), new Set(c.change === 'changed' ? c.fields : def.columns)]));
  const st = whole ? state.data : undefined;
  const stateMarks = (st?.rows ?? []).map((r) => changedByKey.get(keyOf(r)));
  // A * in the first column marks the step's rows without colours too (NO_COLOR).
  const stateRows = (st?.rows ?? []).map((r, i) => [stateMarks[i] ? '*' : '', ...def.columns.map((col) => cellText(r[col] as never))]);
  return (
    <Box flexDirection="column">
      {editing ? (
        <LineEditor label="replay to @" value={edit} width={width} placeholder="10:31, +5m, end-30s, seq:N" />
      ) : (
        <Text wrap="truncate">
          <Text bold color="cyan">{def.name}</Text>
          {` as of ${atLabel(cursor.current)}`}
          {e ? <Text dimColor>{` · seq ${e.seq} ${e.ts ?? ''} ${e.type} ${e.stream ?? ''}`}</Text> : null}
        </Text>
      )}
      <Text dimColor wrap="truncate">
        {s
          ? `${count(s.events)} event${s.events === 1 ? '' : 's'} in the step, ${count(s.changes.length)} ${def.name} row${s.changes.length === 1 ? '' : 's'} changed${s.partial ? (def.keyEvents ? ` (the first streams of ${count(s.streams)})` : ` (the first ${STEP_POSITIONS} positions)`) : ''} · `
          : ''}
        {`→← event · ][ ${formatDuration(STEPS_NS[stepIndex]!)} (+-) · s ${whole ? 'the step' : 'whole state'} · p projection · @ jump`}
      </Text>
      {whole ? (
        <Box flexDirection="column">
          {state.error ? <Text color="red">{state.error}</Text> : null}
          <Text wrap="truncate" bold>
            {st
              ? `whole state at ${atLabel(st.at)}: ${count(st.total)} ${def.name} row${st.total === 1 ? '' : 's'}${st.total > st.rows.length ? ` (the first ${count(STATE_ROWS)})` : ''}, ${count(changedByKey.size)} changed by the step (marked) · J K page`
              : 'reading the whole state…'}
          </Text>
          {stateRows.length ? (
            <Grid columns={['*', ...def.columns]} rows={stateRows} width={width} height={Math.max(1, height - 4)} top={stateTop} left={left} marked={(r, c) => c > 0 && (stateMarks[r]?.has(def.columns[c - 1]!) ?? false)} maxCell={28} />
          ) : null}
        </Box>
      ) : null}
      {step.error ? <Text color="red">{step.error}</Text> : null}
      {step.cancelled ? <Text dimColor>cancelled</Text> : null}
      {!whole && s && rows.length === 0 && !step.error ? <Text dimColor>{`the step changed no ${def.name} row`}</Text> : null}
      {!whole && rows.length ? (
        <Grid columns={columns} rows={rows} width={width} height={height - 3} top={0} left={left} marked={(r, c) => c > 0 && (changed[r]?.has(def.columns[c - 1]!) ?? false)} maxCell={28} />
      ) : null}
    </Box>
  );
}
