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
import { rowObject } from '../output/json-rows.js';
import { exactJsonConverter } from '../output/json-values.js';
import { UserError, firstLine } from '../core/errors.js';
import { MACROS_SQL } from '../store/macros.js';
import { sqlIdent, sqlString } from '../store/sql.js';
import type { Params, PreparedStatement, Row, Store, StoreConnection } from '../store/store.js';
import { storeTimeZones } from '../store/time-zones.js';
import { DURATION_SQL_MACROS, parseAt } from '../core/time.js';
import { GENERATED_VIEWS, viewOrder, type Catalog } from './catalog.js';
import { SCHEMA_MACROS_SQL, fastPathRegex, fastPathSampleSql, schemaProblemsSql, schemaSuspectsSql, type EventSchema } from './json-schema.js';
import { fails, withPackDefaults, type AuditPlan, type PlannedRule, type TimeSpec } from './plan.js';
import type { Rule, View } from './rule-file.js';
import { SCOPE_BATCH, packsInForce, schemasFor, seqRangesSql, skipReason, type Profile } from './profile.js';
import type { AuditResult, AuditScope, RuleResult, SharedResult, Violation, ViolationSink } from './result.js';

/** Macros the rules' messages use. */
export const AUDIT_MACROS_SQL = `
${SCHEMA_MACROS_SQL}
-- A number of nanoseconds for people, as formatDuration shows it: '1m 59s', '2.328 s'.
${DURATION_SQL_MACROS}
-- A DECIMAL (or any number) as short text: 1100.000000 → 1100, 155.210000 → 155.21.
CREATE OR REPLACE TEMP MACRO evt_num(x) AS CASE WHEN x IS NULL THEN NULL
  WHEN contains(x::VARCHAR, '.') THEN rtrim(rtrim(x::VARCHAR, '0'), '.') ELSE x::VARCHAR END;
-- A number of nanoseconds as seconds: 2328426712 → '2.328426712 s'.
CREATE OR REPLACE TEMP MACRO evt_secs(ns) AS
  CASE WHEN ns < 0 THEN '-' ELSE '' END || (abs(ns) // 1000000000)::VARCHAR
  || rtrim(rtrim('.' || lpad((abs(ns) % 1000000000)::VARCHAR, 9, '0'), '0'), '.') || ' s';
`;

/** Events sampled (from the start of the log) to choose the schema check's fast path. */
const FAST_PATH_SAMPLE = 20000;

const now = (): number => performance.now();
const ms = (t0: number): number => Math.round(performance.now() - t0);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cpuMs = (c0: number): number => Math.round(cpu() - c0);

/** The profile of the audited events (audit_profile), and how it is read. */
const PROFILE_SQL = `SELECT type, schema_version, count(*) AS n, count(rev) AS with_rev, count(ts) AS with_ts, count(causation_id) AS with_causation
  FROM audit_events GROUP BY type, schema_version`;
const PROFILE_READ_SQL = `SELECT type, schema_version AS v, n, with_rev, with_ts, with_causation FROM audit_profile`;

/**
 * A scoped auditor that keeps its work between audits (a watch: one audit per batch, on a
 * connection of its own). The scope's tables, the views and the materialized views' tables are
 * made once and refilled (DELETE, INSERT) per audit, and the statements that refill them and run
 * the rules are prepared once: no DDL between two audits, so DuckDB runs the prepared plans
 * again instead of parsing, binding and planning every view and rule for every batch.
 */
interface Kept {
  ready: boolean;
  /** The store's table itself (the connection's `events` is the scope's view for good). */
  raw: string;
  views: Set<string>;
  knownTypes?: string;
  prepared: Map<string, PreparedStatement>;
  /** The store's type counts (which packs are in force), kept up to date by counting the events after this seq. */
  typesTo: number;
}

interface Session {
  macros: boolean;
  storeTypes?: Map<string, number>;
  kept?: Kept;
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
    private readonly session?: Session,
    private readonly sink?: ViolationSink,
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
    if (this.scope && this.kept) return this.runKept(this.scope, t0, c0);
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
    const logEnd = scope.logEndNs === undefined ? '(SELECT max(ts) FROM events)' : `make_timestamp_ns(${scope.logEndNs})`;
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_window AS
      SELECT NULL::TIMESTAMP_NS AS since, NULL::TIMESTAMP_NS AS until, ${logEnd} AS log_end`);
    let storeTypes = this.session?.storeTypes;
    if (!storeTypes) {
      storeTypes = new Map<string, number>();
      for (const r of await this.all(`SELECT type, count(*) AS n FROM events WHERE dup_kind IS NULL GROUP BY type`)) storeTypes.set(String(r.type), Number(r.n));
      if (this.session) this.session.storeTypes = storeTypes;
    }
    if (scope.sql !== undefined) {
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_rows AS ${scopeSql(scope.sql, await this.rawEvents())}`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_events AS SELECT * FROM events WHERE seq IN (SELECT seq FROM audit_scope_rows)`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_ids AS SELECT id FROM audit_scope_events WHERE seq IN (SELECT seq FROM audit_scope_rows WHERE judged)`);
    } else {
      const ranges = seqRangesSql(scope.seqs);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_events AS
        ${ranges.length ? ranges.map((w) => `SELECT * FROM events WHERE ${w}`).join('\nUNION ALL\n') : 'SELECT * FROM events LIMIT 0'}`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_ids (id VARCHAR)`);
      const ids = [...new Set(scope.eventIds)];
      for (let i = 0; i < ids.length; i += SCOPE_BATCH) {
        await this.exec(`INSERT INTO audit_scope_ids VALUES ${ids.slice(i, i + SCOPE_BATCH).map((id) => `(${sqlString(id)})`).join(', ')}`);
      }
    }
    await this.exec(`CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM audit_scope_events`);
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_all_events AS SELECT * FROM events WHERE dup_kind IS NULL`);
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_events AS SELECT * FROM audit_all_events`);
    return this.runRules(await this.profile(), t0, c0, storeTypes);
  }

  /** The store's own events table, by its full name (a temp view named `events` shadows it during a scoped audit). */
  private async rawEvents(): Promise<string> {
    const db = String((await this.all('SELECT current_database() AS d'))[0]!.d);
    return `${sqlIdent(db)}.main.events`;
  }

  /** A kept session's work (Kept), when the store has no lens (its view would have to be kept too). */
  private get kept(): Kept | undefined {
    return this.store.lensSql === null ? this.session?.kept : undefined;
  }

  /** A statement of a kept session: prepared once, run again with the tables' new rows. */
  private async keptRun(sql: string, read: boolean): Promise<Row[]> {
    const kept = this.kept!;
    let prepared = kept.prepared.get(sql);
    if (!prepared) {
      prepared = await this.conn.prepare(sql);
      kept.prepared.set(sql, prepared);
    }
    if (!read) {
      await prepared.run();
      return [];
    }
    return prepared.all();
  }

  /** The scoped audit of a kept session: the tables made once (runScoped says what each is), refilled now. */
  private async runKept(scope: AuditScope, t0: number, c0: number): Promise<AuditResult> {
    const kept = this.kept!;
    if (!kept.ready) {
      kept.raw = await this.rawEvents();
      // A prepared plan is run again over other rows: the optimizers that plan from the rows'
      // statistics (a filter folded away because no value could pass it, columns narrowed to
      // the range they held, row groups pruned) would make it wrong for the next batch's rows:
      // with them, a fill above the order's quantity went unseen in the batch after the first.
      await this.exec(`SET disabled_optimizers = 'statistics_propagation,compressed_materialization,row_group_pruner'`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_window (since TIMESTAMP_NS, until TIMESTAMP_NS, log_end TIMESTAMP_NS)`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_events AS SELECT * FROM ${kept.raw} LIMIT 0`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_ids (id VARCHAR)`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_scope_rows (seq BIGINT, judged BOOLEAN)`);
      await this.exec(`CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM audit_scope_events`);
      await this.exec(`CREATE OR REPLACE TEMP VIEW audit_all_events AS SELECT * FROM events WHERE dup_kind IS NULL`);
      await this.exec(`CREATE OR REPLACE TEMP VIEW audit_events AS SELECT * FROM audit_all_events`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_profile AS ${PROFILE_SQL} LIMIT 0`);
      await this.exec(`CREATE OR REPLACE TEMP VIEW audit_types AS SELECT type, schema_version, n AS events FROM audit_profile`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE audit_known_types (type VARCHAR, pack VARCHAR)`);
      kept.ready = true;
    }
    await this.keptRun(`DELETE FROM audit_window`, false);
    await this.exec(`INSERT INTO audit_window SELECT NULL, NULL, ${scope.logEndNs === undefined ? `(SELECT max(ts) FROM ${kept.raw})` : `make_timestamp_ns(${scope.logEndNs})`}`);
    // The store grows between audits: which packs are in force is decided on it as it is now,
    // counting only the events added since (an event's dup_kind is set when it is stored).
    const storeTypes = (this.session!.storeTypes ??= new Map<string, number>());
    for (const r of await this.all(`SELECT type, count(*) FILTER (WHERE dup_kind IS NULL) AS n, max(seq) AS hi FROM ${kept.raw} WHERE seq > ${kept.typesTo} GROUP BY type`)) {
      storeTypes.set(String(r.type), (storeTypes.get(String(r.type)) ?? 0) + Number(r.n));
      kept.typesTo = Math.max(kept.typesTo, Number(r.hi));
    }
    await this.keptRun(`DELETE FROM audit_scope_events`, false);
    await this.keptRun(`DELETE FROM audit_scope_ids`, false);
    if (scope.sql !== undefined) {
      // The scope stays in DuckDB: its rows, then their events and the judged ids from them.
      await this.keptRun(`DELETE FROM audit_scope_rows`, false);
      await this.exec(`INSERT INTO audit_scope_rows ${scopeSql(scope.sql, kept.raw)}`);
      await this.keptRun(`INSERT INTO audit_scope_events SELECT * FROM ${kept.raw} WHERE seq IN (SELECT seq FROM audit_scope_rows)`, false);
      await this.keptRun(`INSERT INTO audit_scope_ids SELECT id FROM audit_scope_events WHERE seq IN (SELECT seq FROM audit_scope_rows WHERE judged)`, false);
    } else {
      const ranges = seqRangesSql(scope.seqs);
      if (ranges.length) await this.exec(`INSERT INTO audit_scope_events ${ranges.map((w) => `SELECT * FROM ${kept.raw} WHERE ${w}`).join('\nUNION ALL\n')}`);
      const ids = [...new Set(scope.eventIds)];
      for (let i = 0; i < ids.length; i += SCOPE_BATCH) {
        await this.exec(`INSERT INTO audit_scope_ids VALUES ${ids.slice(i, i + SCOPE_BATCH).map((id) => `(${sqlString(id)})`).join(', ')}`);
      }
    }
    await this.keptRun(`DELETE FROM audit_profile`, false);
    await this.keptRun(`INSERT INTO audit_profile ${PROFILE_SQL}`, false);
    return this.runRules(this.readProfile(await this.keptRun(PROFILE_READ_SQL, true)), t0, c0, storeTypes);
  }

  /** A view of a kept session: defined once; a materialized one is a table refilled from its SQL (its view reads the table). */
  private async keptView(id: string): Promise<void> {
    const kept = this.kept!;
    const view = this.catalog.views.get(id);
    if (id === 'audit_schema_problems') {
      // Every registered schema (a type absent from the scope finds nothing), so that the SQL,
      // and its prepared plan, stay the same from one audit to the next.
      const schemas = this.catalog.schemas;
      const fast = new Set(schemas.filter((x) => fastPathRegex(x) !== null));
      const suspects = schemaSuspectsSql(schemas, 'audit_events', fast);
      const problems = schemaProblemsSql(schemas, 'audit_schema_suspects');
      if (!kept.views.has(id)) {
        await this.exec(`CREATE OR REPLACE TEMP TABLE audit_schema_suspects AS SELECT * FROM (${suspects}) LIMIT 0`);
        await this.exec(`CREATE OR REPLACE TEMP TABLE audit_schema_problems__data AS SELECT * FROM (${problems}) LIMIT 0`);
        await this.exec(`CREATE OR REPLACE TEMP VIEW audit_schema_problems AS SELECT * FROM audit_schema_problems__data`);
        kept.views.add(id);
      }
      await this.keptRun(`DELETE FROM audit_schema_suspects`, false);
      await this.keptRun(`INSERT INTO audit_schema_suspects ${suspects}`, false);
      await this.keptRun(`DELETE FROM audit_schema_problems__data`, false);
      if (Number((await this.keptRun(`SELECT count(*) AS n FROM audit_schema_suspects`, true))[0]!.n) > 0) {
        await this.keptRun(`INSERT INTO audit_schema_problems__data ${problems}`, false);
      }
      return;
    }
    if (!view) return; // the other generated views exist already
    const data = sqlIdent(`${id}__data`);
    const source = sqlIdent(`${id}__sql`);
    if (!kept.views.has(id)) {
      await this.fileSql(view.file, view.sqlLine, 'SQL', async () => {
        if (!view.materialize) {
          await this.exec(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(id)} AS ${view.sql}`);
          return;
        }
        await this.exec(`CREATE OR REPLACE TEMP VIEW ${source} AS ${view.sql}`);
        await this.exec(`CREATE OR REPLACE TEMP TABLE ${data} AS SELECT * FROM ${source} LIMIT 0`);
        await this.exec(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(id)} AS SELECT * FROM ${data}`);
      });
      kept.views.add(id);
    }
    if (view.materialize) {
      await this.fileSql(view.file, view.sqlLine, 'building the view', async () => {
        await this.keptRun(`DELETE FROM ${data}`, false);
        await this.keptRun(`INSERT INTO ${data} SELECT * FROM ${source}`, false);
      });
    }
  }

  private async runRules(profile: Profile, t0: number, c0: number, storeTypes?: ReadonlyMap<string, number>): Promise<AuditResult> {
    const packs = packsInForce(this.catalog, this.plan, profile, storeTypes);
    const active = new Set(packs.filter((p) => p.active).map((p) => p.id));
    await this.knownTypes(active);

    // Which rules run, which are skipped and why.
    const runnable: PlannedRule[] = [];
    const results = new Map<string, RuleResult>();
    // A pack in force may set other rules' defaults (the trading pack's clock tolerance).
    const plannedRules = withPackDefaults(this.plan.rules, this.catalog.packs.filter((p) => active.has(p.id)));
    for (const planned of plannedRules) {
      const { rule } = planned;
      const reason = skipReason(this.catalog, rule, profile, active, packs, Boolean(this.since || this.until));
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
    if (!this.kept) for (const id of order) await this.defineView(id, profile);
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
      if (this.kept) {
        await this.keptView(id);
      } else if (id === 'audit_schema_problems') {
        // Two statements, so that the messages are built only for the events step 1 kept.
        const schemas = schemasFor(this.catalog, profile);
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
    const violation = (planned: PlannedRule, row: Row): Violation => {
      const { event_id, stream, message, ...evidence } = row;
      return {
        rule: planned.rule.id,
        severity: planned.rule.severity,
        eventId: event_id === null || event_id === undefined ? null : String(event_id),
        stream: stream === null || stream === undefined ? null : String(stream),
        message: message === null || message === undefined ? '' : String(message),
        evidence,
      };
    };
    for (const planned of runnable) {
      const result = results.get(planned.rule.id)!;
      const t = now();
      const c = cpu();
      const sink = this.sink;
      // With a sink a full audit's rule hands its rows on as they are read (rows: its first few).
      const { count, rows, listed } = scoped
        ? { count: scoped.get(planned.rule.id)?.length ?? 0, rows: scoped.get(planned.rule.id) ?? [], listed: scoped.get(planned.rule.id)?.length ?? 0 }
        : await this.runRule(planned, sink && ((chunk) => sink(chunk.map((row) => violation(planned, row)))));
      if (sink && scoped && rows.length) await sink(rows.map((row) => violation(planned, row)));
      result.ms = ms(t);
      result.cpuMs = cpuMs(c);
      result.violations = count;
      result.truncated = listed < count;
      if (!sink) violations.push(...rows.map((row) => violation(planned, row)));
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
    await this.exec(`CREATE OR REPLACE TEMP TABLE audit_profile AS ${PROFILE_SQL}`);
    await this.exec(`CREATE OR REPLACE TEMP VIEW audit_types AS SELECT type, schema_version, n AS events FROM audit_profile`);
    return this.readProfile(await this.all(PROFILE_READ_SQL));
  }

  private readProfile(rows: Row[]): Profile {
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
  private async knownTypes(active: Set<string>): Promise<void> {
    const rows: string[] = [];
    for (const p of this.catalog.packs) {
      if (!active.has(p.id)) continue;
      const types = new Set([...p.vocabulary, ...p.schemas.map((s) => s.type)]);
      for (const t of types) rows.push(`(${sqlString(t)}, ${sqlString(p.id)})`);
    }
    const kept = this.kept;
    if (kept) {
      // The same packs in force as last time: the table holds their types already.
      const key = [...active].sort().join(',');
      if (kept.knownTypes === key) return;
      await this.keptRun(`DELETE FROM audit_known_types`, false);
      kept.knownTypes = key;
    } else await this.exec(`CREATE OR REPLACE TEMP TABLE audit_known_types (type VARCHAR, pack VARCHAR)`);
    if (rows.length) await this.exec(`INSERT INTO audit_known_types VALUES ${rows.join(', ')}`);
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
      const schemas = schemasFor(this.catalog, profile);
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
    for (const row of this.kept ? await this.keptRun(sql, true) : await this.all(sql)) {
      const { rule, ...rest } = row;
      const list = out.get(String(rule));
      if (list) list.push(rest);
      else out.set(String(rule), [rest]);
    }
    return out;
  }

  /**
   * A rule's violations: all of them (up to --limit) in `rows`, or with `stream` handed on a
   * chunk at a time and only the first three kept (the examples); `listed`, how many were.
   */
  private async runRule(planned: PlannedRule, stream?: (rows: Row[]) => Promise<void>): Promise<{ count: number; rows: Row[]; listed: number }> {
    const { rule } = planned;
    const table = sqlIdent(`audit_result_${rule.id}`);
    return this.fileSql(rule.file, rule.sqlLine, 'running the rule', async () => {
      if (this.scope) {
        // A few rows, all kept (the caller orders them): one statement instead of five.
        const rows = await this.all(this.ruleSql(planned));
        return { count: rows.length, rows, listed: rows.length };
      }
      await this.exec(`CREATE OR REPLACE TEMP TABLE ${table} AS ${this.ruleSql(planned)}`);
      const count = Number((await this.all(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
      const cols = (await this.all(`SELECT column_name FROM (DESCRIBE ${table})`)).map((r) => String(r.column_name));
      const order = [cols.includes('ts') ? 'ts NULLS LAST' : undefined, 'stream NULLS LAST', 'event_id', cols.includes('seq') ? 'seq' : undefined]
        .filter(Boolean)
        .join(', ');
      const limit = this.plan.limit > 0 ? ` LIMIT ${this.plan.limit}` : '';
      const listSql = `SELECT * FROM ${table} ORDER BY ${order}${limit}`;
      if (stream && count > 0) {
        // Read a chunk at a time and handed on, so that nothing holds a rule's millions of rows.
        const result = await this.conn.stream(listSql);
        const names = result.deduplicatedColumnNames();
        const examples: Row[] = [];
        let listed = 0;
        for await (const chunk of result.yieldConvertedRows(exactJsonConverter)) {
          const objects = chunk.map((r) => rowObject(names, r) as Row);
          examples.push(...objects.slice(0, Math.max(0, 3 - examples.length)));
          listed += objects.length;
          if (objects.length) await stream(objects);
        }
        await this.exec(`DROP TABLE ${table}`);
        return { count, rows: examples, listed };
      }
      // Evidence leaves in --json and reports: its values as every --json writes them (exact numbers, RFC 3339 times).
      const rows = count === 0 ? [] : await this.conn.allExact(listSql);
      await this.exec(`DROP TABLE ${table}`);
      return { count, rows, listed: rows.length };
    });
  }
}

/** Runs a planned audit on an open store (read-only is enough: all it makes is TEMP). */
export async function runPlannedAudit(store: Store, catalog: Catalog, plan: AuditPlan, sink?: ViolationSink): Promise<AuditResult> {
  return new Runner(store, catalog, plan, undefined, undefined, undefined, sink).run();
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
/** A scope's query (AuditScope.sql) over the store's own table. */
function scopeSql(sql: string, raw: string): string {
  return sql.replaceAll('{events}', raw);
}

export class ScopedAuditor {
  private conn: StoreConnection | undefined;
  private readonly session: Session = { macros: false };

  constructor(
    private readonly store: Store,
    private readonly catalog: Catalog,
    /** keep: audit after audit on this connection alone (a watch), its tables and prepared statements kept (Kept). */
    options: { keep?: boolean } = {},
  ) {
    if (options.keep) this.session.kept = { ready: false, raw: '', views: new Set(), prepared: new Map(), typesTo: 0 };
  }

  async run(plan: AuditPlan, scope: AuditScope): Promise<AuditResult> {
    this.conn ??= await this.store.openConnection();
    return new Runner(this.store, this.catalog, plan, scope, this.conn, this.session).run();
  }

  /**
   * Which of these events or streams the last audit judged (an event among its judged ids, or
   * a stream of one): a watch decides its pending findings there anew. Asked after run().
   */
  async judged(keys: readonly { eventId: string | null; stream: string | null }[]): Promise<boolean[]> {
    if (keys.length === 0 || !this.conn) return keys.map(() => false);
    const values = keys.map((k, i) => `(${i}, ${k.eventId === null ? 'NULL' : sqlString(k.eventId)}, ${k.stream === null ? 'NULL' : sqlString(k.stream)})`);
    const rows = await this.conn.all(`SELECT k.i FROM (VALUES ${values.join(', ')}) k(i, event_id, stream)
      WHERE k.event_id IN (SELECT id FROM audit_scope_ids)
        OR k.stream IN (SELECT stream FROM audit_scope_events WHERE id IN (SELECT id FROM audit_scope_ids))`);
    const hit = new Set(rows.map((r) => Number(r.i)));
    return keys.map((_k, i) => hit.has(i));
  }

  close(): void {
    for (const prepared of this.session.kept?.prepared.values() ?? []) prepared.close();
    this.session.kept?.prepared.clear();
    this.conn?.close();
    this.conn = undefined;
  }
}
