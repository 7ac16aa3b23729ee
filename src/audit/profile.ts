/**
 * The audit's decisions before any rule runs, pure: from one profile of the log (its types,
 * versions and which envelope fields are filled) which packs are in force, which rules are
 * skipped and why, which schemas apply; and the seq ranges a scoped audit reads. ./run.ts
 * takes the profile with SQL and runs what these decide.
 */
import type { Catalog } from './catalog.js';
import type { EventSchema } from './json-schema.js';
import type { AuditPlan } from './plan.js';
import type { PackResult } from './result.js';
import type { Prerequisite, Rule } from './rule-file.js';

export interface Profile {
  events: number;
  withRev: number;
  withTs: number;
  withCausation: number;
  /** type → schema_version → count */
  types: Map<string, Map<number, number>>;
}

function countTypes(profile: Profile, types: Iterable<string>): number {
  let n = 0;
  for (const t of types) for (const c of profile.types.get(t)?.values() ?? []) n += c;
  return n;
}

/** Seqs closer than this are read with one range (a DuckDB row group holds 122,880 rows). */
const SCOPE_CLUSTER_GAP = 65_536;
export const SCOPE_BATCH = 500;

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

/**
 * The packs in force: core always, one named by --pack, and one whose vocabulary is at least its
 * minShare of the events (of the store's, for a scoped audit: `storeTypes`).
 */
export function packsInForce(catalog: Catalog, plan: Pick<AuditPlan, 'packs'>, profile: Profile, storeTypes?: ReadonlyMap<string, number>): PackResult[] {
  let total = profile.events;
  let count = (types: Iterable<string>) => countTypes(profile, types);
  if (storeTypes) {
    total = [...storeTypes.values()].reduce((a, b) => a + b, 0);
    count = (types) => [...new Set(types)].reduce((n, t) => n + (storeTypes.get(t) ?? 0), 0);
  }
  return catalog.packs.map((p) => {
    const forced = plan.packs.includes(p.id);
    const share = p.vocabulary.length === 0 ? 1 : total === 0 ? 0 : count(p.vocabulary) / total;
    return { id: p.id, active: p.id === 'core' || forced || (share >= p.minShare && total > 0), share, forced };
  });
}

/** Why a rule cannot run on this log (its pack not in force, a field no event has), or undefined. `windowed`: --since / --until were given. */
export function skipReason(catalog: Catalog, rule: Rule, profile: Profile, active: Set<string>, packs: PackResult[], windowed: boolean): string | undefined {
  if (profile.events === 0) return windowed ? 'no event in --since/--until' : 'the store has no events';
  if (rule.pack !== undefined && !active.has(rule.pack)) {
    const p = packs.find((x) => x.id === rule.pack)!;
    const market = catalog.packs.find((x) => x.kind === 'market-data' && active.has(x.id));
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
      schemasFor(catalog, profile).length === 0
        ? `no JSON Schema is registered for any event type in the log (schemas come with the packs: ${catalog.packs.filter((p) => p.schemas.length).map((p) => p.id).join(', ') || 'none'})`
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

/** The registered schemas of the types the log has, the most used first. */
export function schemasFor(catalog: Catalog, profile: Profile): EventSchema[] {
  const count = (s: EventSchema) => profile.types.get(s.type)?.get(s.version) ?? 0;
  return catalog.schemas.filter((s) => profile.types.has(s.type)).sort((a, b) => count(b) - count(a));
}
