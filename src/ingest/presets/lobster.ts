import { UserError } from '../../core/errors.js';
import { sqlString } from '../../store/sql.js';
import type { Preset } from './preset.js';

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

const FILE_NAME = /^([A-Za-z0-9.^-]+)_(\d{4}-\d{2}-\d{2})_\d+_\d+_message_\d+\.csv(\.gz)?$/;

/** Ticker and date from a LOBSTER file name: TICKER_YYYY-MM-DD_StartMs_EndMs_message_LEVEL.csv */
export function parseLobsterFileName(name: string): { symbol: string; date: string } | undefined {
  const m = FILE_NAME.exec(name);
  return m ? { symbol: m[1]!, date: m[2]! } : undefined;
}

/**
 * LOBSTER message files (../shared/data/lobster/SOURCE.md): headerless CSV of time (decimal
 * seconds after midnight, up to nanoseconds), type 1–7, order id, size, price (dollars × 10000),
 * direction (1 buy, -1 sell). The time is read as a decimal string and added to the date in
 * integer nanoseconds, so no digit is lost; one stream per order id (hidden executions and
 * halts, whose order id is 0, go to the symbol's market stream).
 */
export const lobsterPreset: Preset = {
  name: 'lobster',
  description: 'LOBSTER message CSV (NASDAQ order-book events); date and symbol from the file name or --date',
  defaultFormat: 'csv',
  csvColumns: ['time', 'event_type', 'order_id', 'size', 'price', 'direction'],
  required: ['id', 'type', 'ts'],
  candidates: {},
  expressions(access, ctx) {
    const fromName = parseLobsterFileName(ctx.fileName);
    const date = ctx.date ?? fromName?.date;
    if (!date) {
      throw new UserError(
        `LOBSTER file ${ctx.fileName}: no trading date`,
        'name the file TICKER_YYYY-MM-DD_…_message_N.csv as LOBSTER does, or pass --date YYYY-MM-DD',
      );
    }
    const symbol = sqlString(fromName?.symbol ?? 'UNKNOWN');
    const time = access.text('time');
    const type = access.text('event_type');
    const orderId = access.text('order_id');
    const price = access.text('price');
    const direction = access.text('direction');
    const typeCase = `CASE ${type} ${Object.entries(LOBSTER_TYPES).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ')} END`;
    // Integer nanoseconds since the epoch, as text: evt_ts() reads a 19-digit number as ns.
    const ns = `CASE WHEN regexp_full_match(${time}, '[0-9]{1,5}(\\.[0-9]{1,9})?') THEN (epoch_ns(DATE ${sqlString(date)})
      + split_part(${time}, '.', 1)::BIGINT * 1000000000 + coalesce(nullif(rpad(split_part(${time}, '.', 2), 9, '0'), '')::BIGINT, 0))::VARCHAR END`;
    return {
      ts: ns,
      id: `${symbol} || '-' || ${sqlString(date)} || '-' || lpad(pos::VARCHAR, 8, '0')`,
      type: typeCase,
      stream: `CASE WHEN ${orderId} = '0' THEN 'market-' || ${symbol} ELSE 'order-' || ${orderId} END`,
      source: `'lobster'`,
      position: `pos::VARCHAR`,
      data: `json_object(
        'orderId', ${orderId}, 'symbol', ${symbol}, 'lobsterType', TRY_CAST(${type} AS INTEGER),
        'size', TRY_CAST(${access.text('size')} AS BIGINT),
        'priceTicks', TRY_CAST(${price} AS BIGINT),
        'price', TRY_CAST(${price} AS DECIMAL(18,0)) / 10000,
        'side', CASE ${direction} WHEN '1' THEN 'BUY' WHEN '-1' THEN 'SELL' END,
        'time', ${time})`,
    };
  },
  validate(access) {
    const type = access.text('event_type');
    const checks = [
      `CASE WHEN NOT regexp_full_match(coalesce(${access.text('time')}, ''), '[0-9]{1,5}(\\.[0-9]{1,9})?') THEN 'time: expected decimal seconds after midnight, got ' || coalesce(${access.text('time')}, 'nothing') END`,
      `CASE WHEN ${type} NOT IN ('1','2','3','4','5','6','7') OR ${type} IS NULL THEN 'type: expected 1 to 7, got ' || coalesce(${type}, 'nothing') END`,
      ...['order_id', 'size', 'price'].map(
        (c) => `CASE WHEN TRY_CAST(${access.text(c)} AS BIGINT) IS NULL THEN '${c}: expected an integer, got ' || coalesce(${access.text(c)}, 'nothing') END`,
      ),
      `CASE WHEN ${access.text('direction')} NOT IN ('1','-1') OR ${access.text('direction')} IS NULL THEN 'direction: expected 1 or -1' END`,
    ];
    return `nullif(concat_ws('; ', ${checks.join(', ')}), '')`;
  },
};
