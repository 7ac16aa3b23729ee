/** The screens, in tab order, and the keys each understands (the help overlay lists them). */
export const SCREENS = [
  { id: 'overview', title: 'Overview' },
  { id: 'timeline', title: 'Timeline' },
  { id: 'replay', title: 'Replay' },
  { id: 'trace', title: 'Trace' },
  { id: 'audit', title: 'Audit' },
  { id: 'sql', title: 'SQL' },
  { id: 'schemas', title: 'Schemas' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];

export const GLOBAL_KEYS: [string, string][] = [
  ['?', 'this help (any key closes it)'],
  ['tab / shift-tab, 1-7', 'next / previous screen, or screen N'],
  ['↑↓ j k, PgUp PgDn, g G', 'move, page, first / last'],
  ['enter', 'drill in'],
  ['esc', 'cancel the running query, else back'],
  ['/', 'filter or search (where the screen has one)'],
  ['q, ctrl-c', 'quit'],
];

export const SCREEN_KEYS: Record<ScreenId, [string, string][]> = {
  overview: [['a', 'run the audit again (it runs by itself on stores up to 2M events)']],
  timeline: [
    ['/', 'filter: type:X stream:Y* source:Z since:10:31 until:+1h words'],
    ['@', 'jump to a time (10:31, +5m, end-30s, seq:N)'],
    ['enter', 'the event in full (pretty JSON); enter again: its trace'],
    ['t, r', 'trace the event / replay up to it'],
    ['← →', 'scroll rows wider than the terminal (seq stays)'],
  ],
  replay: [
    ['→ l, ← h', 'next / previous event'],
    ['] PgDn, [ PgUp', 'a time step forward / back'],
    ['+ -', 'longer / shorter time step'],
    ['p', 'next projection'],
    ['s', 'the whole state at the cursor (the step\'s changes marked) / back to the step'],
    ['J K', 'page the whole state'],
    ['@', 'jump to a time or seq:N'],
    ['< >', 'scroll the columns'],
  ],
  trace: [
    ['/', 'trace an id: event id, stream, order id or correlation id'],
    ['↑↓ PgUp PgDn', 'select an event (the tree scrolls with it)'],
    ['enter', 'the event in full (esc back; r replays up to it)'],
  ],
  audit: [
    ['enter', 'rule → its violations → the event → its trace'],
    ['a', 'run the audit again'],
    ['← →', 'scroll the columns (the message gets the whole width)'],
  ],
  sql: [
    ['enter', 'run when the text ends with ; (else a new line)'],
    ['ctrl-r', 'run now'],
    ['← → home end, ctrl-a ctrl-e', 'move in the statement (line start / end)'],
    ['↑ ↓', 'line above / below; history on the first / last line'],
    ['ctrl-d, ctrl-k, ctrl-u', 'delete at the cursor, to the line end, everything'],
    ['PgUp PgDn', 'scroll the result (after esc: ← → j k too)'],
    ['esc', 'cancel, or leave the editor (then q, 1-7 work; e edits)'],
  ],
  schemas: [['enter', 'the timeline filtered on that type']],
};

/** The screen a key switches to (1-7), if any. */
export function screenOfKey(input: string): ScreenId | undefined {
  const n = /^[1-7]$/.test(input) ? Number(input) : 0;
  return n ? SCREENS[n - 1]?.id : undefined;
}

export function nextScreen(current: ScreenId, step: 1 | -1): ScreenId {
  const i = SCREENS.findIndex((s) => s.id === current);
  return SCREENS[(i + step + SCREENS.length) % SCREENS.length]!.id;
}
