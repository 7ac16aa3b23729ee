import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { EventDetail } from '../data/events.js';
import { fit, jsonLines, type JsonToken } from '../format.js';

const TOKEN_COLOR: Record<JsonToken['kind'], string | undefined> = { key: 'cyan', string: 'green', number: 'yellow', literal: 'magenta', punct: undefined };

/** The detail pane's lines: the envelope fields, then data and meta as pretty JSON. */
export function detailLines(detail: EventDetail, width: number): ReactNode[] {
  const label = Math.max(...detail.fields.map(([k]) => k.length)) + 2;
  const out: ReactNode[] = detail.fields.map(([k, v], i) => (
    <Text key={`f${i}`}>
      <Text dimColor>{k.padEnd(label)}</Text>
      {fit(v, width - label)}
    </Text>
  ));
  const json = (title: string, value: unknown) => {
    out.push(<Text key={`${title}-h`} bold>{title}</Text>);
    jsonLines(value).forEach((tokens, i) => {
      let room = width;
      out.push(
        <Text key={`${title}${i}`}>
          {tokens.map((t, j) => {
            const text = t.text.slice(0, Math.max(0, room));
            room -= text.length;
            return (
              <Text key={j} color={TOKEN_COLOR[t.kind]}>
                {text}
              </Text>
            );
          })}
        </Text>,
      );
    });
  };
  json('data', detail.data);
  if (detail.meta !== null && detail.meta !== undefined) json('meta', detail.meta);
  return out;
}

/** One event in full, scrolled to `top`. */
export function EventDetailView({ detail, width, height, top }: { detail: EventDetail; width: number; height: number; top: number }) {
  const lines = detailLines(detail, width);
  const start = Math.max(0, Math.min(top, lines.length - height));
  return (
    <Box flexDirection="column">
      {lines.slice(start, start + height)}
    </Box>
  );
}
