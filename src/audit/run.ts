/**
 * The audit runner: every selected rule on one DuckDB connection, after the shared views they
 * use (each built once, the heavy ones materialized into temp tables), each rule timed.
 *
 * Order of work, so that a mistake costs nothing:
 * 1. (plan.ts, before the store is opened) rule files, parameters, flags;
 * 2. cheap: the base views, one profile of the log (types, versions, which envelope fields are
 *    filled), which packs are in force, which rules must be skipped and why;
 * 3. every view and rule query is bound (prepared) without running: a SQL error or a rule that
 *    does not return event_id, stream and message stops here;
 * 4. the shared views are materialized, then the rules run.
 */
import { UserError, firstLine } from '../core/errors.js';
import { MACROS_SQL } from '../store/macros.js';
import { sqlIdent, sqlString } from '../store/sql.js';
import type { Params, Row, Store, StoreConnection } from '../store/store.js';
import { storeTimeZones } from '../store/time-zones.js';
import { parseAt } from '../core/time.js';
import { GENERATED_VIEWS, viewOrder, type Catalog } from './catalog.js';
import { SCHEMA_MACROS_SQL, fastPathRegex, fastPathSampleSql, schemaProblemsSql, schemaSuspectsSql, type EventSchema } from './json-schema.js';
import { fails, withPackDefaults, type AuditPlan, type FailOn, type PlannedRule, type TimeSpec } from './plan.js';
import type { Prerequisite, Rule, Severity, View } from './rule-file.js';

/** Macros the rules' messages use. */
export const AUDIT_MACROS_SQL = `
${SCHEMA_MACROS_SQL}
-- A DECIMAL (or any number) as short text: 1100.000000 → 1100, 155.210000 → 155.21.
CREATE OR REPLACE TEMP MACRO evt_num(x) AS CASE WHEN x IS NULL THEN NULL
  WHEN contains(x::VARCHAR, '.') THEN rtrim(rtrim(x::VARCHAR, '0'), '.') ELSE x::VARCHAR END;
-- A number of nanoseconds as seconds: 2328426712 → '2.328426712 s'.
CREATE OR REPLACE TEMP MACRO evt_secs(ns) AS
  CASE WHEN ns < 0 THEN '-' ELSE '' END || (abs(ns) // 1000000000)::VARCHAR
  || rtrim(rtrim('.' || lpad((abs(ns) % 1000000000)::VARCHAR, 9, '0'), '0'), '.') || ' s';
`;

export type RuleStatus = 'ran' | 'skipped';

export interface RuleResult {
  id: string;
  title: string;
  severity: Severity;
  pack: string;
  status: RuleStatus;
  /** Why a rule was skipped. */
  reason?: string;
  violations: number;
  /** Time of the rule's own query (shared views are timed apart). */
  ms: number;
  /** CPU time of the process meanwhile (DuckDB's threads included): less noisy than ms on a busy machine. */
  cpuMs: number;
  /** The first few event ids, in the order violations are listed. */
  examples: string[];
  /** Fewer violations listed than found (--limit). */
  truncated: boolean;
  params: Record<string, string>;
  file: string;
}

export interface Violation {
  rule: string;
  severity: Severity;
  eventId: string | null;
  stream: string | null;
  message: string;
  /** The rule's other columns (type, ts, seq, and what proves the finding). */
  evidence: Record<string, unknown>;
}

export interface SharedResult {
  id: string;
  ms: number;
  cpuMs: number;
  materialized: boolean;
  usedBy: string[];
}

export interface PackResult {
  id: string;
  active: boolean;
  /** Share of the audited events whose type is in the pack's vocabulary. */
  share: number;
  forced: boolean;
}

export interface AuditResult {
  store: string;
  events: number;
  window: { since: string | null; until: string | null };
  failOn: FailOn;
  /** Some rule at or above --fail-on found violations: exit 1. */
  failed: boolean;
  packs: PackResult[];
  rules: RuleResult[];
  shared: SharedResult[];
  violations: Violation[];
  totalMs: number;
  totalCpuMs: number;
}

interface Profile {
  events: number;
  withRev: number;
  withTs: number;
  withCausation: number;
  /** type → schema_version → count */
  types: Map<string, Map<number, number>>;
}

/** Events sampled (from the start of the log) to choose the schema check's fast path. */
const FAST_PATH_SAMPLE = 20000;

const now = (): number => performance.now();
const ms = (t0: number): number => Math.round(performance.now() - t0);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cpuMs = (c0: number): number => Math.round(cpu() - c0);

function countTypes(profile: Profile, types: Iterable<string>): number {
  let n = 0;
  for (const t of types) for (const c of profile.types.get(t)?.values() ?? []) n += c;
  return n;
}

/**
 * An audit of a few events (what `trace` shows): the rules run over these events only, and
 * their findings are kept when their event is one of `eventIds`. For the findings to be the
 * ones a full audit makes about those events, `seqs` holds whole streams (every delivery),
 * the causes of their events and the first delivery of every redelivered id; which packs are
 * in force is decided over the whole store, as the full audit does.
 */
export interface AuditScope {
  seqs: readonly number[];
  eventIds: readonly string[];
}

/** Seqs closer than this are read with one range (a DuckDB row group holds 122,880 rows). */
const SCOPE_CLUSTER_GAP = 65_536;
const SCOPE_BATCH = 500;

/** `seq BETWEEN lo AND hi AND seq IN (…)` per cluster of nearby seqs, so DuckDB prunes row groups by seq. */
export function seqRangesSql(seqs: readonly number[]): string[] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const parts: string[] = [];
  let cur: number[] = [];
  const flush = () => {
    if (cur.length === 0) return;
    const lo = cur[0]!;
    const hi = cur[cur.length - 1]!;
    parts.push(lo === hi ? `seq = ${lo}` : `seq BETWEEN ${lo} AND ${hi} AND seq IN (${cur.join(', ')})`);
    cur = [];
  };
  for (const s of sorted) {
    if (cur.length > 0 && (s - cur[cur.length - 1]! > SCOPE_CLUSTER_GAP || cur.length >= SCOPE_BATCH)) flush();
    cur.push(s);
  }
  flush();
  return parts;
}

class Runner {
  private readonly conn: StoreConnection;
  private since: string | null = null;
  private until: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly catalog: Catalog,
    private readonly plan: AuditPlan,
    private readonly scope?: AuditScope,
    conn?: StoreConnection,
    /** A scoped auditor's connection has the macros and the store's type counts already. */
    private readonly session?: { macros: boolean; storeTypes?: Map<string, number> },
  ) {
    this.conn = conn ?? store;
  }

  /** A statement of the audit's own, timed under EVTRAIL_SQL_TIMINGS=1 like the store's. */
  private async exec(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  private async all(sql: string, params?: Params): Promise<Row[]> {
    return this.conn.all(sql, params);
  }

  /** Runs SQL from a rule or view file; an error names the file (a user's file: exit 2; ours: a bug). */
  private async fileSql<T>(file: string, line: number, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof UserError) throw error;
      const text = `${file}:${line}: ${what}: ${firstLine(error)}`;
      if (this.catalog.userFiles.has(file)) throw new UserError(text, 'fix the SQL of the file (evtrail query runs SQL against the store to try it)');
      throw new Error(text);
    }
  }

  async run(): Promise<AuditResult> {
    const t0 = now();
    const c0 = cpu();
    if (!this.session?.macros) {
      await this.exec(MACROS_SQL);
      await this.exec(AUDIT_MACROS_SQL);
      if (this.session) this.session.macros = true;
    }
    if (this.scope) {
      try {
        return await this.runScoped(this.scope, t0, c0);
      } finally {
        // Back to what the connection showed before: the store's table, or its lens.
        await this.store.restoreLens(this.conn);
      }
    }
    await this.resolveWindow();
    await this.baseViews();
    return this.runRules(await this.profile(), t0, c0);
  }

  /**
   * The scoped audit (AuditScope): the scope's events are copied into a temp table, and a temp
   * view named \`events\` shadows the store's table on this connection, so every rule and view
   * runs its own SQL unchanged over the scope. What must be judged over the whole store is read
   * before the shadow: the end of the log (saga-incomplete) and the type counts that decide
   * which packs are in force.
   */
  private async runScoped(scope: AuditScope, t0: number, c0: number): Promise<AuditResult> {
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_window AS
      SELECT NULL::TIMESTAMP_NS AS since, NULL::TIMESTAMP_NS AS until, (SELECT max(ts) FROM events) AS log_end`);
    let storeTypes = this.session?.storeTypes;
    if (!storeTypes) {
      storeTypes = new Map<string, number>();
      for (const r of await this.all(`SELECT type, count(*) AS n FROM events WHERE dup_kind IS NULL GROUP BY type`)) storeTypes.set(String(r.type), Number(r.n));
      if (this.session) this.session.storeTypes = storeTypes;
    }
    const ranges = seqRangesSql(scope.seqs);
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_events AS
      ${ranges.length ? ranges.map((w) => `SELECT * FROM events WHERE ${w}`).join('\nUNION ALL\n') : 'SELECT * FROM events LIMIT 0'}`);
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_ids (id VARCHAR)`);
    const ids = [...new Set(scope.eventIds)];
    for (let i = 0; i < ids.length; i += SCOPE_BATCH) {
      await this.exec(`INSERT INTO audit_scope_ids VALUES ${ids.slice(i, i + SCOPE_BATCH).map((id) => `(${sqlString(id)})`).join(', ')}`);
    }
    await this.exec(`CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM audit_scope_events`);
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_all_events AS SELECT * FROM events WHERE dup_kind IS NULL`);
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_events AS SELECT * FROM audit_all_events`);
    return this.runRules(await this.profile(), t0, c0, storeTypes);
  }

  private async runRules(profile: Profile, t0: number, c0: number, storeTypes?: ReadonlyMap<string, number>): Promise<AuditResult> {
    const packs = this.packs(profile, storeTypes);
    const active = new Set(packs.filter((p) => p.active).map((p) => p.id));
    await this.knownTypes(active);

    // Which rules run, which are skipped and why.
    const runnable: PlannedRule[] = [];
    const results = new Map<string, RuleResult>();
    // A pack in force may set other rules' defaults (the trading pack's clock tolerance).
    const plannedRules = withPackDefaults(this.plan.rules, this.catalog.packs.filter((p) => active.has(p.id)));
    for (const planned of plannedRules) {
      const { rule } = planned;
      const reason = this.skipReason(rule, profile, active, packs);
      results.set(rule.id, {
        id: rule.id,
        title: rule.title,
        severity: rule.severity,
        pack: rule.pack ?? 'core',
        status: reason ? 'skipped' : 'ran',
        ...(reason ? { reason } : {}),
        violations: 0,
        ms: 0,
        cpuMs: 0,
        examples: [],
        truncated: false,
        params: Object.fromEntries(Object.entries(planned.values).map(([k, v]) => [k, v.text])),
        file: rule.file,
      });
      if (!reason) runnable.push(planned);
    }

    // Bind everything before running anything heavy.
    const order = viewOrder(runnable.map((p) => p.rule), this.catalog.views);
    for (const id of order) await this.defineView(id, profile);
    // A scoped audit runs the built-in rules, bound by every full audit already: binding them
    // again would plan each query twice (the schema check's alone costs a few hundred ms).
    if (!this.scope) for (const planned of runnable) await this.bindRule(planned);

    const shared: SharedResult[] = [];
    for (const id of order) {
      const view = this.catalog.views.get(id);
      const materialize = view ? view.materialize : id === 'audit_schema_problems';
      const usedBy = runnable.filter((p) => this.usesView(p.rule, id)).map((p) => p.rule.id);
      const t = now();
      const c = cpu();
      if (id === 'audit_schema_problems') {
        // Two statements, so that the messages are built only for the events step 1 kept.
        const schemas = this.schemasFor(profile);
        // A scope is a few events: every fast path is tried (a miss only means the full check).
        const fast = this.scope ? new Set(schemas.filter((x) => fastPathRegex(x) !== null)) : await this.fastPathSchemas(schemas);
        await this.exec(`CREATE OR REPLACE TEMP TABLE audit_schema_suspects AS ${schemaSuspectsSql(schemas, 'audit_events', fast)}`);
        // No suspect: the full check (a long query to plan) has nothing to look at.
        const none = this.scope !== undefined && Number((await this.all(`SELECT count(*) AS n FROM audit_schema_suspects`))[0]!.n) === 0;
        await this.exec(`CREATE OR REPLACE TEMP TABLE audit_schema_problems__data AS ${schemaProblemsSql(none ? [] : schemas, 'audit_schema_suspects')}`);
        await this.exec(`CREATE OR REPLACE TEMP VIEW audit_schema_problems AS SELECT * FROM audit_schema_problems__data`);
      } else if (materialize && view) {
        await this.fileSql(view.file, view.sqlLine, 'building the view', async () => {
          await this.exec(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(`${id}__data`)} AS SELECT * FROM ${sqlIdent(id)}`);
          await this.exec(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(id)} AS SELECT * FROM ${sqlIdent(`${id}__data`)}`);
        });
      }
      if (materialize || GENERATED_VIEWS[id] === undefined) shared.push({ id, ms: ms(t), cpuMs: cpuMs(c), materialized: materialize, usedBy });
    }

    const violations: Violation[] = [];
    // A scope's rules run as one statement (DuckDB's cost per statement is most of a scoped
    // audit's); their findings come without evidence columns, which differ by rule.
    const scoped = this.scope && runnable.length > 0 ? await this.runScopedRules(runnable) : undefined;
    for (const planned of runnable) {
      const result = results.get(planned.rule.id)!;
      const t = now();
      const c = cpu();
      const { count, rows } = scoped ? { count: scoped.get(planned.rule.id)?.length ?? 0, rows: scoped.get(planned.rule.id) ?? [] } : await this.runRule(planned);
      result.ms = ms(t);
      result.cpuMs = cpuMs(c);
      result.violations = count;
      result.truncated = rows.length < count;
      for (const row of rows) {
        const { event_id, stream, message, ...evidence } = row;
        violations.push({
          rule: planned.rule.id,
          severity: planned.rule.severity,
          eventId: event_id === null || event_id === undefined ? null : String(event_id),
          stream: stream === null || stream === undefined ? null : String(stream),
          message: message === null || message === undefined ? '' : String(message),
          evidence,
        });
      }
      result.examples = rows.slice(0, 3).map((r) => String(r.event_id ?? ''));
    }

    const rules = plannedRules.map((p) => results.get(p.rule.id)!);
    return {
      store: this.store.path,
      events: profile.events,
      window: { since: this.since, until: this.until },
      failOn: this.plan.failOn,
      failed: rules.some((r) => r.violations > 0 && fails(r.severity, this.plan.failOn)),
      packs,
      rules,
      shared,
      violations,
      totalMs: ms(t0),
      totalCpuMs: cpuMs(c0),
    };
  }

  private usesView(rule: Rule, id: string): boolean {
    const seen = new Set<string>();
    const visit = (v: string): boolean => {
      if (v === id) return true;
      if (seen.has(v)) return false;
      seen.add(v);
      return (this.catalog.views.get(v)?.uses ?? []).some(visit);
    };
    return rule.uses.some(visit);
  }

  // ---------------------------------------------------------------------------------------------
  // Window, base views, profile

  private async resolveTime(flag: string, spec: TimeSpec): Promise<string> {
    let text = spec.text;
    // A store in market time (LOBSTER): a time without an offset is the exchange's, as for --at.
    const zones = await storeTimeZones(this.store);
    if (zones.length > 0 && (spec.kind === 'time-of-day' || /^\d{4}-\d{2}-\d{2}/.test(spec.text))) {
      const [b] = await this.all(`SELECT evt_iso(min(ts)) AS first_ts, evt_iso(max(ts)) AS last_ts FROM events`);
      const at = parseAt(spec.text, { firstTs: (b?.first_ts as string | null) ?? null, lastTs: (b?.last_ts as string | null) ?? null, lastSeq: null, timeZones: zones }, flag);
      if (at.kind === 'time') return at.iso;
    }
    if (spec.kind === 'time-of-day') {
      const days = (await this.all(`SELECT strftime(min(ts)::TIMESTAMP, '%Y-%m-%d') AS d0, strftime(max(ts)::TIMESTAMP, '%Y-%m-%d') AS d1 FROM events`))[0]!;
      if (days.d0 === null) throw new UserError(`${flag} ${spec.text}: the store has no event with a time`, 'give a full time, e.g. 2025-08-26T10:00:00Z');
      if (days.d0 !== days.d1) {
        throw new UserError(`${flag} ${spec.text}: the log spans ${days.d0} to ${days.d1}, so a time of day is ambiguous`, `give a date too, e.g. ${flag} ${days.d0}T${spec.text}`);
      }
      text = `${days.d0}T${spec.text}Z`;
    }
    const rows = await this.all(`SELECT evt_iso(evt_ts($text)) AS t`, { text });
    const t = rows[0]?.t;
    if (t === null || t === undefined) {
      throw new UserError(`${flag} ${spec.text}: not a time`, 'e.g. 10:00, 10:00:30.5, 2025-08-26T10:00:00Z, or epoch seconds / milliseconds');
    }
    return String(t);
  }

  private async resolveWindow(): Promise<void> {
    if (this.plan.since) this.since = await this.resolveTime('--since', this.plan.since);
    if (this.plan.until) this.until = await this.resolveTime('--until', this.plan.until);
    if (this.since && this.until && this.since >= this.until) {
      throw new UserError(`--since ${this.since} is not before --until ${this.until}`, 'the window is [since, until): since must come first');
    }
  }

  /** SQL condition: ts inside the window. */
  private inWindow(ts: string): string {
    const parts: string[] = [];
    if (this.since) parts.push(`${ts} >= evt_ts(${sqlString(this.since)})`);
    if (this.until) parts.push(`${ts} < evt_ts(${sqlString(this.until)})`);
    return parts.join(' AND ');
  }

  private async baseViews(): Promise<void> {
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_all_events AS SELECT * FROM events WHERE dup_kind IS NULL`);
    if (this.since || this.until) {
      // The streams with an event in the window are audited whole; findings are then kept
      // when their event is in the window (see runRule).
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope AS
        SELECT DISTINCT stream FROM events WHERE stream IS NOT NULL AND ${this.inWindow('ts')}`);
      await this.exec(`CREATE OR REPLACE TEMP VIEW audit_events AS SELECT * FROM audit_all_events
        WHERE stream IN (SELECT stream FROM audit_scope) OR (stream IS NULL AND ${this.inWindow('ts')})`);
    } else {
      await this.exec(`CREATE OR REPLACE TEMP VIEW audit_events AS SELECT * FROM audit_all_events`);
    }
    const ts = (t: string | null) => (t === null ? 'NULL::TIMESTAMP_NS' : `evt_ts(${sqlString(t)})`);
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_window AS
      SELECT ${ts(this.since)} AS since, ${ts(this.until)} AS until, (SELECT max(ts) FROM events) AS log_end`);
  }

  private async profile(): Promise<Profile> {
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_profile AS
      SELECT type, schema_version, count(*) AS n, count(rev) AS with_rev, count(ts) AS with_ts, count(causation_id) AS with_causation
      FROM audit_events GROUP BY type, schema_version`);
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_types AS SELECT type, schema_version, n AS events FROM audit_profile`);
    const rows = await this.all(`SELECT type, schema_version AS v, n, with_rev, with_ts, with_causation FROM audit_profile`);
    const profile: Profile = { events: 0, withRev: 0, withTs: 0, withCausation: 0, types: new Map() };
    for (const r of rows) {
      const n = Number(r.n);
      profile.events += n;
      profile.withRev += Number(r.with_rev);
      profile.withTs += Number(r.with_ts);
      profile.withCausation += Number(r.with_causation);
      const type = String(r.type);
      if (!profile.types.has(type)) profile.types.set(type, new Map());
      profile.types.get(type)!.set(Number(r.v), n);
    }
    return profile;
  }

  /** Which packs are in force: by the audited events' types, or (a scoped audit) by the whole store's. */
  private packs(profile: Profile, storeTypes?: ReadonlyMap<string, number>): PackResult[] {
    let total = profile.events;
    let count = (types: Iterable<string>) => countTypes(profile, types);
    if (storeTypes) {
      total = [...storeTypes.values()].reduce((a, b) => a + b, 0);
      count = (types) => [...new Set(types)].reduce((n, t) => n + (storeTypes.get(t) ?? 0), 0);
    }
    return this.catalog.packs.map((p) => {
      const forced = this.plan.packs.includes(p.id);
      const share = p.vocabulary.length === 0 ? 1 : total === 0 ? 0 : count(p.vocabulary) / total;
      return { id: p.id, active: p.id === 'core' || forced || (share >= p.minShare && total > 0), share, forced };
    });
  }

  private async knownTypes(active: Set<string>): Promise<void> {
    const rows: string[] = [];
    for (const p of this.catalog.packs) {
      if (!active.has(p.id)) continue;
      const types = new Set([...p.vocabulary, ...p.schemas.map((s) => s.type)]);
      for (const t of types) rows.push(`(${sqlString(t)}, ${sqlString(p.id)})`);
    }
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_known_types (type VARCHAR, pack VARCHAR)`);
    if (rows.length) await this.exec(`INSERT INTO audit_known_types VALUES ${rows.join(', ')}`);
  }

  private skipReason(rule: Rule, profile: Profile, active: Set<string>, packs: PackResult[]): string | undefined {
    if (profile.events === 0) return this.since || this.until ? 'no event in --since/--until' : 'the store has no events';
    if (rule.pack !== undefined && !active.has(rule.pack)) {
      const p = packs.find((x) => x.id === rule.pack)!;
      const market = this.catalog.packs.find((x) => x.kind === 'market-data' && active.has(x.id));
      if (market) {
        return `does not apply to market data: the log is ${market.id} messages (${market.title.toLowerCase()}: what a venue published), not the ${rule.pack} pack's order sagas; --pack ${rule.pack} runs it anyway`;
      }
      return `the log does not speak the ${rule.pack} vocabulary (${(p.share * 100).toFixed(p.share > 0 && p.share < 0.01 ? 2 : 0)}% of its events use it); --pack ${rule.pack} runs it anyway`;
    }
    const missing: Record<Prerequisite, () => string | undefined> = {
      rev: () => (profile.withRev === 0 ? 'no event has a stream revision (rev)' : undefined),
      ts: () => (profile.withTs === 0 ? 'no event has a time (ts)' : undefined),
      causation: () => (profile.withCausation === 0 ? 'no event names a cause (causation_id)' : undefined),
      schemas: () =>
        this.schemasFor(profile).length === 0
          ? `no JSON Schema is registered for any event type in the log (schemas come with the packs: ${this.catalog.packs.filter((p) => p.schemas.length).map((p) => p.id).join(', ') || 'none'})`
          : undefined,
      vocabulary: () =>
        [...active].some((id) => id !== 'core')
          ? undefined
          : `no pack's vocabulary is in force for this log (${packs.filter((p) => p.id !== 'core').map((p) => `${p.id}: ${(p.share * 100).toFixed(0)}% of the events`).join(', ') || 'no packs'}); --pack names one`,
    };
    for (const r of rule.requires) {
      const why = missing[r]();
      if (why) return why;
    }
    return undefined;
  }

  /**
   * The schemas whose fast path (one regular expression over the data text, fastPathRegex)
   * is used: all that have one, except those it fails for more than 10% of their events in a
   * sample from the start of the log (a producer that writes its fields in another order):
   * for them a failed match would only come on top of the full test.
   */
  private async fastPathSchemas(schemas: EventSchema[]): Promise<Set<EventSchema>> {
    const rows = await this.all(fastPathSampleSql(schemas, `(SELECT type, schema_version, data FROM audit_events LIMIT ${FAST_PATH_SAMPLE})`));
    const fast = new Set<EventSchema>();
    for (const s of schemas) {
      if (fastPathRegex(s) === null) continue;
      const row = rows.find((r) => r.type === s.type && Number(r.schema_version) === s.version);
      if (!row || Number(row.hit) >= 0.9 * Number(row.n)) fast.add(s);
    }
    return fast;
  }

  /** The registered schemas of the types the log has, the most used first. */
  private schemasFor(profile: Profile): EventSchema[] {
    const count = (s: EventSchema) => profile.types.get(s.type)?.get(s.version) ?? 0;
    return this.catalog.schemas.filter((s) => profile.types.has(s.type)).sort((a, b) => count(b) - count(a));
  }

  // ---------------------------------------------------------------------------------------------
  // Views and rules

  private async defineView(id: string, profile: Profile): Promise<void> {
    const view: View | undefined = this.catalog.views.get(id);
    if (view) {
      await this.fileSql(view.file, view.sqlLine, 'SQL', () => this.conn.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(id)} AS ${view.sql}`));
      return;
    }
    if (id === 'audit_schema_problems') {
      if (this.scope) return; // built in two steps below, not bound first (see run)
      // Bound now, built in two steps when materialized (see materialize).
      const schemas = this.schemasFor(profile);
      await this.exec(`CREATE OR REPLACE TEMP VIEW audit_schema_problems AS ${schemaProblemsSql(schemas, `(${schemaSuspectsSql(schemas)})`)}`);
    }
    // The other generated views exist already.
  }

  /** The rule's query as it runs: its SQL, kept to the window. */
  private ruleSql(planned: PlannedRule): string {
    if (this.scope) return `SELECT * FROM (${planned.sql}\n) AS v WHERE v.event_id IN (SELECT id FROM audit_scope_ids)`;
    const window = this.since || this.until ? ` WHERE v.event_id IN (SELECT id FROM events WHERE ${this.inWindow('ts')})` : '';
    return `SELECT * FROM (${planned.sql}\n) AS v${window}`;
  }

  private async bindRule(planned: PlannedRule): Promise<void> {
    const { rule } = planned;
    const columns = await this.fileSql(rule.file, rule.sqlLine, 'SQL', async () => {
      return this.conn.columns(this.ruleSql(planned));
    });
    const missing = ['event_id', 'stream', 'message'].filter((c) => !columns.includes(c));
    if (missing.length) {
      const text = `${rule.file}: sql: the query must return the columns event_id, stream and message (missing: ${missing.join(', ')})`;
      if (this.catalog.userFiles.has(rule.file)) throw new UserError(text, 'name them with AS, e.g. SELECT id AS event_id, stream, \'…\' AS message');
      throw new Error(text);
    }
  }

  /** Every rule of a scoped audit in one UNION ALL: rule → its rows (event_id, stream, message). */
  private async runScopedRules(runnable: PlannedRule[]): Promise<Map<string, Row[]>> {
    const sql = runnable
      .map((p) => `SELECT ${sqlString(p.rule.id)} AS rule, event_id::VARCHAR AS event_id, stream::VARCHAR AS stream, message::VARCHAR AS message FROM (${this.ruleSql(p)})`)
      .join('\nUNION ALL\n');
    const out = new Map<string, Row[]>();
    for (const row of await this.all(sql)) {
      const { rule, ...rest } = row;
      const list = out.get(String(rule));
      if (list) list.push(rest);
      else out.set(String(rule), [rest]);
    }
    return out;
  }

  private async runRule(planned: PlannedRule): Promise<{ count: number; rows: Row[] }> {
    const { rule } = planned;
    const table = sqlIdent(`audit_result_${rule.id}`);
    return this.fileSql(rule.file, rule.sqlLine, 'running the rule', async () => {
      if (this.scope) {
        // A few rows, all kept (the caller orders them): one statement instead of five.
        const rows = await this.all(this.ruleSql(planned));
        return { count: rows.length, rows };
      }
      await this.exec(`CREATE OR REPLACE TEMP TABLE ${table} AS ${this.ruleSql(planned)}`);
      const count = Number((await this.all(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
      const cols = (await this.all(`SELECT column_name FROM (DESCRIBE ${table})`)).map((r) => String(r.column_name));
      const order = [cols.includes('ts') ? 'ts NULLS LAST' : undefined, 'stream NULLS LAST', 'event_id', cols.includes('seq') ? 'seq' : undefined]
        .filter(Boolean)
        .join(', ');
      const limit = this.plan.limit > 0 ? ` LIMIT ${this.plan.limit}` : '';
      // Evidence leaves in --json and reports: its values as every --json writes them (exact numbers, RFC 3339 times).
      const rows = count === 0 ? [] : await this.conn.allExact(`SELECT * FROM ${table} ORDER BY ${order}${limit}`);
      await this.exec(`DROP TABLE ${table}`);
      return { count, rows };
    });
  }
}

/** Runs a planned audit on an open store (read-only is enough: all it makes is TEMP). */
export async function runAudit(store: Store, catalog: Catalog, plan: AuditPlan): Promise<AuditResult> {
  return new Runner(store, catalog, plan).run();
}

/**
 * Runs a planned audit over a scope (AuditScope) on a connection of its own (`conn`, from
 * store.openConnection()): its temp tables and the shadowing view never meet the store's main
 * connection, where the explorer may run a full audit at the same time.
 */
export async function runScopedAudit(store: Store, catalog: Catalog, plan: AuditPlan, scope: AuditScope, conn: StoreConnection): Promise<AuditResult> {
  return new Runner(store, catalog, plan, scope, conn).run();
}

/**
 * Scoped audits one after another on one connection of their own (the trace screen, a report's
 * traces): the macros and the store's type counts are made once.
 */
export class ScopedAuditor {
  private conn: StoreConnection | undefined;
  private readonly session: { macros: boolean; storeTypes?: Map<string, number> } = { macros: false };

  constructor(
    private readonly store: Store,
    private readonly catalog: Catalog,
  ) {}

  async run(plan: AuditPlan, scope: AuditScope): Promise<AuditResult> {
    this.conn ??= await this.store.openConnection();
    return new Runner(this.store, this.catalog, plan, scope, this.conn, this.session).run();
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}
