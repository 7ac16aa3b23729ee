/** The alerts a live store already holds (watch_alerts, src/watch/alerts.ts), for the audit screen of `ui --watch`. */
import type { Store } from '../../../store/store.js';
import type { Alert } from '../../../watch/alerts.js';

/** Alerts kept per rule at most (as LiveFeed keeps them); oldest first. */
const PER_RULE = 1000;

export async function readAlerts(store: Store): Promise<Alert[]> {
  // A new store: the watcher makes the table with its first batch, maybe after this read.
  const [t] = await store.all(`SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'watch_alerts' AND schema_name = 'main'`);
  if (!Number(t?.n)) return [];
  const rows = await store.all(`SELECT rule, severity, event_id, stream, message, evidence::VARCHAR AS evidence,
      strftime(raised_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS raised_at
    FROM watch_alerts QUALIFY row_number() OVER (PARTITION BY rule ORDER BY raised_at, about) <= ${PER_RULE}
    ORDER BY raised_at, rule, about`);
  return rows.map((r) => ({
    rule: String(r.rule),
    severity: String(r.severity) as Alert['severity'],
    eventId: r.event_id === null ? null : String(r.event_id),
    stream: r.stream === null ? null : String(r.stream),
    message: String(r.message),
    evidence: r.evidence === null ? {} : (JSON.parse(String(r.evidence)) as Record<string, unknown>),
    raisedAt: String(r.raised_at),
  }));
}
