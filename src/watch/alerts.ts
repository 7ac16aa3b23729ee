/**
 * What `watch` remembers in the store, so that a restart (after Ctrl-C or kill -9) neither raises
 * an alert twice nor misses the events that were ingested but not yet audited:
 *
 * - `watch_alerts`: every alert raised, keyed by rule and what it is about (the event, or the
 *   stream when a rule names no event). An alert is raised when its key is new.
 * - `watch_pending`: the findings of rules that a later event can withdraw (a rule file's
 *   `settle`), found but not yet held for their settle time; since when (the watch's clock).
 *   One is raised (moved to watch_alerts) once it has held long enough, and dropped silently
 *   when an audit of its stream no longer finds it. Kept in the store, so a restart neither
 *   forgets a pending finding nor starts its wait again.
 * - `watch_state`: the last seq the audit has looked at, and the end of the log then. They move in the same transaction as the
 *   alerts and pending findings it produced, so an interrupted batch is audited again, in full, by the next run.
 *
 * These tables sit beside the events and are not part of them: the events, their chain and the
 * sources of a watched store are exactly what `ingest` would have stored.
 */
import type { Violation } from '../audit/result.js';
import { nowIso } from '../core/time.js';
import { stringifyJson } from '../output/json.js';
import type { Store } from '../store/store.js';

export const ALERTS_DDL = `
CREATE TABLE IF NOT EXISTS watch_alerts (
  rule VARCHAR NOT NULL,
  about VARCHAR NOT NULL,          -- the event id, else the stream, else the message
  severity VARCHAR NOT NULL,
  event_id VARCHAR,
  stream VARCHAR,
  message VARCHAR NOT NULL,
  evidence JSON,
  raised_at TIMESTAMP NOT NULL,    -- wall clock, UTC
  PRIMARY KEY (rule, about)
);
CREATE TABLE IF NOT EXISTS watch_state (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS watch_pending (
  rule VARCHAR NOT NULL,
  about VARCHAR NOT NULL,          -- as in watch_alerts
  event_id VARCHAR,
  stream VARCHAR,
  message VARCHAR NOT NULL,
  since_ns BIGINT NOT NULL,        -- the watch's clock when the finding was first seen (ns since the epoch)
  PRIMARY KEY (rule, about)
);
`;

/** A finding waiting for its settle time (watch_pending). */
export interface Pending {
  rule: string;
  about: string;
  eventId: string | null;
  stream: string | null;
  sinceNs: bigint;
}

/** How long each rule's findings wait before they are raised (ns); a rule not named is raised at once. */
export type SettleTimes = ReadonlyMap<string, bigint>;

export async function pendingFindings(store: Store): Promise<Pending[]> {
  const rows = await store.all(`SELECT rule, about, event_id, stream, since_ns FROM watch_pending`);
  return rows.map((r) => ({
    rule: String(r.rule), about: String(r.about),
    eventId: r.event_id === null ? null : String(r.event_id), stream: r.stream === null ? null : String(r.stream),
    sinceNs: BigInt(r.since_ns as bigint),
  }));
}

/**
 * The pending findings whose settle time has passed at `end` (they are audited again before
 * they are raised). A rule no longer settled in this run (--settle 0s, or not in the plan but
 * still pending) waits for nothing.
 */
export function duePending(pending: readonly Pending[], settle: SettleTimes, end: bigint | null): Pending[] {
  if (end === null) return [];
  return pending.filter((p) => p.sinceNs + (settle.get(p.rule) ?? 0n) <= end);
}

/** When the next pending finding is due (ns on the watch's clock), or null when none waits. */
export function nextDue(pending: readonly Pending[], settle: SettleTimes): bigint | null {
  let next: bigint | null = null;
  for (const p of pending) {
    const due = p.sinceNs + (settle.get(p.rule) ?? 0n);
    if (next === null || due < next) next = due;
  }
  return next;
}

/** The pending findings an audit judged (their event or stream was in its scope: decided anew), as `rule\u0000about` keys. */
export type Judged = ReadonlySet<string>;

export const pendingKey = (p: Pick<Pending, 'rule' | 'about'>): string => `${p.rule}\u0000${p.about}`;

/** The pending findings that an audit judged and did not find again: a later event withdrew them. */
export function withdrawn(pending: readonly Pending[], judged: Judged, found: ReadonlySet<string>): Pending[] {
  return pending.filter((p) => judged.has(pendingKey(p)) && !found.has(pendingKey(p)));
}

export interface Alert {
  rule: string;
  severity: Violation['severity'];
  eventId: string | null;
  stream: string | null;
  message: string;
  evidence: Record<string, unknown>;
  /** When evtrail raised it (RFC 3339 UTC, nine digits: nowIso). */
  raisedAt: string;
}

/**
 * An alert as one JSON line, as `watch --json` prints it and `--exec` gets it on stdin: numbers
 * that fit stay numbers, larger ones are text; a newline in a value is escaped.
 */
export function alertJsonLine(alert: Alert): string {
  const plain = JSON.parse(JSON.stringify(alert, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))) as unknown;
  return stringifyJson(plain, undefined).replace(/\n/g, '\\n') + '\n';
}

/** The identity of a finding: one alert per rule and event (or stream), whatever its message says later. */
export function alertKey(v: Pick<Violation, 'eventId' | 'stream' | 'message'>): string {
  return v.eventId ?? (v.stream !== null ? `stream:${v.stream}` : `message:${v.message}`);
}

export async function auditedTo(store: Store): Promise<number> {
  const row = (await store.all(`SELECT value FROM watch_state WHERE key = 'audited_to'`))[0];
  return row ? Number(row.value) : 0;
}

/** The end of the log (max ts, ns) when the audit last ran: how far time had come. */
export async function auditedEnd(store: Store): Promise<bigint | null> {
  const row = (await store.all(`SELECT value FROM watch_state WHERE key = 'audited_end_ns'`))[0];
  return row ? BigInt(row.value as bigint) : null;
}

/** raiseSettled with no rule settled: every violation not raised before is raised now. */
export async function raiseOnce(store: Store, violations: readonly Violation[], audited: number, end: bigint | null): Promise<Alert[]> {
  return (await raiseSettled(store, violations, audited, end, { settleNs: new Map(), pending: [], judged: new Set() })).alerts;
}

/**
 * Keeps the violations not raised before and moves the audited marks (the last seq, the end of
 * the log), in one transaction; returns the new alerts, in the order found, and the findings
 * still pending.
 *
 * A violation of a settled rule (`settle` in `settleNs`) is raised only once it has held for its
 * settle time on the watch's clock (`end`): until then it waits in watch_pending, and a pending
 * finding that the audit judged (its event or stream was in the scope) and no longer finds is
 * dropped: a later event withdrew it. With no clock (no event has a time), nothing can be
 * waited for, and it is raised at once.
 */
export async function raiseSettled(
  store: Store, violations: readonly Violation[], audited: number, end: bigint | null,
  settle: { settleNs: SettleTimes; pending: readonly Pending[]; judged: Judged },
): Promise<{ alerts: Alert[]; pending: Pending[] }> {
  return store.transaction(async () => {
    const fresh: Alert[] = [];
    const seen = new Set<string>();
    const keyed = violations.map((v) => ({ v, about: alertKey(v) })).filter(({ v, about }) => {
      const k = `${v.rule}\u0000${about}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const since = new Map(settle.pending.map((p) => [`${p.rule}\u0000${p.about}`, p.sinceNs]));
    // Since when each finding has held (the first audit that found it), and whether that is long enough.
    const held = (rule: string, about: string): { since: bigint | null; ripe: boolean } => {
      const wait = settle.settleNs.get(rule);
      if (wait === undefined || wait <= 0n || end === null) return { since: null, ripe: true };
      const from = since.get(`${rule}\u0000${about}`) ?? end;
      return { since: from, ripe: end - from >= wait };
    };
    const gone = withdrawn(settle.pending, settle.judged, seen);
    if (gone.length > 0) {
      // Few rows (a batch's withdrawn findings): one statement with their keys.
      const params: Record<string, string> = {};
      const keys = gone.map((p, j) => {
        params[`r${j}`] = p.rule;
        params[`a${j}`] = p.about;
        return `($r${j}, $a${j})`;
      });
      await store.run(`DELETE FROM watch_pending WHERE (rule, about) IN (VALUES ${keys.join(', ')})`, params);
    }
    if (keyed.length > 0) {
      const raisedAt = nowIso();
      // The candidates in a temp table (bound, 500 rows a statement), then one INSERT of those
      // whose key is new: set-based, however many findings a batch brings.
      await store.run(`CREATE OR REPLACE TEMP TABLE watch_candidates (rule VARCHAR, about VARCHAR, severity VARCHAR,
        event_id VARCHAR, stream VARCHAR, message VARCHAR, evidence VARCHAR, ripe BOOLEAN, since_ns BIGINT)`);
      for (let at = 0; at < keyed.length; at += 500) {
        const params: Record<string, string | boolean | null> = {};
        const values = keyed.slice(at, at + 500).map(({ v, about }, j) => {
          const h = held(v.rule, about);
          Object.assign(params, {
            [`r${j}`]: v.rule, [`a${j}`]: about, [`s${j}`]: v.severity, [`e${j}`]: v.eventId, [`t${j}`]: v.stream, [`m${j}`]: v.message,
            [`v${j}`]: JSON.stringify(v.evidence, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)),
            [`p${j}`]: h.ripe, [`n${j}`]: h.since === null ? null : String(h.since),
          });
          return `($r${j}, $a${j}, $s${j}, $e${j}, $t${j}, $m${j}, $v${j}, $p${j}, $n${j}::BIGINT)`;
        });
        await store.run(`INSERT INTO watch_candidates VALUES ${values.join(', ')}`, params);
      }
      const inserted = await store.all(
        `INSERT INTO watch_alerts SELECT c.rule, c.about, c.severity, c.event_id, c.stream, c.message, c.evidence::JSON, $raised::TIMESTAMP
         FROM watch_candidates c ANTI JOIN watch_alerts a USING (rule, about) WHERE c.ripe RETURNING rule, about`,
        { raised: raisedAt.replace('T', ' ').replace('Z', '') },
      );
      const raised = new Set(inserted.map((r) => `${String(r.rule)}\u0000${String(r.about)}`));
      for (const { v, about } of keyed) {
        if (raised.has(`${v.rule}\u0000${about}`)) {
          fresh.push({ rule: v.rule, severity: v.severity, eventId: v.eventId, stream: v.stream, message: v.message, evidence: v.evidence, raisedAt });
        }
      }
      // Found, not raised before, not ripe yet: pending (its first sight kept when it was pending already).
      if (settle.settleNs.size > 0) {
        await store.run(`INSERT OR REPLACE INTO watch_pending SELECT c.rule, c.about, c.event_id, c.stream, c.message, c.since_ns
          FROM watch_candidates c ANTI JOIN watch_alerts a USING (rule, about) WHERE NOT c.ripe`);
      }
      await store.run(`DROP TABLE IF EXISTS watch_candidates`);
    }
    // A pending finding raised now (or raised by an earlier run) waits no more.
    if (settle.pending.length > 0 || settle.settleNs.size > 0) {
      await store.run(`DELETE FROM watch_pending p WHERE EXISTS (SELECT 1 FROM watch_alerts a WHERE a.rule = p.rule AND a.about = p.about)`);
    }
    await store.run(`INSERT OR REPLACE INTO watch_state VALUES ('audited_to', $n)`, { n: audited });
    if (end !== null) await store.run(`INSERT OR REPLACE INTO watch_state VALUES ('audited_end_ns', ${end})`);
    const pending = settle.settleNs.size > 0 || settle.pending.length > 0 ? await pendingFindings(store) : [];
    return { alerts: fresh, pending };
  });
}
