/**
 * The `positions` projection as a plain JavaScript fold (average cost), the spec
 * ../projections/positions.ts is tested against.
 */
import { inCut, type Cut, type OrderEvent } from './orders.js';

export interface Position {
  pos: number;
  /** Signed cost basis: avgCost × pos. */
  cost: number;
  pnl: number;
}

export interface PositionRow {
  accountId: string | null;
  symbol: string | null;
  netQty: number;
  avgCost: number | null;
  realizedPnl: number;
  fills: number;
  conflicts: number;
  lastFillAt: string | null;
}

/** One fill of signed quantity q (BUY > 0, SELL < 0) at price p, average cost. */
export function applyFill(s: Position, q: number, p: number): Position {
  const pos = s.pos + q;
  if (s.pos === 0 || Math.sign(q) === Math.sign(s.pos)) return { pos, cost: s.cost + q * p, pnl: s.pnl };
  const avg = s.cost / s.pos;
  if (Math.abs(q) <= Math.abs(s.pos)) return { pos, cost: avg * pos, pnl: s.pnl + Math.abs(q) * (p - avg) * Math.sign(s.pos) };
  return { pos, cost: pos * p, pnl: s.pnl + Math.abs(s.pos) * (p - avg) * Math.sign(s.pos) };
}

const field = (d: unknown, k: string): unknown => (d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>)[k] : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : null);
const text = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

interface Acc extends Position {
  accountId: string | null;
  symbol: string | null;
  fills: number;
  conflicts: number;
  lastFillAt: string | null;
}

/**
 * Fills are attributed through their order's last OrderPlaced in the cut, which may come later
 * in the log than the fill (clock skew): so a first pass finds the orders, a second folds.
 */
export function replayPositions(events: readonly OrderEvent[], cut: Cut): PositionRow[] {
  const inView = events.filter((e) => e.stream !== null && e.dup_kind !== 'redelivery' && inCut(e, cut));
  const placed = new Map<string, unknown>();
  for (const e of inView) if (e.type === 'OrderPlaced') placed.set(e.stream!, e.data);
  const accs = new Map<string, Acc>();
  for (const e of inView) {
    if (e.type !== 'OrderPartiallyFilled' && e.type !== 'OrderFilled') continue;
    if (!placed.has(e.stream!)) continue;
    const order = placed.get(e.stream!);
    const side = field(order, 'side');
    const sign = side === 'BUY' ? 1 : side === 'SELL' ? -1 : 0;
    const q = num(field(e.data, 'fillQty'));
    const p = num(field(e.data, 'fillPrice'));
    if (sign === 0 || q === null || p === null) continue;
    const accountId = text(field(order, 'accountId'));
    const symbol = text(field(order, 'symbol'));
    const key = JSON.stringify([accountId, symbol]);
    const acc = accs.get(key) ?? { accountId, symbol, pos: 0, cost: 0, pnl: 0, fills: 0, conflicts: 0, lastFillAt: null };
    const next = applyFill(acc, sign * q, p);
    accs.set(key, { ...acc, ...next, fills: acc.fills + 1, conflicts: acc.conflicts + (e.dup_kind === 'conflict' ? 1 : 0), lastFillAt: e.ts });
  }
  const cmp = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  return [...accs.values()]
    .sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.symbol, b.symbol))
    .map((a) => ({
      accountId: a.accountId,
      symbol: a.symbol,
      netQty: a.pos,
      avgCost: a.pos !== 0 ? round6(a.cost / a.pos) : null,
      realizedPnl: round6(a.pnl),
      fills: a.fills,
      conflicts: a.conflicts,
      lastFillAt: a.lastFillAt,
    }));
}
