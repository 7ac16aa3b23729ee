/**
 * `evtrail schema check / infer / timeline / compat --against-log` through the built CLI, on
 * a generated trading log (OrderPlaced v1 and v2, injected anomalies): exit codes, the --json
 * shapes, the registry files infer writes and check reads back, and the one-line errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { cli, cliJson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
let logFile: string;
let events: CanonicalTradingEvent[];
let violationIds: string[];

beforeAll(() => {
  dir = tmpDir('evtrail-schema-e2e-');
  const log = generateTradingLog({ orders: 300, seed: 41, anomalyRate: 0.2 });
  events = [...log];
  violationIds = log.truth.filter((t) => t.kind === 'schema-violation').map((t) => t.eventId).sort();
  logFile = path.join(dir, 'log.ndjson');
  fs.writeFileSync(logFile, events.map((e) => serializeTradingEvent(e)).join('\n') + '\n');
  db = path.join(dir, 'log.duckdb');
  const r = cli(['ingest', logFile, '--db', db]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail schema check', () => {
  it('against the trading pack (the default): exit 1, every injected violation with id, seq, path and message', () => {
    expect(violationIds.length).toBeGreaterThan(2);
    const r = cli(['schema', 'check', '--db', db, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${violationIds.length} event(s) break their schema`);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.registry).toBe('packs: trading');
    expect(out.events).toBe(events.length);
    expect(out.violatingEvents).toBe(violationIds.length);
    expect([...new Set(out.violations.map((v: any) => v.eventId))].sort()).toEqual(violationIds);
    for (const v of out.violations) expect(Object.keys(v).sort()).toEqual(['eventId', 'message', 'path', 'seq', 'stream', 'type', 'version']);
    const placed = out.types.filter((t: any) => t.type === 'OrderPlaced');
    expect(placed.map((t: any) => t.version)).toEqual([1, 2]);
    expect(placed.reduce((a: number, t: any) => a + t.violating, 0)).toBe(violationIds.length);
  });

  it('--limit lists fewer events, the counts stay exact; plain text names the violations', () => {
    const limited = cli(['schema', 'check', '--db', db, '--json', '--limit', '1']);
    expect(limited.stdout, limited.stderr).not.toBe('');
    const out = JSON.parse(limited.stdout);
    expect(out.listed).toBe(1);
    expect(out.violatingEvents).toBe(violationIds.length);
    const text = cli(['schema', 'check', '--db', db, '--limit', '1']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/violations\n/);
    expect(text.stdout).toContain(`… ${violationIds.length - 1} more event(s) with violations`);
  });

  it('types with no schema are counted and listed, not failures', () => {
    const reg = path.join(dir, 'only-filled');
    fs.mkdirSync(reg);
    fs.copyFileSync(path.join('src/packs/trading/schemas/OrderFilled.v1.json'), path.join(reg, 'OrderFilled.v1.json'));
    const r = cli(['schema', 'check', '--db', db, '--registry', reg, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.types).toEqual([expect.objectContaining({ type: 'OrderFilled', version: 1, violating: 0 })]);
    expect(out.unchecked.find((u: any) => u.type === 'OrderPlaced' && u.version === 2)).toEqual({ type: 'OrderPlaced', version: 2, events: events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 2).length, reason: 'no schema for this type' });
    expect(out.checked + out.unchecked.reduce((a: number, u: any) => a + u.events, 0)).toBe(events.length);
  });

  it('bad input: exit 2 with one line and a hint', () => {
    const missing = cli(['schema', 'check', '--db', db, '--registry', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read registry .*nope: no such folder\nhint: /);
    const limit = cli(['schema', 'check', '--db', db, '--limit', 'many']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('--limit many: expected a whole number');
    // A log that speaks no pack's vocabulary has no default registry.
    const other = path.join(dir, 'other.ndjson');
    fs.writeFileSync(other, JSON.stringify({ id: 'x1', stream: 'cart-1', type: 'ItemAdded', ts: '2025-08-26T09:30:00Z', data: { sku: 'a' } }) + '\n');
    const otherDb = path.join(dir, 'other.duckdb');
    expect(cli(['ingest', other, '--db', otherDb]).code).toBe(0);
    const none = cli(['schema', 'check', '--db', otherDb]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no registry: the log speaks no pack's vocabulary.*\nhint: pass --registry DIR/);
    const wrongName = path.join(dir, 'misnamed');
    fs.mkdirSync(wrongName);
    fs.writeFileSync(path.join(wrongName, 'OrderPlaced.v3.json'), JSON.stringify({ 'x-evtrail-type': 'OrderPlaced', 'x-evtrail-version': 2, type: 'object' }));
    const mis = cli(['schema', 'check', '--db', db, '--registry', wrongName]);
    expect(mis.code).toBe(2);
    expect(mis.stderr).toContain('says x-evtrail-version 2, but its name says v3');
  });
});

describe('evtrail schema infer', () => {
  it('writes <Type>.v<N>.json per (type, version), refuses to overwrite without --force, and check reads them back clean', () => {
    const out = path.join(dir, 'inferred');
    const r = cliJson(['schema', 'infer', '--db', db, '--out', out]);
    const files = fs.readdirSync(out).sort();
    expect(files).toContain('OrderPlaced.v1.json');
    expect(files).toContain('OrderPlaced.v2.json');
    expect(files.length).toBe(new Set(events.map((e) => `${e.type} ${e.schema_version}`)).size);
    expect(r.schemas.map((s: any) => path.basename(s.file)).sort()).toEqual(files);
    const v2 = JSON.parse(fs.readFileSync(path.join(out, 'OrderPlaced.v2.json'), 'utf8'));
    expect(v2['x-evtrail-type']).toBe('OrderPlaced');
    expect(v2['x-evtrail-version']).toBe(2);
    expect(v2.properties.timeInForce.enum).toEqual(['DAY', 'GTC', 'IOC']);
    expect(v2['x-evtrail-inferred'].presence.orderId).toEqual({ count: v2['x-evtrail-inferred'].objects, share: 1 });

    const again = cli(['schema', 'infer', '--db', db, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists .*not overwritten\nhint: pass --force/);
    expect(cli(['schema', 'infer', '--db', db, '--out', out, '--force']).code).toBe(0);

    const check = cli(['schema', 'check', '--db', db, '--registry', out, '--json']);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, violatingEvents: 0, unchecked: [], checked: events.length });
    // compat reads the same registry.
    const compat = cli(['schema', 'compat', '--registry', out, '--mode', 'NONE', '--json']);
    expect(compat.code, compat.stderr).toBe(0);
    expect(JSON.parse(compat.stdout).types.find((t: any) => t.type === 'OrderPlaced').versions).toEqual([1, 2]);
  });
});

describe('evtrail schema compat --against-log', () => {
  it('lists the stored events a stricter schema would reject (exit 1); a looser one accepts all (exit 0)', () => {
    const v2 = JSON.parse(fs.readFileSync('src/packs/trading/schemas/OrderPlaced.v2.json', 'utf8'));
    const v3File = path.join(dir, 'OrderPlaced.v3.json');
    fs.writeFileSync(v3File, JSON.stringify({ ...v2, 'x-evtrail-version': 3, required: [...v2.required, 'timeInForce'] }));
    const r = cli(['schema', 'compat', '--new', v3File, '--against-log', '--db', db, '--json', '--limit', '0']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const placed = events.filter((e) => e.type === 'OrderPlaced');
    const rejected = placed.filter((e) => e.schema_version === 1 || !('timeInForce' in e.data) || violationIds.includes(e.id));
    expect(out).toMatchObject({ compatible: false, type: 'OrderPlaced', checked: placed.length, rejectedEvents: rejected.length, changes: [] });
    expect(new Set(out.rejected.map((v: any) => v.eventId))).toEqual(new Set(rejected.map((e) => e.id)));

    const only2 = JSON.parse(cli(['schema', 'compat', '--new', v3File, '--against-log', '--db', db, '--schema-version', '2', '--json']).stdout);
    expect(only2.versions).toEqual([{ version: 2, events: placed.filter((e) => e.schema_version === 2).length, rejected: rejected.filter((e) => e.schema_version === 2).length }]);

    // The pack's v2 accepts every stored event of both versions but the injected violations.
    const loose = cli(['schema', 'compat', '--new', 'src/packs/trading/schemas/OrderPlaced.v2.json', '--against-log', '--db', db, '--json']);
    expect(loose.code).toBe(1);
    expect(JSON.parse(loose.stdout).rejectedEvents).toBe(violationIds.length);
    const filled = cli(['schema', 'compat', '--new', 'src/packs/trading/schemas/OrderFilled.v1.json', '--against-log', '--db', db]);
    expect(filled.code).toBe(0);
    expect(filled.stdout).toContain(`accepts all ${events.filter((e) => e.type === 'OrderFilled').length}`);
  });

  it('a schema file whose type cannot be told: exit 2; --type names it', () => {
    const anon = path.join(dir, 'proposed.json');
    fs.writeFileSync(anon, JSON.stringify({ type: 'object', required: ['venue'] }));
    const r = cli(['schema', 'compat', '--new', anon, '--against-log', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot tell which event type');
    const typed = cli(['schema', 'compat', '--new', anon, '--against-log', '--db', db, '--type', 'OrderRouted', '--json']);
    expect(typed.code).toBe(0);
    expect(JSON.parse(typed.stdout)).toMatchObject({ compatible: true, type: 'OrderRouted', rejectedEvents: 0 });
  });
});

describe('evtrail schema timeline', () => {
  it('per type the versions with counts and times; versions without a schema flagged', () => {
    const out = cliJson(['schema', 'timeline', '--db', db]);
    const placed = out.types.find((t: any) => t.type === 'OrderPlaced');
    const v = (n: number) => events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === n);
    expect(placed.versions.map((x: any) => [x.version, x.events])).toEqual([[1, v(1).length], [2, v(2).length]]);
    const times = v(2).map((e) => e.ts).sort();
    expect(placed.versions[1].first.slice(0, 23)).toBe(times[0]!.slice(0, 23));
    expect(placed.versions[1].last.slice(0, 23)).toBe(times.at(-1)!.slice(0, 23));
    expect(out.noSchema).toEqual([]);
    // Against a registry with only OrderPlaced v1: v2 and every other type have no schema.
    const reg = path.join(dir, 'placed-v1');
    fs.mkdirSync(reg);
    fs.copyFileSync('src/packs/trading/schemas/OrderPlaced.v1.json', path.join(reg, 'OrderPlaced.v1.json'));
    const partial = cliJson(['schema', 'timeline', '--db', db, '--registry', reg]);
    expect(partial.noSchema).toContainEqual({ type: 'OrderPlaced', version: 2, events: v(2).length });
    expect(partial.noSchema.some((n: any) => n.type === 'OrderPlaced' && n.version === 1)).toBe(false);
  });
});

describe('evtrail schema upcast --dry-run', () => {
  it('reports the events whose upcaster throws and those whose result still fails the newest schema', () => {
    const mod = path.join(dir, 'upcasters.mjs');
    fs.writeFileSync(mod, `export default { OrderPlaced: { 1: (data) => { if (typeof data.qty === 'string') throw new Error('qty is text'); return { ...data, timeInForce: 'DAY' }; } } };\n`);
    const r = cli(['schema', 'upcast', '--upcasters', mod, '--dry-run', '--db', db, '--json', '--limit', '0']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const v1 = events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 1);
    const throws = v1.filter((e) => typeof e.data.qty === 'string').map((e) => e.id).sort();
    const invalid = v1.filter((e) => violationIds.includes(e.id) && !throws.includes(e.id)).map((e) => e.id).sort();
    expect(throws.length + invalid.length).toBeGreaterThan(0);
    expect(out.types).toEqual([{ type: 'OrderPlaced', from: 1, to: 2, events: v1.length, upcast: v1.length - throws.length - invalid.length, threw: throws.length, invalid: invalid.length, schema: 'trading:OrderPlaced.v2.json' }]);
    expect([...new Set(out.problems.filter((p: any) => p.kind === 'threw').map((p: any) => p.eventId))].sort()).toEqual(throws);
    expect([...new Set(out.problems.filter((p: any) => p.kind === 'invalid').map((p: any) => p.eventId))].sort()).toEqual(invalid);
    for (const p of out.problems.filter((x: any) => x.kind === 'threw')) expect(p).toMatchObject({ at: 'v1', message: 'threw: qty is text' });
  });

  it('an upcaster that changes data in place and returns nothing is named as such, not blamed on the schema; the help says what --dry-run is', () => {
    const mod = path.join(dir, 'in-place.mjs');
    fs.writeFileSync(mod, `export default { OrderPlaced: { 1: (data) => { data.timeInForce = 'DAY'; } } };\n`);
    const r = cli(['schema', 'upcast', '--upcasters', mod, '--dry-run', '--db', db, '--json', '--limit', '0']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const v1 = events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 1).length;
    expect(out.types.map((t: any) => [t.from, t.events, t.threw, t.invalid])).toEqual([[1, v1, v1, 0]]);
    expect(new Set(out.problems.map((p: any) => `${p.kind} ${p.at} ${p.message}`))).toEqual(new Set(['threw v1 returned nothing: an upcaster returns the new data (changing it in place is not enough)']));
    // --dry-run is the command's only mode: its help says what it does, not "required: …".
    const help = cli(['schema', 'upcast', '--help']).stdout;
    const option = help.slice(help.indexOf('--dry-run'), help.indexOf('--registry'));
    expect(option).not.toMatch(/required/);
    expect(option.replace(/\s+/g, ' ')).toContain('the store is never changed');
  });

  it('a version with no upcaster on the way to the newest schema is reported; without --dry-run exit 2', () => {
    const mod = path.join(dir, 'only-v1.mjs');
    fs.writeFileSync(mod, `export default { OrderPlaced: { 1: (data) => ({ ...data, timeInForce: 'DAY' }) } };\n`);
    const reg = path.join(dir, 'to-v3');
    fs.mkdirSync(reg);
    const v2 = JSON.parse(fs.readFileSync('src/packs/trading/schemas/OrderPlaced.v2.json', 'utf8'));
    fs.writeFileSync(path.join(reg, 'OrderPlaced.v3.json'), JSON.stringify({ ...v2, 'x-evtrail-version': 3 }));
    const out = JSON.parse(cli(['schema', 'upcast', '--upcasters', mod, '--dry-run', '--db', db, '--registry', reg, '--json', '--limit', '0']).stdout);
    const placed = events.filter((e) => e.type === 'OrderPlaced');
    expect(out.types.map((t: any) => [t.from, t.to, t.events, t.threw])).toEqual([
      [1, 3, placed.filter((e) => e.schema_version === 1).length, placed.filter((e) => e.schema_version === 1).length],
      [2, 3, placed.filter((e) => e.schema_version === 2).length, placed.filter((e) => e.schema_version === 2).length],
    ]);
    expect(out.problems.find((p: any) => p.version === 1).message).toBe('no upcaster from v2');
    const wet = cli(['schema', 'upcast', '--upcasters', mod, '--db', db]);
    expect(wet.code).toBe(2);
    expect(wet.stderr).toContain('hint: add --dry-run');
    const bad = path.join(dir, 'bad.mjs');
    fs.writeFileSync(bad, `export default { OrderPlaced: { one: () => 1 } };\n`);
    const shape = cli(['schema', 'upcast', '--upcasters', bad, '--dry-run', '--db', db]);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain('OrderPlaced.one: a version is a whole number from 1');
  });
});
