/**
 * What `watch` remembers in the store, so that a restart (after Ctrl-C or kill -9) neither raises
 * an alert twice nor misses the events that were ingested but not yet audited:
 *
 * - `watch_alerts`: every alert raised, keyed by rule and what it is about (the event, or the
 *   stream when a rule names no event). An alert is raised when its key is new.
 * - `watch_state`: the last seq the audit has looked at, and the end of the log then. They move in the same transaction as the
 *   alerts it produced, so an interrupted batch is audited again, in full, by the next run.
 *
 * These tables sit beside the events and are not part of them: the events, their chain and the
 * sources of a watched store are exactly what `ingest` would have stored.
 */
import type { Violation } from '../audit/result.js';
import { nowIso } from '../core/time.js';
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
`;

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

/**
 * Keeps the violations not raised before and moves the audited marks (the last seq, the end of
 * the log), in one transaction; returns the new alerts, in the order found.
 */
export async function raiseOnce(store: Store, violations: readonly Violation[], audited: number, end: bigint | null): Promise<Alert[]> {
  return store.transaction(async () => {
    const fresh: Alert[] = [];
    const seen = new Set<string>();
    const keyed = violations.map((v) => ({ v, about: alertKey(v) })).filter(({ v, about }) => {
      const k = `${v.rule}\u0000${about}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (keyed.length > 0) {
      const raisedAt = nowIso();
      // The candidates in a temp table (bound, 500 rows a statement), then one INSERT of those
      // whose key is new: set-based, however many findings a batch brings.
      await store.run(`CREATE OR REPLACE TEMP TABLE watch_candidates (rule VARCHAR, about VARCHAR, severity VARCHAR,
        event_id VARCHAR, stream VARCHAR, message VARCHAR, evidence VARCHAR)`);
      for (let at = 0; at < keyed.length; at += 500) {
        const params: Record<string, string | null> = {};
        const values = keyed.slice(at, at + 500).map(({ v, about }, j) => {
          Object.assign(params, {
            [`r${j}`]: v.rule, [`a${j}`]: about, [`s${j}`]: v.severity, [`e${j}`]: v.eventId, [`t${j}`]: v.stream, [`m${j}`]: v.message,
            [`v${j}`]: JSON.stringify(v.evidence, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)),
          });
          return `($r${j}, $a${j}, $s${j}, $e${j}, $t${j}, $m${j}, $v${j})`;
        });
        await store.run(`INSERT INTO watch_candidates VALUES ${values.join(', ')}`, params);
      }
      const inserted = await store.all(
        `INSERT INTO watch_alerts SELECT c.rule, c.about, c.severity, c.event_id, c.stream, c.message, c.evidence::JSON, $raised::TIMESTAMP
         FROM watch_candidates c ANTI JOIN watch_alerts a USING (rule, about) RETURNING rule, about`,
        { raised: raisedAt.replace('T', ' ').replace('Z', '') },
      );
      const raised = new Set(inserted.map((r) => `${String(r.rule)}\u0000${String(r.about)}`));
      for (const { v, about } of keyed) {
        if (raised.has(`${v.rule}\u0000${about}`)) {
          fresh.push({ rule: v.rule, severity: v.severity, eventId: v.eventId, stream: v.stream, message: v.message, evidence: v.evidence, raisedAt });
        }
      }
      await store.run(`DROP TABLE IF EXISTS watch_candidates`);
    }
    await store.run(`INSERT OR REPLACE INTO watch_state VALUES ('audited_to', $n)`, { n: audited });
    if (end !== null) await store.run(`INSERT OR REPLACE INTO watch_state VALUES ('audited_end_ns', ${end})`);
    return fresh;
  });
}
