import { UserError } from '../../core/errors.js';
import { LOBSTER_TIME_ZONE, checkTimeZone, clockText, dayClock, type DayClock } from '../../core/time-zone.js';
import { sqlString } from '../../store/sql.js';
import type { Preset, PresetContext } from './preset.js';

/** LOBSTER message types (LOBSTER_SampleFiles_ReadMe, and the website for type 6). */
export const LOBSTER_TYPES: Record<string, string> = {
  '1': 'LimitOrderSubmitted',
  '2': 'LimitOrderPartiallyCancelled',
  '3': 'LimitOrderDeleted',
  '4': 'VisibleOrderExecuted',
  '5': 'HiddenOrderExecuted',
  '6': 'CrossTrade',
  '7': 'TradingHalt',
};

/** Type 7 carries its state in the price column: -1 halt, 0 quoting resumes, 1 trading resumes. */
const HALT_STATES: Record<string, string> = { '-1': 'HALTED', '0': 'QUOTING', '1': 'TRADING' };

const FILE_NAME = /^([A-Za-z0-9.^-]+)_(\d{4}-\d{2}-\d{2})_\d+_\d+_message_\d+\.csv(\.gz)?$/;

/** Ticker and date from a LOBSTER file name: TICKER_YYYY-MM-DD_StartMs_EndMs_message_LEVEL.csv */
export function parseLobsterFileName(name: string): { symbol: string; date: string } | undefined {
  const m = FILE_NAME.exec(name);
  return m ? { symbol: m[1]!, date: m[2]! } : undefined;
}

/** Whether text is a calendar date YYYY-MM-DD (2012-06-31 is not). */
function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/**
 * The trading day of a file, its symbol and how its wall clock maps to instants: --date and
 * --symbol win over the file name's; the zone is --tz or New York's. Undefined when there is no
 * valid date (expressions() refuses that with a reason).
 */
function lobsterDay(ctx: PresetContext): { date: string; symbol: string | undefined; zone: string; clock: DayClock } | undefined {
  const fromName = parseLobsterFileName(ctx.fileName);
  const date = ctx.date ?? fromName?.date;
  if (!date || !isCalendarDate(date)) return undefined;
  const zone = checkTimeZone(ctx.timeZone ?? LOBSTER_TIME_ZONE);
  return { date, symbol: ctx.symbol ?? fromName?.symbol, zone, clock: dayClock(date, zone) };
}

/** The integer columns: order ids and sizes are never negative; a price may be (halts, empty levels). */
const INTEGERS: Record<string, string> = { order_id: '[0-9]{1,18}', size: '[0-9]{1,18}', price: '-?[0-9]{1,18}' };

/** Decimal seconds after midnight, at most nanoseconds: the only time LOBSTER writes. */
const TIME = `[0-9]{1,5}(\\.[0-9]{1,9})?`;

/**
 * LOBSTER message files (../shared/data/lobster/SOURCE.md): headerless CSV of time (decimal
 * seconds after midnight, up to nanoseconds), type 1–7, order id, size, price (dollars × 10000),
 * direction (1 buy, -1 sell). The time is the exchange's wall clock (NASDAQ: New York, or --tz):
 * it is read as a decimal string, added to the date in integer nanoseconds and moved by the
 * zone's offset at that reading (src/core/time-zone.ts: a reading the clocks skipped is
 * rejected, a repeated one is the earlier instant), so ts is the true instant and no digit is
 * lost; data.time keeps the reading as written. One stream per order id (hidden executions and
 * halts, whose order id is 0, go to the symbol's market stream). data keeps the price both as
 * integer ticks and as an exact decimal (DECIMAL, never a float); a halt's price column is its
 * state (data.halt), not a price.
 */
export const lobsterPreset: Preset = {
  name: 'lobster',
  description: 'LOBSTER message CSV (NASDAQ order-book events); date and symbol from the file name or --date / --symbol, times in New York time or --tz',
  defaultFormat: 'csv',
  marketTimeZone: LOBSTER_TIME_ZONE,
  usesPosition: true,
  keepsEveryField: true,
  csvColumns: ['time', 'event_type', 'order_id', 'size', 'price', 'direction'],
  required: ['id', 'type', 'ts'],
  candidates: {},
  expressions(access, ctx) {
    const fromName = parseLobsterFileName(ctx.fileName);
    const date = ctx.date ?? fromName?.date;
    if (!date) {
      throw new UserError(
        `LOBSTER file ${ctx.fileName}: its name carries no trading date, and no --date was given`,
        'pass --date YYYY-MM-DD, or keep LOBSTER\'s file name (TICKER_YYYY-MM-DD_StartMs_EndMs_message_LEVEL.csv)',
      );
    }
    if (!isCalendarDate(date)) {
      throw new UserError(
        `LOBSTER file ${ctx.fileName}: trading date ${date} is not a date`,
        ctx.date !== undefined ? 'pass --date YYYY-MM-DD, e.g. --date 2012-06-21' : 'pass --date YYYY-MM-DD',
      );
    }
    const day = lobsterDay(ctx)!;
    const symbol = sqlString(day.symbol ?? 'UNKNOWN');
    const time = access.text('time');
    const type = access.text('event_type');
    const orderId = access.text('order_id');
    const price = access.text('price');
    const direction = access.text('direction');
    const typeCase = `CASE ${type} ${Object.entries(LOBSTER_TYPES).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ')} ELSE '?' END`;
    // Integer nanoseconds since the epoch, as text: evt_ts() reads a 19-digit number as ns.
    // A row with a bad time or type is rejected by validate(), which names the column; its
    // placeholder here only keeps the envelope's checks from adding "missing ts" to that.
    // The reading minus the zone's offset at it (one span on a day without a clock change).
    const seconds = `split_part(${time}, '.', 1)::BIGINT`;
    const utcSeconds = day.clock.spans.length === 1
      ? `${seconds} - (${day.clock.spans[0]!.offset})`
      : `CASE ${day.clock.spans.map((sp) => `WHEN ${seconds} >= ${sp.from} AND ${seconds} < ${sp.to} THEN ${seconds} - (${sp.offset})`).join(' ')} END`;
    const ns = `CASE WHEN regexp_full_match(${time}, '${TIME}') THEN coalesce((epoch_ns(DATE ${sqlString(date)})
      + (${utcSeconds}) * 1000000000 + coalesce(nullif(rpad(split_part(${time}, '.', 2), 9, '0'), '')::BIGINT, 0))::VARCHAR, '0')
      ELSE '0' END`;
    const isHalt = `${type} = '7'`;
    return {
      ts: ns,
      // Row numbers are zero-padded to 8 digits (so ids sort in file order), more when needed.
      id: `${symbol} || '-' || ${sqlString(date)} || '-' || lpad(pos::VARCHAR, greatest(8, length(pos::VARCHAR))::INTEGER, '0')`,
      type: typeCase,
      stream: `CASE WHEN ${orderId} = '0' THEN 'market-' || ${symbol} ELSE 'order-' || ${orderId} END`,
      source: `'lobster'`,
      position: `pos::VARCHAR`,
      data: `json_object(
        'orderId', ${orderId}, 'symbol', ${symbol}, 'lobsterType', TRY_CAST(${type} AS INTEGER),
        'size', TRY_CAST(${access.text('size')} AS BIGINT),
        'priceTicks', TRY_CAST(${price} AS BIGINT),
        'price', CASE WHEN NOT (${isHalt}) THEN TRY_CAST(${price} AS BIGINT) * 0.0001::DECIMAL(5,4) END,
        'halt', CASE WHEN ${isHalt} THEN CASE ${price} ${Object.entries(HALT_STATES).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ')} END END,
        'side', CASE ${direction} WHEN '1' THEN 'BUY' WHEN '-1' THEN 'SELL' END,
        'time', ${time})`,
    };
  },
  validate(access, ctx) {
    const day = lobsterDay(ctx);
    const time = access.text('time');
    const type = access.text('event_type');
    const direction = access.text('direction');
    const checks = [
      `CASE
        WHEN ${time} IS NULL THEN 'time: missing'
        WHEN regexp_full_match(${time}, '[0-9]{1,5}\\.[0-9]{10,}') THEN 'time: ' || ${time} || ' has more than nine fractional digits (nanoseconds)'
        WHEN NOT regexp_full_match(${time}, '${TIME}') THEN 'time: expected decimal seconds after midnight, got ' || left(${time}, 40)
        WHEN TRY_CAST(split_part(${time}, '.', 1) AS INTEGER) >= 86400 THEN 'time: ' || ${time} || ' is not within a day (seconds after midnight, below 86400)'
        ${(day?.clock.skipped ?? []).map((gap) => `WHEN TRY_CAST(split_part(${time}, '.', 1) AS INTEGER) >= ${gap.from} AND TRY_CAST(split_part(${time}, '.', 1) AS INTEGER) < ${gap.to}
          THEN 'time: ' || ${time} || ' is a reading of the ${day!.zone} clock that does not exist on ${day!.date} (clocks jumped from ${clockText(gap.from)} to ${clockText(gap.to)})'`).join('\n        ')}
      END`,
      `CASE WHEN ${type} IS NULL OR ${type} NOT IN (${Object.keys(LOBSTER_TYPES).map(sqlString).join(', ')})
        THEN 'type: expected 1 to 7, got ' || coalesce(left(${type}, 40), 'nothing') END`,
      // A pattern, not TRY_CAST: DuckDB's cast would take 12.5 (as 13), 1e3, 0x10 or 1_000.
      ...Object.entries(INTEGERS).map(
        ([c, pattern]) => `CASE WHEN NOT regexp_full_match(coalesce(${access.text(c)}, ''), '${pattern}')
          THEN '${c}: expected ${pattern.startsWith('-') ? 'an integer' : 'a whole number'}, got ' || coalesce(left(${access.text(c)}, 40), 'nothing') END`,
      ),
      `CASE WHEN ${direction} IS NULL OR ${direction} NOT IN ('1', '-1')
        THEN 'direction: expected 1 (buy) or -1 (sell), got ' || coalesce(left(${direction}, 40), 'nothing') END`,
      `CASE WHEN ${type} = '7' AND ${access.text('price')} NOT IN (${Object.keys(HALT_STATES).map(sqlString).join(', ')})
        THEN 'price: a trading halt (type 7) has -1, 0 or 1 there, got ' || left(${access.text('price')}, 40) END`,
    ];
    return `nullif(concat_ws('; ', ${checks.join(', ')}), '')`;
  },
};
