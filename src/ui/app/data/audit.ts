/** The audit screen's work: the built-in catalog run as `evtrail audit` runs it (defaults). */
import { loadCatalog } from '../../../audit/catalog.js';
import { planAudit } from '../../../audit/plan.js';
import { runPlannedAudit } from '../../../audit/run.js';
import type { AuditResult } from '../../../audit/result.js';
import type { Store } from '../../../store/store.js';

/** Violations kept per rule for the drill-down (the counts are always exact). */
export const VIOLATIONS_PER_RULE = 1000;

export async function auditStore(store: Store): Promise<AuditResult> {
  const catalog = loadCatalog();
  const plan = planAudit(catalog, { failOn: 'error', limit: VIOLATIONS_PER_RULE });
  return runPlannedAudit(store, catalog, plan);
}
