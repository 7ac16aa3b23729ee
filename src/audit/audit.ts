/**
 * `evtrail audit`, the work: read the catalog and plan the run (every mistake stops here, before
 * the store is opened), run it on the store through its vocabulary mapping and --tenant, and
 * return data; or, without a store, the catalog's rules (--list) and one rule explained
 * (--explain). src/cli/commands/audit.ts reads the flags and shows the data with ./render.ts.
 * Other features run planned audits on a store they hold open (./run.ts `runPlannedAudit`).
 */
import { Store } from '../store/store.js';
import { applyLens, type Lens } from '../store/lens.js';
import { GENERATED_VIEWS, loadCatalog, type Catalog } from './catalog.js';
import { auditRequest, findRule, planAudit, type AuditFlags, type AuditPlan } from './plan.js';
import { runPlannedAudit } from './run.js';
import type { AuditResult, ViolationSink } from './result.js';

/** Where the rules come from: the built-in packs, and --rules DIR. */
export interface CatalogOptions {
  /** --rules: a folder of the user's rule files, run beside the built-in ones. */
  rules?: string;
}

/** What the command line hands over (src/cli/commands/audit.ts): the flags, their values read. */
export interface AuditOptions extends AuditFlags, CatalogOptions {
  db: string;
  /** --fail-on: the lowest severity whose violations fail the run. */
  failOn: string;
  /** Violations kept per rule (the counts are always exact); 0 keeps all. */
  limit: number;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
  /**
   * Takes each rule's violations as they are read (--ndjson writes them as they come, never all
   * held); the result's `violations` then stays empty.
   */
  sink?: ViolationSink;
}

/** An audit's answer: what it found and how long each part took, the plan it ran, the lens it read through. */
export interface AuditRun {
  result: AuditResult;
  plan: AuditPlan;
  lens: Lens;
}

function catalogOf(options: CatalogOptions): Catalog {
  return loadCatalog(options.rules === undefined ? {} : { rulesDir: options.rules });
}

/** Plans the audit the options ask for and runs it on the store (opened read-only). */
export async function runAudit(options: AuditOptions): Promise<AuditRun> {
  const catalog = catalogOf(options);
  const plan = planAudit(catalog, auditRequest(options, options.failOn, options.limit));
  const store = await Store.open(options.db, { readOnly: true });
  try {
    // Read through the store's vocabulary mapping and --tenant (the audit's views and rules see
    // the packs' names and the tenant's events only).
    const lens = await applyLens(store, options.tenant === undefined ? {} : { tenant: options.tenant });
    const result = await runPlannedAudit(store, catalog, plan, options.sink);
    return { result, plan, lens };
  } finally {
    store.close();
  }
}

/** A rule as --list shows it. */
export interface ListedRule {
  id: string;
  severity: string;
  pack: string;
  title: string;
  file: string;
}

/** The catalog's rules (--list; no store needed). */
export function listRules(options: CatalogOptions): ListedRule[] {
  return catalogOf(options).rules.map((r) => ({ id: r.id, severity: r.severity, pack: r.pack ?? 'core', title: r.title, file: r.file }));
}

/** A shared view a rule reads, as --explain shows it (`sql` null for the views evtrail generates). */
export interface ExplainedView {
  id: string;
  description: string;
  materialized: boolean;
  sql: string | null;
}

/** One rule explained (--explain; its --json document). */
export interface RuleExplanation {
  id: string;
  title: string;
  severity: string;
  pack: string;
  file: string;
  description: string;
  rationale: string;
  requires: string[];
  params: { name: string; type: string; default: string; value: string; description: string }[];
  uses: ExplainedView[];
  /** The SQL that would run: the parameters' values in place. */
  sql: string;
}

/** What a rule checks, why, its parameters (with --param's values) and SQL, and the views it reads. */
export function explainRule(options: CatalogOptions & { id: string; params: string[] }): RuleExplanation {
  const catalog = catalogOf(options);
  const rule = findRule(catalog, options.id, '--explain');
  // The values that would run, --param checked the same way as for a run.
  const planned = planAudit(catalog, { only: [options.id], params: options.params }).rules[0]!;
  const values = planned.values;
  const uses: ExplainedView[] = [];
  const add = (v: string) => {
    if (uses.some((u) => u.id === v)) return;
    const view = catalog.views.get(v);
    view?.uses.forEach(add);
    uses.push(
      view
        ? { id: v, description: view.description, materialized: view.materialize, sql: view.sql }
        : { id: v, description: GENERATED_VIEWS[v] ?? '', materialized: v === 'audit_schema_problems', sql: null },
    );
  };
  rule.uses.forEach(add);
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    pack: rule.pack ?? 'core',
    file: rule.file,
    description: rule.description,
    rationale: rule.rationale,
    requires: rule.requires,
    params: rule.params.map((p) => ({ name: p.name, type: p.type, default: p.default.text, value: values[p.name]!.text, description: p.description })),
    uses,
    sql: planned.sql,
  };
}
