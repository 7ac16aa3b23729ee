/**
 * Upcasters: plain functions keyed by event type and the version they upcast from (docs/architecture.md §6,
 * after Emmett), one module shape for `evtrail schema upcast --dry-run` and for replay:
 *
 *   export default {
 *     OrderPlaced: {
 *       1: (data, event) => ({ ...data, timeInForce: 'DAY' }),   // v1 data → v2 data
 *     },
 *   };
 *
 * A type is upcast step by step up to its target version: one past its last upcaster (the dry
 * run's default; given a registry, the dry run aims at the newest schema instead). Replay
 * (`--upcasters`, custom projections only) hands each event older than its type's target to the
 * projection with the upcast data and schema_version = the target; an upcaster that throws, or a
 * missing step, stops the replay naming the event (exit 2), as a throwing projection does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { moduleGraphHash } from './module-graph.js';
import { UserError, firstLine } from '../core/errors.js';
import { importUserModule } from './load-module.js';

/** What an upcaster gets besides the data (replay passes the whole event, a superset). */
export type UpcastEventInfo = { id: string; seq: number; type: string; schema_version: number; stream: string | null };
export type UpcastFn = (data: unknown, event: UpcastEventInfo) => unknown;
/** type → fromVersion → the function that turns data of fromVersion into data of fromVersion + 1. */
export type Upcasters = Map<string, Map<number, UpcastFn>>;

export interface LoadedUpcasters {
  /** As given on the command line. */
  spec: string;
  file: string;
  steps: Upcasters;
  /** SHA-256 of the module and what it imports (module-graph.ts): part of a snapshot's code hash. */
  hash: string;
}

export const UPCASTER_SHAPE_HINT = 'an upcaster module exports default { <Type>: { <fromVersion>: (data, event) => newData } }';

/** Checks a loaded module's shape (pure). */
export function parseUpcasters(spec: string, mod: Record<string, unknown>): Upcasters {
  const def = mod.default ?? mod;
  if (typeof def !== 'object' || def === null || Array.isArray(def)) throw new UserError(`--upcasters ${spec}: the default export is not an object`, UPCASTER_SHAPE_HINT);
  const out: Upcasters = new Map();
  for (const [type, steps] of Object.entries(def as Record<string, unknown>)) {
    if (type === 'default' || type === '__esModule') continue;
    if (typeof steps !== 'object' || steps === null) throw new UserError(`--upcasters ${spec}: ${type} is not an object of versions`, UPCASTER_SHAPE_HINT);
    const map = new Map<number, UpcastFn>();
    for (const [from, fn] of Object.entries(steps as Record<string, unknown>)) {
      if (!/^[1-9]\d*$/.test(from)) throw new UserError(`--upcasters ${spec}: ${type}.${from}: a version is a whole number from 1`, UPCASTER_SHAPE_HINT);
      if (typeof fn !== 'function') throw new UserError(`--upcasters ${spec}: ${type}.${from} is not a function`, UPCASTER_SHAPE_HINT);
      map.set(Number(from), fn as UpcastFn);
    }
    if (map.size) out.set(type, map);
  }
  if (out.size === 0) throw new UserError(`--upcasters ${spec}: no upcaster in it`, UPCASTER_SHAPE_HINT);
  return out;
}

/** Loads an upcaster module (.js, .mjs, .cjs or .ts, as projections: ./load-module.ts). */
export async function loadUpcasters(spec: string): Promise<LoadedUpcasters> {
  const { file, exports } = await importUserModule(spec, '--upcasters', UPCASTER_SHAPE_HINT);
  const steps = parseUpcasters(spec, exports);
  return { spec, file, steps, hash: moduleGraphHash(file) };
}

/** The version a type is upcast to without a registry: one past its last upcaster. */
export function targetVersion(steps: Map<number, UpcastFn>): number {
  return Math.max(...steps.keys()) + 1;
}

/** Upcasts one event's data from `version` to `to` (pure): the data, or what went wrong. */
export function upcastData(steps: Map<number, UpcastFn>, data: unknown, version: number, to: number, event: UpcastEventInfo): { data: unknown } | { failedAt: number; message: string } {
  let current = data;
  for (let v = version; v < to; v++) {
    const fn = steps.get(v);
    if (!fn) return { failedAt: v, message: `no upcaster from v${v}` };
    try {
      current = fn(current, event);
    } catch (error) {
      return { failedAt: v, message: `threw: ${firstLine(error)}` };
    }
    // An upcaster that changes data in place and returns nothing would hand on undefined:
    // the dry run then blamed the schema ("must be object"), replay the projection.
    if (current === undefined) return { failedAt: v, message: 'returned nothing: an upcaster returns the new data (changing it in place is not enough)' };
  }
  return { data: current };
}

/** An event as replay upcasts it: its data and version are replaced. */
export interface UpcastableEvent extends UpcastEventInfo {
  data: unknown;
}

/**
 * A function that upcasts an event in place (replay, before the projection): per type its steps
 * and target, looked up once per event. Throws a UserError naming the event when a step throws
 * or is missing.
 */
export function eventUpcaster(u: LoadedUpcasters): (e: UpcastableEvent) => void {
  const plans = new Map([...u.steps].map(([type, steps]) => [type, { steps, to: targetVersion(steps) }]));
  const where = path.relative(process.cwd(), u.file) || u.file;
  return (e) => {
    const plan = plans.get(e.type);
    if (plan === undefined || e.schema_version >= plan.to) return;
    const out = upcastData(plan.steps, e.data, e.schema_version, plan.to, e);
    if ('failedAt' in out) {
      const what = out.message.startsWith('no upcaster') ? `upcasters ${u.spec} cannot upcast ${e.type} to v${plan.to}` : `upcaster ${e.type} v${out.failedAt} (${u.spec}) failed`;
      throw new UserError(
        `${what} at event ${e.id} (seq ${e.seq}, ${e.type} v${e.schema_version}): ${out.message}`,
        `fix ${where}; evtrail schema upcast --upcasters ${u.spec} --dry-run lists every event it fails on`,
      );
    }
    e.data = out.data;
    e.schema_version = plan.to;
  };
}
